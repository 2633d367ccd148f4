//! The token vault service: stores sealed token sets and hands out a fresh access token.
//!
//! Refresh happens before the access token expires (within `FV_REFRESH_MARGIN_SECONDS`) and
//! once after a gateway 401. Only one refresh runs per session at a time: concurrent callers
//! wait on a per-session lock and then re-read the vault, finding the new token instead of
//! spending the (rotating) refresh token a second time.

use crate::util::clock::now_unix;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex as StdMutex, Weak},
    time::Duration,
};

use tokio::sync::Mutex;

use super::{error::RefreshError, oidc::OidcProvider, session::SessionUser, tokens::TokenSet};
use crate::{
    crypto::{Cipher, CryptoError},
    store::{Db, DbError},
};

const PURPOSE: &str = "token-set";
/// How long a refresh lease lasts if its holder never releases it (it died, or hung).
const LEASE_SECS: i64 = 30;
/// How long a request waits for another replica's refresh before giving up with a retry page.
const LEASE_WAIT: Duration = Duration::from_secs(35);
/// How often a waiting replica re-reads the vault row.
const LEASE_POLL: Duration = Duration::from_millis(50);
/// Attempts at the provider when it is unavailable (network error, 5xx, temporarily_unavailable).
const REFRESH_ATTEMPTS: u32 = 3;

/// Why no access token could be produced.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no tokens stored for this session")]
    Missing,
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("stored tokens unreadable: {0}")]
    Crypto(#[from] CryptoError),
}

/// Sealed token storage plus refresh.
pub struct TokenVault {
    db: Db,
    cipher: Cipher,
    oidc: Arc<OidcProvider>,
    margin: Duration,
    /// How long a vault entry may outlive its last write (the absolute session lifetime).
    retention: Duration,
    locks: StdMutex<HashMap<String, Weak<Mutex<()>>>>,
}

impl TokenVault {
    /// A vault over `db`, refreshing through `oidc` when tokens come within `margin` of expiry.
    pub fn new(
        db: Db,
        cipher: Cipher,
        oidc: Arc<OidcProvider>,
        margin: Duration,
        retention: Duration,
    ) -> Self {
        Self {
            db,
            cipher,
            oidc,
            margin,
            retention,
            locks: StdMutex::new(HashMap::new()),
        }
    }

    /// Stores (or replaces) the token set of a session.
    pub async fn store(&self, vault_id: &str, tokens: &TokenSet) -> Result<(), VaultError> {
        let sealed = self.cipher.seal_json(PURPOSE, tokens);
        let purge_after = now_unix() + self.retention.as_secs() as i64;
        self.db.vault_put(vault_id, &sealed, purge_after).await?;
        Ok(())
    }

    /// The token set of a session, if any.
    pub async fn load(&self, vault_id: &str) -> Result<Option<TokenSet>, VaultError> {
        match self.db.vault_get(vault_id).await? {
            Some(row) => Ok(Some(self.cipher.open_json(PURPOSE, &row.sealed)?)),
            None => Ok(None),
        }
    }

    /// Forgets a session's tokens.
    pub async fn remove(&self, vault_id: &str) -> Result<(), VaultError> {
        self.db.vault_delete(vault_id).await?;
        Ok(())
    }

    /// An access token good for at least the refresh margin, refreshing first if needed.
    pub async fn access_token(&self, user: &SessionUser) -> Result<String, VaultError> {
        let tokens = self
            .load(&user.vault_id)
            .await?
            .ok_or(VaultError::Missing)?;
        if !tokens.expires_within(now_unix(), self.margin) {
            return Ok(tokens.access_token);
        }
        self.refresh_if(user, |t| t.expires_within(now_unix(), self.margin))
            .await
    }

    /// After the gateway refused `rejected` with 401: refresh once, unless another request
    /// already replaced that token.
    pub async fn refresh_after_401(
        &self,
        user: &SessionUser,
        rejected: &str,
    ) -> Result<String, VaultError> {
        self.refresh_if(user, |t| t.access_token == rejected).await
    }

    /// Takes the session's refresh lock, re-reads, and refreshes only if `needed` still holds.
    ///
    /// In-process, callers queue on a per-session mutex. Across replicas, the vault row's lease
    /// decides: the holder refreshes and writes the new tokens while releasing; the others poll
    /// the row until the tokens no longer need refreshing (or the lease expires and they may
    /// take it themselves).
    async fn refresh_if(
        &self,
        user: &SessionUser,
        needed: impl Fn(&TokenSet) -> bool,
    ) -> Result<String, VaultError> {
        let lock = self.lock_for(&user.vault_id);
        let _guard = lock.lock().await;
        let deadline = tokio::time::Instant::now() + LEASE_WAIT;
        loop {
            let tokens = self
                .load(&user.vault_id)
                .await?
                .ok_or(VaultError::Missing)?;
            if !needed(&tokens) {
                return Ok(tokens.access_token);
            }
            let owner = super::session::random_token();
            let now = now_unix();
            if self
                .db
                .vault_try_lease(&user.vault_id, &owner, now, now + LEASE_SECS)
                .await?
            {
                let lease = Lease {
                    db: self.db.clone(),
                    id: user.vault_id.clone(),
                    owner,
                    held: true,
                };
                return self.refresh_holding(user, lease, &needed).await;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(RefreshError::Unavailable(
                    "another replica is still refreshing this session".into(),
                )
                .into());
            }
            tokio::time::sleep(LEASE_POLL).await;
        }
    }

    async fn refresh_holding(
        &self,
        user: &SessionUser,
        mut lease: Lease,
        needed: &impl Fn(&TokenSet) -> bool,
    ) -> Result<String, VaultError> {
        // Re-read under the lease: another replica may have written just before we took it.
        let tokens = self
            .load(&user.vault_id)
            .await?
            .ok_or(VaultError::Missing)?;
        if !needed(&tokens) {
            lease.release(None).await?;
            return Ok(tokens.access_token);
        }
        let refreshed = self.refresh_with_retries(&tokens, user).await;
        crate::metrics::refresh_finished(&refreshed);
        match refreshed {
            Ok(fresh) => {
                let sealed = self.cipher.seal_json(PURPOSE, &fresh);
                lease.release(Some(&sealed)).await?;
                tracing::info!(sub = %user.identity.subject, expires_at = fresh.expires_at, "refreshed access token");
                Ok(fresh.access_token)
            }
            Err(e) => {
                tracing::warn!(sub = %user.identity.subject, error = %e, "token refresh failed");
                if e.ends_session() {
                    lease.held = false;
                    self.remove(&user.vault_id).await?;
                } else {
                    lease.release(None).await?;
                }
                Err(e.into())
            }
        }
    }

    /// Calls the provider, retrying network errors and 5xx-style answers a few times with
    /// exponential backoff and jitter (about 1.75 s in all). Refusals are not retried.
    async fn refresh_with_retries(
        &self,
        tokens: &TokenSet,
        user: &SessionUser,
    ) -> Result<TokenSet, RefreshError> {
        let mut delay = Duration::from_millis(250);
        for attempt in 1.. {
            match self.oidc.refresh(tokens, &user.identity).await {
                Err(RefreshError::Unavailable(why)) if attempt < REFRESH_ATTEMPTS => {
                    let jitter = Duration::from_millis(rand::random::<u64>() % 100);
                    tracing::info!(attempt, error = %why, "provider unavailable during refresh; retrying");
                    tokio::time::sleep(delay + jitter).await;
                    delay *= 2;
                }
                other => return other,
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    fn lock_for(&self, vault_id: &str) -> Arc<Mutex<()>> {
        let mut map = self.locks.lock().expect("vault lock map poisoned");
        if let Some(existing) = map.get(vault_id).and_then(Weak::upgrade) {
            return existing;
        }
        map.retain(|_, weak| weak.strong_count() > 0);
        let lock = Arc::new(Mutex::new(()));
        map.insert(vault_id.to_owned(), Arc::downgrade(&lock));
        lock
    }
}

/// A held refresh lease. Released explicitly on every normal path; if the request is cancelled
/// mid-refresh (client went away), `Drop` releases it in the background.
struct Lease {
    db: Db,
    id: String,
    owner: String,
    held: bool,
}

impl Lease {
    async fn release(&mut self, sealed: Option<&str>) -> Result<(), DbError> {
        self.held = false;
        self.db.vault_release(&self.id, &self.owner, sealed).await
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.held {
            let (db, id, owner) = (self.db.clone(), self.id.clone(), self.owner.clone());
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = db.vault_release(&id, &owner, None).await;
                });
            }
        }
    }
}
