//! OpenID Connect Back-Channel Logout 1.0, relying-party side: the provider posts a logout
//! token server to server; a valid one ends every session it names, on every replica (they
//! share the database, and every request loads its session record from it).

use super::end_sessions;
use crate::{
    auth::{
        environments::Environments,
        oidc::{claimed_issuer, LogoutTokenError},
        vault::TokenVault,
    },
    store::{Db, DbError},
};

/// Why a back-channel logout was refused (400) or failed.
#[derive(Debug, thiserror::Error)]
pub enum BackchannelError {
    #[error("the logout_token field is missing")]
    MissingToken,
    #[error(transparent)]
    Invalid(#[from] LogoutTokenError),
    #[error("the logout token was already used (jti replayed)")]
    Replayed,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Verifies `token` with the provider of the environment whose issuer it claims (its keys,
/// issuer and client id: a token signed by another environment's provider does not verify),
/// spends its `jti`, and ends the sessions it names: every session with its `sid`, or without
/// `sid`, every session of its `sub`, in that environment. Returns how many were ended.
pub async fn logout(
    environments: &Environments,
    db: &Db,
    vault: &TokenVault,
    token: Option<&str>,
) -> Result<usize, BackchannelError> {
    let token = token
        .filter(|t| !t.trim().is_empty())
        .ok_or(BackchannelError::MissingToken)?;
    let env = environments
        .by_issuer(&claimed_issuer(token)?)
        .ok_or(LogoutTokenError::Issuer)?;
    let (oidc, environment) = (&env.oidc, env.name.as_str());
    let claims = oidc.verify_logout_token(token).await?;
    // Spent before anything is ended: of two replicas handed the same token, one wins.
    if !db
        .logout_jti_spend(oidc.issuer(), &claims.jti, claims.acceptable_until)
        .await?
    {
        return Err(BackchannelError::Replayed);
    }
    let now = oidc.clock().now_unix();
    let mut rows = match &claims.sid {
        Some(sid) => db.sessions_of_sid(environment, sid, now).await?,
        None => Vec::new(),
    };
    // A `sub` next to a `sid` narrows it to that user (section 2.4: both may be present).
    if let (Some(_), Some(sub)) = (&claims.sid, &claims.sub) {
        rows.retain(|r| &r.subject == sub);
    }
    if claims.sid.is_none() {
        if let Some(sub) = &claims.sub {
            rows = db.sessions_of_subject(environment, sub, now).await?;
        }
    }
    let ended = end_sessions(db, vault, None, &rows).await?;
    tracing::info!(ended, "back-channel logout");
    Ok(ended)
}
