//! `hepscope discover [-n NAMESPACE]`: dex's diagnostic. Finds homer-webapp (`--url`, else
//! `HOMER_URL`, else the service `homer-webapp.<namespace>.svc.cluster.local` on ports 80 and
//! 9080), then checks that it answers and that the login works. Never needed before other commands.
//!
//! The namespace is `-n`, else `HEPSCOPE_NAMESPACE`, else the namespace of the kubeconfig's current
//! context (`KUBECONFIG`, default `~/.kube/config`), else the pod's service-account namespace,
//! else `default`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::backend::{discovery_namespace, probe, Conn};
use super::{BackendKind, CliError, Globals};

/// The kubeconfig's current context's namespace, read from the file's YAML without a YAML
/// library: the `current-context:` name, then the `namespace:` of the `contexts:` entry with that
/// `name:`. `None` when anything is missing.
pub fn kubeconfig_namespace(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let path = env("KUBECONFIG")
        .and_then(|list| list.split(':').find(|p| !p.is_empty()).map(PathBuf::from))
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".kube").join("config")))?;
    let text = std::fs::read_to_string(path).ok()?;
    namespace_of_current_context(&text)
}

fn unquote(value: &str) -> &str {
    value.trim().trim_matches(|c| c == '"' || c == '\'')
}

/// See [`kubeconfig_namespace`].
pub fn namespace_of_current_context(yaml: &str) -> Option<String> {
    let current = yaml
        .lines()
        .find_map(|l| l.strip_prefix("current-context:"))
        .map(unquote)
        .filter(|c| !c.is_empty())?;
    // Each `- ` item of `contexts:` holds `context: {namespace}` and `name`; collect per item.
    let mut in_contexts = false;
    let mut item: (Option<String>, Option<String>) = (None, None);
    let mut found = None;
    let mut finish = |item: &mut (Option<String>, Option<String>)| {
        if item.0.as_deref() == Some(current) && found.is_none() {
            found = item.1.take();
        }
        *item = (None, None);
    };
    for line in yaml.lines() {
        let top_level = !line.starts_with(' ') && !line.starts_with('-') && !line.is_empty();
        if top_level {
            if in_contexts {
                finish(&mut item);
            }
            in_contexts = line.trim_end() == "contexts:";
            continue;
        }
        if !in_contexts {
            continue;
        }
        let trimmed = line.trim_start();
        let body = match trimmed.strip_prefix("- ") {
            Some(rest) => {
                finish(&mut item);
                rest
            }
            None => trimmed,
        };
        if let Some(name) = body.strip_prefix("name:") {
            item.0 = Some(unquote(name).to_owned());
        } else if let Some(ns) = body.strip_prefix("namespace:") {
            item.1 = Some(unquote(ns).to_owned());
        }
    }
    if in_contexts {
        finish(&mut item);
    }
    found.filter(|ns| !ns.is_empty())
}

/// Runs the diagnostic, printing one line per step.
///
/// # Errors
/// Not found, unreachable or login refused (exit 3).
pub async fn run(globals: &Globals, env: &dyn Fn(&str) -> Option<String>) -> Result<(), CliError> {
    let ns = discovery_namespace(globals, env);
    let url = match globals
        .url
        .clone()
        .or_else(|| env(crate::homer::dex::ENV_URL))
    {
        Some(url) => {
            println!("url          {url} (given)");
            url
        }
        None => {
            println!(
                "namespace    {ns}\nservice      {}",
                crate::homer::discovery::service_host(&ns)
            );
            let url = super::backend::resolve_url(globals, env).await?;
            println!("found        {url}");
            url
        }
    };
    let started = Instant::now();
    let kind = match globals.backend_kind {
        Some(kind) => kind,
        None => probe(url.trim_end_matches('/'), globals.debug).await?,
    };
    println!(
        "connectivity ok in {} ms ({})",
        started.elapsed().as_millis(),
        match kind {
            BackendKind::Homer7 => "HOMER 7",
            BackendKind::Hepscope => "hepscope",
        }
    );
    let mut with_url = globals.clone();
    with_url.url = Some(url);
    with_url.backend_kind = Some(kind);
    let started = Instant::now();
    let conn = Conn::open(&with_url, env).await?;
    if kind == BackendKind::Hepscope {
        conn.hepscope_api(axum::http::Method::GET, "me").await?;
    }
    println!("auth         ok in {} ms", started.elapsed().as_millis());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_context_namespace_is_read_from_the_contexts_list() {
        let yaml = "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k8s\n  name: c1\ncontexts:\n- context:\n    cluster: c1\n    namespace: staging\n    user: u\n  name: stage\n- context:\n    cluster: c1\n    namespace: \"voip-eu\"\n    user: u\n  name: prod\ncurrent-context: prod\nkind: Config\n";
        assert_eq!(
            namespace_of_current_context(yaml).as_deref(),
            Some("voip-eu")
        );
        let other = yaml.replace("current-context: prod", "current-context: stage");
        assert_eq!(
            namespace_of_current_context(&other).as_deref(),
            Some("staging")
        );
        let none = yaml.replace("current-context: prod", "current-context: gone");
        assert_eq!(namespace_of_current_context(&none), None);
    }
}
