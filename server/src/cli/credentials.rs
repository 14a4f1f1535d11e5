//! Credentials as dex resolves them, and hepscope's API tokens.
//!
//! - A HOMER 7: the endpoint entry of `~/.dex/config.json` matching `--url`, then
//!   `HOMER_USERNAME`/`HOMER_PASSWORD`, then the global `homer.username`/`homer.password`, then
//!   `admin`/`admin` with a warning ([`crate::homer::dex::resolve_credentials`], the same order as
//!   the server's backends).
//! - A hepscope server: `HEPSCOPE_TOKEN`, else `[servers."<url>"] token` in
//!   `$XDG_CONFIG_HOME/hepscope/config.toml` (default `~/.config/hepscope/config.toml`), which
//!   `hepscope login` writes (mode 0600).

use std::path::{Path, PathBuf};

use crate::homer::dex::{
    default_dex_path, load_dex_config, resolve_credentials, CredentialSource, DexConfig,
    ResolvedCredentials,
};
use crate::homer::Secret;

use super::CliError;

/// Env var holding a hepscope API token.
pub const ENV_TOKEN: &str = "HEPSCOPE_TOKEN";

/// dex's config, if the file exists.
///
/// # Errors
/// An unreadable or invalid file (usage: the user must fix it).
pub fn dex_config(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<DexConfig>, CliError> {
    let Some(path) = default_dex_path(env) else {
        return Ok(None);
    };
    load_dex_config(&path).map_err(|e| CliError::Usage(e.to_string()))
}

/// The HOMER credentials for `url`; warns on stderr when falling back to `admin`/`admin`.
///
/// # Errors
/// An unreadable dex config.
pub fn homer_credentials(
    url: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedCredentials, CliError> {
    let dex = dex_config(env)?;
    let resolved = resolve_credentials(url, None, None, dex.as_ref(), env);
    if resolved.username_from == CredentialSource::Default
        || resolved.password_from == CredentialSource::Default
    {
        eprintln!(
            "hepscope: warning: no Homer credentials for {url} in ~/.dex/config.json or HOMER_USERNAME/HOMER_PASSWORD; trying admin/admin"
        );
    }
    Ok(resolved)
}

/// Where API tokens are kept.
pub fn config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("hepscope").join("config.toml"))
}

/// `url` without a trailing `/`, the key of `[servers."…"]`.
pub fn server_key(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

/// The API token for the hepscope server at `url`: `HEPSCOPE_TOKEN`, else the config file.
///
/// # Errors
/// An unreadable or invalid config file.
pub fn hepscope_token(
    url: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Secret>, CliError> {
    if let Some(token) = env(ENV_TOKEN) {
        return Ok(Some(Secret::new(token)));
    }
    let Some(path) = config_path(env) else {
        return Ok(None);
    };
    let table = read_config(&path)?;
    let key = server_key(url);
    let token = table
        .get("servers")
        .and_then(toml::Value::as_table)
        .and_then(|servers| {
            servers
                .iter()
                .find(|(k, _)| server_key(k).eq_ignore_ascii_case(&key))
                .map(|(_, v)| v)
        })
        .and_then(|server| server.get("token"))
        .and_then(toml::Value::as_str)
        .map(Secret::new);
    Ok(token)
}

fn read_config(path: &Path) -> Result<toml::Table, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .parse::<toml::Table>()
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(toml::Table::new()),
        Err(e) => Err(CliError::Local(format!("reading {}: {e}", path.display()))),
    }
}

/// Stores `token` for `url` in the config file (created 0600 in a 0700 directory), keeping the
/// file's other entries.
///
/// # Errors
/// The file cannot be read or written.
pub fn store_token(path: &Path, url: &str, token: &str) -> Result<(), CliError> {
    let mut table = read_config(path)?;
    let servers = table
        .entry("servers")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(servers) = servers else {
        return Err(CliError::Usage(format!(
            "{}: `servers` is not a table",
            path.display()
        )));
    };
    let mut entry = toml::Table::new();
    entry.insert("token".into(), toml::Value::String(token.to_owned()));
    servers.insert(server_key(url), toml::Value::Table(entry));
    if let Some(dir) = path.parent() {
        crate::private_fs::create_dir(dir)
            .map_err(|e| CliError::Local(format!("creating {}: {e}", dir.display())))?;
    }
    let text = toml::to_string(&table).map_err(|e| CliError::Local(e.to_string()))?;
    crate::private_fs::write_file(path, text.as_bytes())
        .map_err(|e| CliError::Local(format!("writing {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn token_comes_from_env_then_the_config_file_and_is_stored_0600() {
        let dir = std::env::temp_dir().join(format!("hepscope-cli-cred-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let env = env_of(vec![("XDG_CONFIG_HOME", dir.display().to_string())]);
        let path = config_path(&env).unwrap();
        assert!(hepscope_token("https://h.example", &env).unwrap().is_none());
        store_token(&path, "https://h.example/", "hst_abc").unwrap();
        store_token(&path, "https://other", "hst_other").unwrap();
        let token = hepscope_token("https://h.example", &env).unwrap().unwrap();
        assert_eq!(token.expose(), "hst_abc");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("[servers.\"https://h.example\"]"), "{text}");
        let env = env_of(vec![
            ("XDG_CONFIG_HOME", dir.display().to_string()),
            (ENV_TOKEN, "hst_env".into()),
        ]);
        assert_eq!(
            hepscope_token("https://h.example", &env)
                .unwrap()
                .unwrap()
                .expose(),
            "hst_env"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
