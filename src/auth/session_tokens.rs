//! A signed-in session as a [`TokenSource`]: its access token from the vault (refreshed
//! before it expires), and one refresh after the gateway refused it. The vault serialises
//! refreshes per session, in the process and across replicas.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{tokens::TokenSet, SessionUser, TokenVault, VaultError};
use crate::filevine::TokenSource;

/// The tokens of one signed-in session, for one request.
///
/// The token set read from the vault is kept for the rest of the request ([`SessionTokens::new`]),
/// so a page's second gateway call and its token details (the profile's expiry) do not read and
/// open the vault row again: one vault read per page instead of one per call. Nothing outlives
/// the request (the extractor builds a new one each time), so a session ended elsewhere is
/// still refused at its next request: that request's session record and vault row are read
/// afresh (`tests/it/ended_sessions.rs`, `backchannel_replicas.rs`). The kept set is checked
/// against the clock before each use and goes the vault's way as soon as it is within the
/// refresh margin, and after a 401 it is dropped: refreshes happen exactly when they did with a
/// read per call. Walks over every page (exports, summary scans), which can outlast a page by
/// minutes, read the vault per call ([`SessionTokens::per_call`]).
pub struct SessionTokens {
    vault: Arc<TokenVault>,
    user: SessionUser,
    /// The set this request read; `None` before the first read, after a refresh, or always
    /// for [`SessionTokens::per_call`].
    kept: Option<Mutex<Option<TokenSet>>>,
}

impl SessionTokens {
    /// The session of `user`, whose tokens are in `vault`, for one request.
    pub fn new(vault: Arc<TokenVault>, user: SessionUser) -> Self {
        Self {
            vault,
            user,
            kept: Some(Mutex::new(None)),
        }
    }

    /// The session's tokens read from the vault at every call (for long walks).
    pub fn per_call(vault: Arc<TokenVault>, user: SessionUser) -> Self {
        Self {
            vault,
            user,
            kept: None,
        }
    }

    fn kept(&self) -> Option<TokenSet> {
        let kept = self.kept.as_ref()?;
        kept.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn keep(&self, tokens: Option<TokenSet>) {
        if let Some(kept) = &self.kept {
            *kept.lock().unwrap_or_else(|e| e.into_inner()) = tokens;
        }
    }

    /// The session's token set (the kept one when this request has read it), for what a page
    /// shows about it: never the tokens themselves.
    pub async fn token_set(&self) -> Result<Option<TokenSet>, VaultError> {
        if let Some(t) = self.kept() {
            return Ok(Some(t));
        }
        self.vault.load(&self.user).await
    }
}

#[async_trait]
impl TokenSource for SessionTokens {
    type Error = VaultError;

    async fn token(&self) -> Result<String, VaultError> {
        if let Some(t) = self.kept().filter(|t| self.vault.usable(t)) {
            return Ok(t.access_token);
        }
        if self.kept.is_some() {
            if let Some(t) = self.vault.load(&self.user).await? {
                if self.vault.usable(&t) {
                    let access = t.access_token.clone();
                    self.keep(Some(t));
                    return Ok(access);
                }
            }
            self.keep(None);
        }
        self.vault.access_token(&self.user).await
    }

    async fn after_unauthorized(&self, spent: &str) -> Result<String, VaultError> {
        tracing::info!(sub = %self.user.identity.subject, "gateway said 401; refreshing once");
        self.keep(None);
        self.vault.refresh_after_401(&self.user, spent).await
    }
}
