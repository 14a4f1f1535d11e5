//! `[auth.oidc]`: the OpenID provider, hepscope's client registration there, and the claims read.

use std::path::PathBuf;

use serde::Deserialize;

use crate::secret::Secret;
use crate::settings::{ConfigError, Env};

/// The callback path, under the public URL.
pub const CALLBACK_PATH: &str = "/api/auth/oidc/callback";

/// `[auth.oidc]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOidc {
    /// The login button's label: "Sign in with <name>" (default "SSO").
    pub name: Option<String>,
    /// The issuer URL (its `/.well-known/openid-configuration` is read).
    pub issuer: String,
    pub client_id: String,
    /// The client secret itself (prefer `client_secret_env` or `client_secret_file`).
    pub client_secret: Option<String>,
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    /// Default `<[http] public_url>/api/auth/oidc/callback`.
    pub redirect_url: Option<String>,
    /// Default `["openid", "profile", "email"]`.
    pub scopes: Option<Vec<String>>,
    /// The ID token claim listing the user's groups (default `groups`).
    pub groups_claim: Option<String>,
    /// The ID token claim naming the user (default `preferred_username`).
    pub username_claim: Option<String>,
}

/// Validated `[auth.oidc]`. `Debug` hides the secret.
#[derive(Clone)]
pub struct OidcConfig {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// `None`: a public client (PKCE only).
    pub client_secret: Option<Secret>,
    pub redirect_url: String,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    pub username_claim: String,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &format_args!("{}", crate::settings::redacted(&self.client_secret)),
            )
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("groups_claim", &self.groups_claim)
            .field("username_claim", &self.username_claim)
            .finish()
    }
}

fn invalid(what: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        what: format!("auth.oidc.{what}"),
        message: message.into(),
    }
}

fn is_http_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && openidconnect::url::Url::parse(url).is_ok()
}

impl OidcConfig {
    /// Validates `[auth.oidc]`; `public_origin` is `[http] public_url`'s origin, for the default
    /// redirect URL.
    ///
    /// # Errors
    /// An issuer or redirect URL that is not http(s), no redirect URL and no public URL, two secret
    /// sources (or an unset variable / unreadable file), or scopes without `openid`.
    pub fn from_raw(
        raw: RawOidc,
        public_origin: Option<&str>,
        env: &dyn Env,
    ) -> Result<OidcConfig, ConfigError> {
        let issuer = raw.issuer.trim().to_string();
        if !is_http_url(&issuer) {
            return Err(invalid(
                "issuer",
                format!("{issuer:?} is not an http(s) URL"),
            ));
        }
        if raw.client_id.trim().is_empty() {
            return Err(invalid("client_id", "is empty"));
        }
        let redirect_url = match (raw.redirect_url, public_origin) {
            (Some(url), _) => url,
            (None, Some(origin)) => format!("{origin}{CALLBACK_PATH}"),
            (None, None) => {
                return Err(invalid(
                    "redirect_url",
                    format!(
                        "set it, or [http] public_url (the default is <public_url>{CALLBACK_PATH})"
                    ),
                ))
            }
        };
        if !is_http_url(&redirect_url) {
            return Err(invalid(
                "redirect_url",
                format!("{redirect_url:?} is not an http(s) URL"),
            ));
        }
        let scopes = raw
            .scopes
            .unwrap_or_else(|| vec!["openid".into(), "profile".into(), "email".into()]);
        if !scopes.iter().any(|s| s == "openid") {
            return Err(invalid("scopes", "must include \"openid\""));
        }
        let name = raw.name.unwrap_or_else(|| "SSO".into());
        if name.trim().is_empty() {
            return Err(invalid("name", "is empty"));
        }
        Ok(OidcConfig {
            name,
            issuer,
            client_id: raw.client_id,
            client_secret: client_secret(
                raw.client_secret,
                raw.client_secret_env.as_deref(),
                raw.client_secret_file.as_deref(),
                env,
            )?,
            redirect_url,
            scopes,
            groups_claim: raw.groups_claim.unwrap_or_else(|| "groups".into()),
            username_claim: raw
                .username_claim
                .unwrap_or_else(|| "preferred_username".into()),
        })
    }
}

fn client_secret(
    literal: Option<String>,
    var: Option<&str>,
    file: Option<&std::path::Path>,
    env: &dyn Env,
) -> Result<Option<Secret>, ConfigError> {
    let sources =
        usize::from(literal.is_some()) + usize::from(var.is_some()) + usize::from(file.is_some());
    if sources > 1 {
        return Err(invalid(
            "client_secret",
            "set one of client_secret, client_secret_env, client_secret_file",
        ));
    }
    if let Some(var) = var {
        return env
            .var(var)
            .map(|v| Some(Secret::new(v)))
            .ok_or_else(|| invalid("client_secret_env", format!("{var:?} is not set")));
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid("client_secret_file", format!("{}: {e}", path.display())))?;
        return Ok(Some(Secret::new(text.trim_end_matches(['\r', '\n']))));
    }
    Ok(literal.map(Secret::new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse(text: &str, origin: Option<&str>) -> Result<OidcConfig, ConfigError> {
        let raw: RawOidc = toml::from_str(text).unwrap();
        let env: BTreeMap<String, String> =
            [("OIDC_SECRET".to_string(), "from-env".to_string())].into();
        OidcConfig::from_raw(raw, origin, &env)
    }

    const BASE: &str = "issuer = 'https://id.example.net/realms/corp'\nclient_id = 'hepscope'\n";

    #[test]
    fn defaults() {
        let config = parse(BASE, Some("https://hepscope.example.net")).unwrap();
        assert_eq!(config.name, "SSO");
        assert_eq!(
            config.redirect_url,
            "https://hepscope.example.net/api/auth/oidc/callback"
        );
        assert_eq!(config.scopes, ["openid", "profile", "email"]);
        assert_eq!(config.groups_claim, "groups");
        assert_eq!(config.username_claim, "preferred_username");
        assert!(config.client_secret.is_none());
    }

    #[test]
    fn the_secret_comes_from_one_source_and_is_hidden() {
        let config = parse(
            &format!("{BASE}client_secret_env = 'OIDC_SECRET'"),
            Some("http://h"),
        )
        .unwrap();
        assert_eq!(config.client_secret.as_ref().unwrap().expose(), "from-env");
        assert!(!format!("{config:?}").contains("from-env"));
        let two = parse(
            &format!("{BASE}client_secret = 'x'\nclient_secret_env = 'OIDC_SECRET'"),
            Some("http://h"),
        );
        assert!(two
            .unwrap_err()
            .to_string()
            .contains("auth.oidc.client_secret"));
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            (BASE.to_string(), None, "redirect_url"),
            (
                "issuer = 'id.example.net'\nclient_id = 'h'".to_string(),
                Some("http://h"),
                "issuer",
            ),
            (
                format!("{BASE}scopes = ['profile']"),
                Some("http://h"),
                "scopes",
            ),
            (format!("{BASE}redirect_url = '/cb'"), None, "redirect_url"),
            (
                format!("{BASE}client_secret_env = 'UNSET'"),
                Some("http://h"),
                "client_secret_env",
            ),
        ];
        for (text, origin, what) in cases {
            let error = parse(&text, origin).unwrap_err().to_string();
            assert!(
                error.contains(&format!("auth.oidc.{what}")),
                "{text}: {error}"
            );
        }
    }
}
