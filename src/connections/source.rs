//! A connection as a [`TokenSource`]: a PAT connection mints tokens from its PAT
//! ([`PatTokenSource`]); a refresh-token connection takes them from the token vault, which
//! refreshes with rotation under the same never-lose rules as a signed-in session (a spawned
//! refresh, a fenced lease across replicas, new tokens and release in one write).
//!
//! A refresh token the provider refuses marks the connection `needs_authorization` right
//! here, whoever asked (an export, a snapshot, a feed), so background jobs skip it from then
//! on and the page asks an admin to authorize it again.

use std::sync::Arc;

use async_trait::async_trait;

use super::Status;
use crate::{
    auth::{TokenVault, VaultError, VaultOwner},
    filevine::{AuthedGateway, TokenSource},
    service_account::{PatError, PatTokenSource},
    store::Db,
    util::Clock,
};

/// The gateway as a connection: its tokens, every call inside a permit of its pool.
pub type ConnectionGateway = AuthedGateway<ConnectionSource>;

/// Why a connection had no token. Never carries a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Pat(#[from] PatError),
    #[error("the connection's refresh token: {0}")]
    Refresh(#[from] VaultError),
}

impl SourceError {
    /// The status this failure leaves the connection in.
    pub fn status(&self) -> Status {
        match self {
            SourceError::Pat(p) => super::status_of_pat(p),
            SourceError::Refresh(v) => status_of_vault(v),
        }
    }
}

/// The status a failed vault read or refresh leaves: a refused (or missing, or unreadable)
/// refresh token needs an admin; an outage or a busy database passes by itself.
pub fn status_of_vault(e: &VaultError) -> Status {
    match e {
        VaultError::Refresh(r) if !r.ends_session() => Status::Unreachable,
        VaultError::Db(_) => Status::Unreachable,
        VaultError::Refresh(_) | VaultError::Missing | VaultError::Crypto(_) => {
            Status::NeedsAuthorization
        }
    }
}

/// Where a connection's tokens come from.
pub enum ConnectionSource {
    Pat(Arc<PatTokenSource>),
    Refresh(Box<RefreshSource>),
}

/// The tokens of a refresh-token connection, in the vault.
pub struct RefreshSource {
    pub(super) vault: Arc<TokenVault>,
    pub(super) owner: VaultOwner,
    pub(super) name: String,
    pub(super) db: Db,
    pub(super) clock: Clock,
}

impl RefreshSource {
    /// Records a refusal on the connection's row (see the module docs), then hands it on.
    async fn noted(&self, r: Result<String, VaultError>) -> Result<String, SourceError> {
        let e = match r {
            Ok(token) => return Ok(token),
            Err(e) => e,
        };
        let status = status_of_vault(&e);
        if status == Status::NeedsAuthorization {
            tracing::warn!(connection = %self.name, error = %e, "the connection's refresh token was refused; it needs authorizing again");
            crate::metrics::connection_failure(&self.name, status.as_str());
            let message = format!("Filevine refused the refresh token ({e}): authorize the connection again on /settings/connections.");
            let at = Some((message.as_str(), self.clock.now_unix()));
            if let Err(db) = self
                .db
                .connection_set_status(&self.name, status.as_str(), None, at)
                .await
            {
                tracing::warn!(error = %db, "could not record the connection's status");
            }
        }
        Err(e.into())
    }
}

#[async_trait]
impl TokenSource for ConnectionSource {
    type Error = SourceError;

    async fn token(&self) -> Result<String, SourceError> {
        match self {
            ConnectionSource::Pat(p) => Ok(TokenSource::token(p.as_ref()).await?),
            ConnectionSource::Refresh(r) => r.noted(r.vault.access_token_for(&r.owner).await).await,
        }
    }

    async fn after_unauthorized(&self, spent: &str) -> Result<String, SourceError> {
        match self {
            ConnectionSource::Pat(p) => Ok(p.after_unauthorized(spent).await?),
            ConnectionSource::Refresh(r) => {
                let fresh = r.vault.refresh_after_401_for(&r.owner, spent).await;
                r.noted(fresh).await
            }
        }
    }
}
