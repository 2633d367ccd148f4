//! The token vault service: stores sealed token sets and hands out a fresh access token.
//!
//! Refresh happens before the access token expires (within `FV_REFRESH_MARGIN_SECONDS`, capped
//! by the token's own lifetime, see [`TokenSet::needs_refresh`]) and once after a gateway 401.
//! A rotating refresh token must never be lost, so:
//! - **the refresh is a task of its own** ([`refresh`]): the first request that needs it spawns
//!   it, every other request of this process for the same session awaits the same result, and
//!   a request that is cancelled (the browser went away, a proxy or the request timeout gave
//!   up) only stops waiting: the provider call and the store of the new tokens carry on;
//! - **across replicas a lease row decides** ([`lease`]): taken as a guard before any await,
//!   renewed while the provider call is in flight, every write under it fenced by the owner;
//!   the others re-read the row instead of refreshing again;
//! - the new tokens are stored and the lease released in **one** statement.

mod lease;
mod refresh;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex as StdMutex},
    time::Duration,
};

use futures::future::{BoxFuture, FutureExt, Shared};

use super::{error::RefreshError, oidc::OidcProvider, session::SessionUser, tokens::TokenSet};
use crate::{
    crypto::{Cipher, CryptoError},
    store::{Db, DbError},
    util::Clock,
};

/// The purpose sealed token sets are bound to (with the vault id and the user's `sub`).
const PURPOSE: &str = "token-set";

/// Why no access token could be produced. `Clone` because one refresh answers every request
/// waiting on it; the causes are shared behind `Arc`s.
#[derive(Debug, Clone, thiserror::Error)]
pub enum VaultError {
    #[error("no tokens stored for this session")]
    Missing,
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    #[error(transparent)]
    Db(Arc<DbError>),
    #[error("stored tokens unreadable: {0}")]
    Crypto(Arc<CryptoError>),
}

impl From<DbError> for VaultError {
    fn from(e: DbError) -> Self {
        VaultError::Db(Arc::new(e))
    }
}

impl From<CryptoError> for VaultError {
    fn from(e: CryptoError) -> Self {
        VaultError::Crypto(Arc::new(e))
    }
}

/// Why a refresh is wanted: it decides, on every re-read, whether it is still needed.
#[derive(Clone, Debug)]
enum Need {
    /// The access token is within the (capped) margin of expiry.
    Expiring,
    /// The gateway refused this access token with 401.
    Rejected(String),
}

/// One refresh in flight in this process, awaited by every request that needs it.
type Flight = Shared<BoxFuture<'static, Result<String, VaultError>>>;

/// Sealed token storage plus refresh. Cheap to clone (an `Arc` inside), so a refresh task can
/// own it.
#[derive(Clone)]
pub struct TokenVault {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    cipher: Cipher,
    oidc: Arc<OidcProvider>,
    margin: Duration,
    /// How long a vault entry may outlive its last write (the absolute session lifetime).
    retention: Duration,
    clock: Clock,
    flights: StdMutex<HashMap<String, Flight>>,
}

impl TokenVault {
    /// A vault over `db`, refreshing through `oidc` when tokens come within `margin` of expiry,
    /// with time read from `clock` (lease expiry, token expiry).
    pub fn new(
        db: Db,
        cipher: Cipher,
        oidc: Arc<OidcProvider>,
        margin: Duration,
        retention: Duration,
        clock: Clock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                cipher,
                oidc,
                margin,
                retention,
                clock,
                flights: StdMutex::new(HashMap::new()),
            }),
        }
    }

    /// The clock the vault reads (tests move it instead of sleeping).
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Stores (or replaces) the token set of a session, sealed to its row and user.
    pub async fn store(&self, user: &SessionUser, tokens: &TokenSet) -> Result<(), VaultError> {
        let inner = &self.inner;
        let sealed = inner.seal(user, tokens);
        let purge_after = inner.clock.now_unix() + inner.retention.as_secs() as i64;
        inner
            .db
            .vault_put(&user.vault_id, &sealed, purge_after)
            .await?;
        Ok(())
    }

    /// The token set of a session, if any. A row sealed for another session or user does not
    /// open ([`VaultError::Crypto`]).
    pub async fn load(&self, user: &SessionUser) -> Result<Option<TokenSet>, VaultError> {
        self.inner.load(user).await
    }

    /// The token set of the session whose vault row is `vault_id`, signed in as `subject`
    /// (ending a session from elsewhere, to revoke its refresh token).
    pub async fn load_for(
        &self,
        vault_id: &str,
        subject: &str,
    ) -> Result<Option<TokenSet>, VaultError> {
        let inner = &self.inner;
        match inner.db.vault_get(vault_id).await? {
            Some(row) => Ok(Some(inner.cipher.open_json(
                PURPOSE,
                &[vault_id, subject],
                &row.sealed,
            )?)),
            None => Ok(None),
        }
    }

    /// Forgets a session's tokens.
    pub async fn remove(&self, vault_id: &str) -> Result<(), VaultError> {
        self.inner.db.vault_delete(vault_id).await?;
        Ok(())
    }

    /// An access token good for at least the refresh margin, refreshing first if needed.
    pub async fn access_token(&self, user: &SessionUser) -> Result<String, VaultError> {
        let tokens = self.load(user).await?.ok_or(VaultError::Missing)?;
        if !self.inner.needed(&Need::Expiring, &tokens) {
            return Ok(tokens.access_token);
        }
        self.refresh_shared(user, Need::Expiring).await
    }

    /// After the gateway refused `rejected` with 401: refresh once, unless another request
    /// already replaced that token.
    pub async fn refresh_after_401(
        &self,
        user: &SessionUser,
        rejected: &str,
    ) -> Result<String, VaultError> {
        self.refresh_shared(user, Need::Rejected(rejected.to_owned()))
            .await
    }

    /// Joins the session's refresh in flight, or spawns it. Dropping the returned future (a
    /// cancelled request) leaves the refresh running.
    async fn refresh_shared(&self, user: &SessionUser, need: Need) -> Result<String, VaultError> {
        let flight = {
            let mut flights = self.inner.flights.lock().expect("vault flights poisoned");
            match flights.get(&user.vault_id) {
                Some(f) => f.clone(),
                None => {
                    let flight = self.spawn_refresh(user.clone(), need);
                    flights.insert(user.vault_id.clone(), flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    fn spawn_refresh(&self, user: SessionUser, need: Need) -> Flight {
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            // Leaves the map however the task ends, so the next request starts afresh.
            let _done = FlightDone {
                inner: inner.clone(),
                vault_id: user.vault_id.clone(),
            };
            inner.refresh(&user, &need).await
        });
        async move {
            task.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "token refresh task failed");
                Err(RefreshError::Unavailable("the refresh task failed".into()).into())
            })
        }
        .boxed()
        .shared()
    }
}

/// Removes a finished flight from the map.
struct FlightDone {
    inner: Arc<Inner>,
    vault_id: String,
}

impl Drop for FlightDone {
    fn drop(&mut self) {
        if let Ok(mut flights) = self.inner.flights.lock() {
            flights.remove(&self.vault_id);
        }
    }
}

impl Inner {
    fn row(user: &SessionUser) -> [&str; 2] {
        [&user.vault_id, &user.identity.subject]
    }

    fn seal(&self, user: &SessionUser, tokens: &TokenSet) -> String {
        self.cipher.seal_json(PURPOSE, &Self::row(user), tokens)
    }

    async fn load(&self, user: &SessionUser) -> Result<Option<TokenSet>, VaultError> {
        match self.db.vault_get(&user.vault_id).await? {
            Some(row) => Ok(Some(self.cipher.open_json(
                PURPOSE,
                &Self::row(user),
                &row.sealed,
            )?)),
            None => Ok(None),
        }
    }

    /// Whether `tokens` still need the refresh `need` asked for.
    fn needed(&self, need: &Need, tokens: &TokenSet) -> bool {
        match need {
            Need::Expiring => tokens.needs_refresh(self.clock.now_unix(), self.margin),
            Need::Rejected(token) => tokens.access_token == *token,
        }
    }
}
