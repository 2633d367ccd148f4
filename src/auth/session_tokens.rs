//! A signed-in session as a [`TokenSource`]: its access token from the vault (refreshed
//! before it expires), and one refresh after the gateway refused it. The vault serialises
//! refreshes per session, in the process and across replicas.

use std::sync::Arc;

use async_trait::async_trait;

use super::{SessionUser, TokenVault, VaultError};
use crate::filevine::TokenSource;

/// The tokens of one signed-in session.
pub struct SessionTokens {
    vault: Arc<TokenVault>,
    user: SessionUser,
}

impl SessionTokens {
    /// The session of `user`, whose tokens are in `vault`.
    pub fn new(vault: Arc<TokenVault>, user: SessionUser) -> Self {
        Self { vault, user }
    }
}

#[async_trait]
impl TokenSource for SessionTokens {
    type Error = VaultError;

    async fn token(&self) -> Result<String, VaultError> {
        self.vault.access_token(&self.user).await
    }

    async fn after_unauthorized(&self, spent: &str) -> Result<String, VaultError> {
        tracing::info!(sub = %self.user.identity.subject, "gateway said 401; refreshing once");
        self.vault.refresh_after_401(&self.user, spent).await
    }
}
