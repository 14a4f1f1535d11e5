//! Sessions for people a directory signed in (LDAP, OIDC): their groups go through
//! `[[auth.role_map]]` ([`super::RoleMap::grant`]) and the session carries the grant.

use app::domain::api::Me;

use super::ldap::DirectoryError;
use super::login::logged_name;
use super::{AuthState, IdentitySource, Session};
use crate::error::AppError;

impl AuthState {
    /// The session cookie and [`Me`] for `username`, signed in by `source`, member of `groups`.
    ///
    /// # Errors
    /// 403 when no mapped group holds the user, or when the name is one of hepscope's own users
    /// (a directory must not take over `admin`: sessions, logouts and shares go by name).
    pub(crate) fn external_session(
        &self,
        username: &str,
        source: IdentitySource,
        groups: &[String],
    ) -> Result<(String, Me), AppError> {
        if self.inner.users.get(username).is_some() {
            return Err(AppError::Forbidden(format!(
                "{username:?} is the name of a local hepscope user; the {} account cannot use it",
                source.as_str()
            )));
        }
        let grant = self.inner.options.role_map.grant(groups).ok_or_else(|| {
            AppError::Forbidden(
                "your account is in no group that hepscope maps to a role ([[auth.role_map]])"
                    .into(),
            )
        })?;
        let (token, claims) = self.issue_external(username, source, &grant)?;
        let session = Session {
            username: username.to_string(),
            role: grant.role,
            expires_at: claims.exp,
            rights: grant.rights,
            source,
        };
        Ok((self.session_cookie_for(&token), session.me()))
    }
}

impl AuthState {
    /// An LDAP session's role and rights as the directory has them now: its groups are read again
    /// once `[auth.ldap] cache_ttl` has passed (cached in between), so a changed membership applies
    /// within it. `None` ends the session: the user is gone or in no mapped group any more. When the
    /// directory cannot answer, the sign-in's grant stays.
    pub(crate) async fn refresh_directory_grant(&self, mut session: Session) -> Option<Session> {
        if session.source != IdentitySource::Ldap {
            return Some(session);
        }
        let Some(directory) = &self.inner.options.ldap else {
            return Some(session);
        };
        match directory.groups_of(&session.username).await {
            Ok(groups) => {
                let grant = self.inner.options.role_map.grant(&groups)?;
                session.role = grant.role;
                session.rights = grant.rights;
                Some(session)
            }
            Err(DirectoryError::Rejected(why)) => {
                tracing::info!(user = %logged_name(&session.username), why, "LDAP session ended");
                None
            }
            Err(e) => {
                tracing::warn!(user = %logged_name(&session.username), error = %e,
                    "LDAP groups not re-read; the sign-in's rights stay");
                Some(session)
            }
        }
    }
}
