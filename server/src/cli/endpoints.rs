//! `hepscope endpoints`: dex's configured endpoints (`homer.endpoints` of `~/.dex/config.json`,
//! `HOMER_URL`, dex's `homer.url`) with which have their own credentials; against a hepscope server
//! (`--url`), its named backends (`GET /api/backends`).

use app::domain::api::{BackendInfo, BackendKind as ApiKind};
use clap::Args;
use serde_json::json;

use super::backend::{probe, Conn};
use super::credentials::dex_config;
use super::output::{self, Printer};
use super::{BackendKind, CliError, Format, Globals};

/// `hepscope endpoints` flags.
#[derive(Args, Debug, Clone)]
pub struct EndpointsArgs {
    /// json or jsonl; default: a table.
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<Format>,
}

/// `hepscope endpoints`.
///
/// # Errors
/// See [`CliError`]; nothing configured is exit 1.
pub async fn run(
    globals: &Globals,
    env: &dyn Fn(&str) -> Option<String>,
    args: &EndpointsArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let hepscope = match (&globals.url, globals.backend_kind) {
        (Some(_), Some(kind)) => kind == BackendKind::Hepscope,
        (Some(url), None) => {
            probe(url.trim_end_matches('/'), globals.debug).await? == BackendKind::Hepscope
        }
        (None, _) => false,
    };
    let values: Vec<serde_json::Value> = if hepscope {
        let conn = Conn::open(globals, env).await?;
        let answer = conn
            .hepscope_api(axum::http::Method::GET, "backends")
            .await?;
        let infos: Vec<BackendInfo> = serde_json::from_slice(&answer.body)
            .map_err(|e| CliError::Backend(format!("unexpected answer of /api/backends: {e}")))?;
        infos
            .iter()
            .map(|b| {
                json!({
                    "name": b.name,
                    "url": b.url.clone().unwrap_or_else(|| "(embedded store)".into()),
                    "kind": match b.kind { ApiKind::Homer7 => "homer7", ApiKind::Embedded => "embedded" },
                    "default": b.default,
                    "status": b.status,
                })
            })
            .collect()
    } else {
        dex_endpoints(globals, env)?
    };
    match args.output {
        Some(format) => output::print(&output::json_values(&values, format)),
        None if values.is_empty() => {}
        None => {
            let text = |v: &serde_json::Value, k: &str| match v.get(k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let (header, keys): (&[&str], &[&str]) = if hepscope {
                (
                    &["NAME", "KIND", "URL", "DEFAULT", "STATUS"],
                    &["name", "kind", "url", "default", "status"],
                )
            } else {
                (
                    &["URL", "SOURCE", "OWN CREDENTIALS"],
                    &["url", "source", "own_credentials"],
                )
            };
            let cells: Vec<Vec<String>> = values
                .iter()
                .map(|v| keys.iter().map(|k| text(v, k)).collect())
                .collect();
            output::print(&printer.table(header, &cells, &|_, _| None));
        }
    }
    if values.is_empty() {
        return Err(CliError::NoResults(
            "no endpoints configured (~/.dex/config.json homer.endpoints, HOMER_URL or --url)"
                .into(),
        ));
    }
    Ok(())
}

/// dex's endpoints: `--url`, `HOMER_URL`, dex's `homer.url`, then every `homer.endpoints` key.
fn dex_endpoints(
    globals: &Globals,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<serde_json::Value>, CliError> {
    let dex = dex_config(env)?;
    let mut out: Vec<serde_json::Value> = Vec::new();
    let push = |url: String, source: &str, out: &mut Vec<serde_json::Value>| {
        let key = url.trim_end_matches('/').to_ascii_lowercase();
        let own = dex.as_ref().is_some_and(|d| {
            d.homer.endpoints.iter().any(|(k, e)| {
                k.trim_end_matches('/').to_ascii_lowercase() == key
                    && (e.username.is_some() || e.password.is_some())
            })
        });
        if !out.iter().any(|v| {
            v["url"]
                .as_str()
                .map(|u| u.trim_end_matches('/').to_ascii_lowercase())
                == Some(key.clone())
        }) {
            out.push(json!({"url": url, "source": source, "own_credentials": own}));
        }
    };
    if let Some(url) = &globals.url {
        push(url.clone(), "--url", &mut out);
    }
    if let Some(url) = env(crate::homer::dex::ENV_URL) {
        push(url, "HOMER_URL", &mut out);
    }
    if let Some(d) = &dex {
        if let Some(url) = &d.homer.url {
            push(url.clone(), "dex homer.url", &mut out);
        }
        for url in d.homer.endpoints.keys() {
            push(url.clone(), "dex homer.endpoints", &mut out);
        }
    }
    Ok(out)
}
