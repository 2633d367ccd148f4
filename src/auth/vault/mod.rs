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
//!
//! A row belongs to a [`VaultOwner`]: a signed-in session (purged once the session can no
//! longer exist) or a refresh-token connection (kept until the connection is removed or
//! re-authorized). Both get the same never-lose rules, which is why connections keep their
//! tokens here rather than in a table of their own.

mod lease;
mod refresh;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex as StdMutex},
    time::Duration,
};

use futures::future::{BoxFuture, FutureExt, Shared};

use super::{
    environments::Environments, error::RefreshError, oidc::Identity, session::SessionUser,
    tokens::TokenSet,
};
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

/// The prefix of the vault ids of connections (`connection/<name>`), which sessions' random
/// ids never have: the active-session count leaves these rows out.
pub const CONNECTION_ID_PREFIX: &str = "connection/";

/// Whose tokens a vault row holds, and so how long the row is kept.
#[derive(Clone, Debug)]
pub struct VaultOwner {
    id: String,
    identity: Identity,
    /// The environment whose provider refreshes these tokens (empty: the default one).
    environment: String,
    /// Never purged by time: a connection's tokens stay until it is removed.
    keep_until_removed: bool,
}

impl VaultOwner {
    /// A signed-in session: purged once the absolute session lifetime has passed.
    pub fn session(user: &SessionUser) -> Self {
        Self {
            id: user.vault_id.clone(),
            identity: user.identity.clone(),
            environment: user.environment.clone(),
            keep_until_removed: false,
        }
    }

    /// The refresh-token connection `name` of `environment`, authorized by `identity`: kept
    /// until removed.
    pub fn connection(name: &str, environment: &str, identity: Identity) -> Self {
        Self {
            id: Self::connection_id(name),
            identity,
            environment: environment.to_owned(),
            keep_until_removed: true,
        }
    }

    /// The vault id of connection `name`.
    pub fn connection_id(name: &str) -> String {
        format!("{CONNECTION_ID_PREFIX}{name}")
    }

    /// The row's id.
    pub fn id(&self) -> &str {
        &self.id
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
    /// Each owner's tokens are refreshed by its own environment's provider.
    environments: Arc<Environments>,
    margin: Duration,
    /// How long a vault entry may outlive its last write (the absolute session lifetime).
    retention: Duration,
    clock: Clock,
    flights: StdMutex<HashMap<String, Flight>>,
}

impl TokenVault {
    /// A vault over `db`, refreshing through each owner's environment's provider when tokens
    /// come within `margin` of expiry,
    /// with time read from `clock` (lease expiry, token expiry).
    pub fn new(
        db: Db,
        cipher: Cipher,
        environments: Arc<Environments>,
        margin: Duration,
        retention: Duration,
        clock: Clock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                cipher,
                environments,
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
        self.store_for(&VaultOwner::session(user), tokens).await
    }

    /// Stores (or replaces) the token set of `owner`, sealed to its row and user.
    pub async fn store_for(&self, owner: &VaultOwner, tokens: &TokenSet) -> Result<(), VaultError> {
        let inner = &self.inner;
        let sealed = inner.seal(owner, tokens);
        let purge_after = if owner.keep_until_removed {
            i64::MAX
        } else {
            inner.clock.now_unix() + inner.retention.as_secs() as i64
        };
        inner.db.vault_put(&owner.id, &sealed, purge_after).await?;
        Ok(())
    }

    /// The token set of a session, if any. A row sealed for another session or user does not
    /// open ([`VaultError::Crypto`]).
    pub async fn load(&self, user: &SessionUser) -> Result<Option<TokenSet>, VaultError> {
        self.inner.load(&VaultOwner::session(user)).await
    }

    /// The token set of `owner`, if any.
    pub async fn load_for(&self, owner: &VaultOwner) -> Result<Option<TokenSet>, VaultError> {
        self.inner.load(owner).await
    }

    /// The token set of the session whose vault row is `vault_id`, signed in as `subject`
    /// (ending a session from elsewhere, to revoke its refresh token).
    pub async fn load_of_session(
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

    /// Whether `tokens` may be used as they are: the access token is not within the refresh
    /// margin of expiry (the test [`TokenVault::access_token`] applies before refreshing).
    pub fn usable(&self, tokens: &TokenSet) -> bool {
        !self.inner.needed(&Need::Expiring, tokens)
    }

    /// An access token good for at least the refresh margin, refreshing first if needed.
    pub async fn access_token(&self, user: &SessionUser) -> Result<String, VaultError> {
        self.access_token_for(&VaultOwner::session(user)).await
    }

    /// [`TokenVault::access_token`] of any owner.
    pub async fn access_token_for(&self, owner: &VaultOwner) -> Result<String, VaultError> {
        let tokens = self.load_for(owner).await?.ok_or(VaultError::Missing)?;
        if !self.inner.needed(&Need::Expiring, &tokens) {
            return Ok(tokens.access_token);
        }
        self.refresh_shared(owner, Need::Expiring).await
    }

    /// After the gateway refused `rejected` with 401: refresh once, unless another request
    /// already replaced that token.
    pub async fn refresh_after_401(
        &self,
        user: &SessionUser,
        rejected: &str,
    ) -> Result<String, VaultError> {
        self.refresh_after_401_for(&VaultOwner::session(user), rejected)
            .await
    }

    /// [`TokenVault::refresh_after_401`] of any owner.
    pub async fn refresh_after_401_for(
        &self,
        owner: &VaultOwner,
        rejected: &str,
    ) -> Result<String, VaultError> {
        self.refresh_shared(owner, Need::Rejected(rejected.to_owned()))
            .await
    }

    /// How many owners this process is refreshing right now (its own provider calls and its
    /// waits on another replica's lease): what shows from outside that a request is parked on
    /// a refresh rather than not yet arrived.
    pub fn refreshes_in_flight(&self) -> usize {
        self.inner.flights.lock().map_or(0, |flights| flights.len())
    }

    /// Joins the session's refresh in flight, or spawns it. Dropping the returned future (a
    /// cancelled request) leaves the refresh running.
    async fn refresh_shared(&self, owner: &VaultOwner, need: Need) -> Result<String, VaultError> {
        let flight = {
            let mut flights = self.inner.flights.lock().expect("vault flights poisoned");
            match flights.get(&owner.id) {
                Some(f) => f.clone(),
                None => {
                    let flight = self.spawn_refresh(owner.clone(), need);
                    flights.insert(owner.id.clone(), flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    fn spawn_refresh(&self, owner: VaultOwner, need: Need) -> Flight {
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            // Leaves the map however the task ends, so the next request starts afresh.
            let _done = FlightDone {
                inner: inner.clone(),
                vault_id: owner.id.clone(),
            };
            inner.refresh(&owner, &need).await
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
    fn row(owner: &VaultOwner) -> [&str; 2] {
        [&owner.id, &owner.identity.subject]
    }

    fn seal(&self, owner: &VaultOwner, tokens: &TokenSet) -> String {
        self.cipher.seal_json(PURPOSE, &Self::row(owner), tokens)
    }

    async fn load(&self, owner: &VaultOwner) -> Result<Option<TokenSet>, VaultError> {
        match self.db.vault_get(&owner.id).await? {
            Some(row) => Ok(Some(self.cipher.open_json(
                PURPOSE,
                &Self::row(owner),
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
