//! [`ConnectionsService`]: every rule about connections that is not a form check. The web
//! page, the command line and the jobs call it; it owns the live token sources (a
//! [`ConnectionSource`] per connection: the [`PatTokenSource`] of a PAT connection, the
//! vault's rows of a refresh-token one, so a connection *is* a
//! [`crate::filevine::TokenSource`]) and their pools.
//!
//! Every replica sees a Save or Remove within [`WATCH_EVERY`]: [`ConnectionsService::watch`]
//! re-reads the rows and swaps the sources whose sealed secret changed (`live.rs`).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Duration,
};

use secrecy::{ExposeSecret, SecretString};

use super::{
    rules::{Draft, FormError},
    secret_row,
    source::{ConnectionGateway, ConnectionSource},
    AuthKind, Connection, ConnectionName, PooledGateway, Pools, Status, ENV_CONNECTION,
    SECRET_PURPOSE,
};
use crate::{
    auth::{oidc::Identity, TokenVault},
    crypto::Cipher,
    filevine::{AuthedGateway, Gateway},
    service_account::{PatClient, PatTokenSource, Verified, VerifyError},
    store::{ConnectionRow, Db, DbError},
    util::Clock,
};

/// How often a replica re-reads the connections another one may have changed.
pub const WATCH_EVERY: Duration = Duration::from_secs(3);

/// Why a connection could not be verified, saved or removed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The form broke a rule: shown next to the fields.
    #[error(transparent)]
    Form(#[from] FormError),
    /// The PAT did not verify (refused, wrong account, provider down).
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// A refresh-token connection's tokens could not be stored or removed.
    #[error(transparent)]
    Vault(#[from] crate::auth::VaultError),
}

/// A verified PAT with the draft it was verified for, ready for Save.
pub struct VerifiedDraft {
    pub draft: Draft,
    pub pat: SecretString,
    pub verified: Verified,
    pub verified_at: i64,
}

/// What Save did.
pub enum SaveOutcome {
    Created(ConnectionName),
    Updated(ConnectionName),
}

/// What a Test found.
pub enum TestOutcome {
    /// No such connection, or it has no usable secret.
    NothingToTest,
    Works(Verified),
    Fails(Status, VerifyError),
    /// A refresh-token connection's token or call was refused; the message says why.
    Refused(Status, String),
}

/// `FV_PAT` as the connection named `env`.
pub(super) struct EnvConnection {
    pub(super) source: Arc<ConnectionSource>,
    /// The same PAT asking for the webhooks scope too, while its live updates need it.
    pub(super) webhooks: Arc<ConnectionSource>,
    pub(super) pat: Arc<PatTokenSource>,
    pub(super) email: Option<String>,
    pub(super) concurrency: u8,
    /// Its status lives in memory: it has no row.
    pub(super) status: RwLock<EnvStatus>,
}

/// What the last use of the `env` connection found.
#[derive(Clone)]
pub(super) struct EnvStatus {
    pub(super) status: Status,
    pub(super) success_at: Option<i64>,
    /// The message and when.
    pub(super) error: Option<(String, i64)>,
}

/// What a connection of one environment talks to: that environment's PAT exchange (at its
/// provider's token endpoint, with its client) and its gateway, with no per-process limit of
/// its own (the pools are the limit).
pub struct EnvironmentClients {
    pub name: String,
    pub client: PatClient,
    pub gateway: Arc<dyn Gateway>,
}

/// Connections: verify, save, remove, test, status, audit, live sources. See the module docs.
pub struct ConnectionsService {
    pub(super) db: Db,
    pub(super) cipher: Cipher,
    /// The PAT exchange and gateway of each served environment, the default one first.
    pub(super) sides: Vec<EnvironmentClients>,
    pub(super) clock: Clock,
    /// Where refresh-token connections keep their tokens (beside the sessions').
    pub(super) vault: Arc<TokenVault>,
    /// The names of the environments this app serves, in order.
    pub(super) environments: Vec<String>,
    pub(super) env: Option<EnvConnection>,
    /// Live sources of the stored connections, with the sealed secret each was made from.
    pub(super) live: RwLock<HashMap<String, (String, Arc<ConnectionSource>)>>,
    pub(super) pools: Arc<Pools>,
    /// `FV_PUBLIC_URL`: where webhook subscriptions point.
    pub(super) public_url: Option<url::Url>,
    /// Ids of the connections whose tokens ask for the webhooks scope (live updates on, or a
    /// subscription still to delete), as the rows said at the last re-read.
    pub(super) live_scoped: RwLock<std::collections::HashSet<String>>,
}

impl ConnectionsService {
    /// The default environment's PAT exchange client (`FV_PAT`'s, the command line's).
    pub fn pat_client(&self) -> &PatClient {
        &self.sides[0].client
    }

    /// The PAT exchange and gateway of environment `name`; `None` for an environment no
    /// longer served, whose connections then do nothing (its PAT goes to no other provider).
    pub fn clients_of(&self, name: &str) -> Option<&EnvironmentClients> {
        self.sides.iter().find(|s| s.name == name)
    }

    /// The environments a connection may name.
    pub fn environments(&self) -> &[String] {
        &self.environments
    }

    /// The pools of this process.
    pub fn pools(&self) -> &Arc<Pools> {
        &self.pools
    }

    /// Every connection: `env` (from `FV_PAT`) first, then the stored ones by name.
    pub async fn list(&self) -> Result<Vec<Connection>, DbError> {
        let mut all: Vec<Connection> = self.env_connection().into_iter().collect();
        for row in self.db.connections_list().await? {
            all.push(self.to_connection(row));
        }
        Ok(all)
    }

    /// One connection by name.
    pub async fn get(&self, name: &str) -> Result<Option<Connection>, DbError> {
        if name == ENV_CONNECTION {
            return Ok(self.env_connection());
        }
        Ok(self
            .db
            .connection_get(name)
            .await?
            .map(|r| self.to_connection(r)))
    }

    /// The live PAT source of PAT connection `name` (`None` for a refresh-token one: see
    /// [`ConnectionsService::token_source`]).
    pub fn source(&self, name: &str) -> Option<Arc<PatTokenSource>> {
        match self.token_source(name)?.as_ref() {
            ConnectionSource::Pat(p) => Some(p.clone()),
            ConnectionSource::Refresh(_) => None,
        }
    }

    /// The live token source of `name`, whatever its kind.
    pub fn token_source(&self, name: &str) -> Option<Arc<ConnectionSource>> {
        if name == ENV_CONNECTION {
            let live = self
                .live_scoped
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .contains(ENV_CONNECTION);
            return self.env.as_ref().map(|e| {
                if live {
                    e.webhooks.clone()
                } else {
                    e.source.clone()
                }
            });
        }
        let live = self.live.read().unwrap_or_else(|p| p.into_inner());
        live.get(name).map(|(_, s)| s.clone())
    }

    /// The gateway as connection `c`: its tokens, every call inside a permit of its pool.
    /// `None` when it has no usable secret.
    pub async fn gateway_for(&self, c: &Connection) -> Result<Option<ConnectionGateway>, DbError> {
        let source = match self.token_source(c.name.as_str()) {
            Some(s) => s,
            // Saved on another replica since our last re-read (see `watch`): read the rows
            // now rather than fail a job with "save it again".
            None => {
                self.refresh_live().await?;
                let Some(s) = self.token_source(c.name.as_str()) else {
                    return Ok(None);
                };
                s
            }
        };
        let level = match &c.borrow_from {
            None => c.concurrency,
            Some(lender) => self
                .get(lender.as_str())
                .await?
                .map_or(c.concurrency, |l| l.concurrency),
        };
        let Some(side) = self.clients_of(&c.environment) else {
            return Ok(None);
        };
        let pool = self.pools.pool(c.pool().as_str(), level);
        let gateway = Arc::new(PooledGateway::new(side.gateway.clone(), pool));
        Ok(Some(AuthedGateway::new(gateway, source)))
    }

    /// The concurrency level of `c`'s pool (its lender's when it borrows).
    pub async fn pool_level(&self, c: &Connection) -> Result<u8, DbError> {
        Ok(match &c.borrow_from {
            None => c.concurrency,
            Some(l) => self
                .get(l.as_str())
                .await?
                .map_or(c.concurrency, |l| l.concurrency),
        })
    }

    pub(super) fn seal(&self, name: &ConnectionName, secret: &SecretString) -> String {
        let row = secret_row(name.as_str());
        let bytes = secret.expose_secret().as_bytes();
        self.cipher.seal_bytes(SECRET_PURPOSE, &[&row], bytes)
    }

    /// Opens a row's sealed secret; `None` when there is none or this key cannot open it.
    pub(super) fn open(&self, row: &ConnectionRow) -> Option<SecretString> {
        let sealed = row.sealed_secret.as_deref()?;
        let bound = secret_row(&row.name);
        let bytes = self
            .cipher
            .open_bytes(SECRET_PURPOSE, &[&bound], sealed)
            .ok()?;
        String::from_utf8(bytes).ok().map(SecretString::from)
    }

    /// Who authorized refresh-token connection `row` (sealed on its row; the tokens are in
    /// the vault); `None` when it was never authorized or this key cannot open it.
    pub(super) fn identity_of(&self, row: &ConnectionRow) -> Option<Identity> {
        serde_json::from_str(self.open(row)?.expose_secret()).ok()
    }

    fn to_connection(&self, row: ConnectionRow) -> Connection {
        let has_secret = if row.auth == AuthKind::RefreshToken.as_str() {
            self.identity_of(&row).is_some()
        } else {
            self.open(&row).is_some()
        };
        Connection {
            id: row.id,
            name: ConnectionName::parse(&row.name)
                .unwrap_or_else(|| ConnectionName::parse("invalid-name").expect("a slug")),
            environment: row.environment,
            auth: AuthKind::parse(&row.auth).unwrap_or(AuthKind::Pat),
            concurrency: u8::try_from(row.concurrency).unwrap_or(super::DEFAULT_CONCURRENCY),
            borrow_from: row.borrow_from.as_deref().and_then(ConnectionName::parse),
            email: row.email,
            last4: row.last4,
            verified_name: row.verified_name,
            status: Status::parse(&row.status),
            last_success_at: row.last_success_at,
            last_error: row.last_error,
            last_error_at: row.last_error_at,
            updated_by: row.updated_by,
            read_only: false,
            has_secret,
        }
    }

    fn env_connection(&self) -> Option<Connection> {
        let env = self.env.as_ref()?;
        let EnvStatus {
            status,
            success_at: success,
            error,
        } = env.status.read().unwrap_or_else(|p| p.into_inner()).clone();
        Some(Connection {
            id: ENV_CONNECTION.to_owned(),
            name: ConnectionName::parse(ENV_CONNECTION).expect("a slug"),
            environment: self.environments[0].clone(),
            auth: AuthKind::Pat,
            concurrency: env.concurrency,
            borrow_from: None,
            email: env.email.clone().unwrap_or_default(),
            last4: env.pat.last4(),
            verified_name: None,
            status,
            last_success_at: success,
            last_error: error.as_ref().map(|(m, _)| m.clone()),
            last_error_at: error.map(|(_, at)| at),
            updated_by: "FV_PAT".into(),
            read_only: true,
            has_secret: true,
        })
    }
}
