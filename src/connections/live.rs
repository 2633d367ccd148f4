//! The live side of [`ConnectionsService`]: start-up (the `env` connection from `FV_PAT` and
//! the one-time move of the old integration PAT into `default`), the token sources kept in
//! step with the rows on every replica, Test, and the status every use records.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use secrecy::SecretString;

use super::{
    service::{
        ConnectionsService, EnvConnection, EnvStatus, EnvironmentClients, TestOutcome, WATCH_EVERY,
    },
    source::{ConnectionSource, RefreshSource},
    AuthKind, ConnectionName, PooledGateway, Pools, Status, DEFAULT_CONNECTION,
};
use crate::{
    auth::{TokenVault, VaultOwner},
    crypto::Cipher,
    filevine::{webhooks::WEBHOOKS_SCOPE, AuthedGateway, GatewayError},
    service_account::{verify, PatError, VerifyError, PAT_PURPOSE, PAT_ROW},
    store::{ConnectionRow, Db, DbError},
    util::Clock,
};

/// What start-up hands the service.
pub struct ConnectionsConfig {
    pub db: Db,
    pub cipher: Cipher,
    /// Each served environment's PAT exchange and gateway, the default one first (`FV_PAT`'s
    /// and the moved `default`'s).
    pub environments: Vec<EnvironmentClients>,
    pub clock: Clock,
    /// Where refresh-token connections keep their tokens.
    pub vault: Arc<TokenVault>,
    /// `FV_PAT` and `FV_SERVICE_ACCOUNT_EMAIL`.
    pub env_pat: Option<SecretString>,
    pub env_email: Option<String>,
    /// `FV_CONCURRENCY`: the level of the `env` connection and of the moved `default`.
    pub concurrency: u8,
    /// `FV_PUBLIC_URL`: where live updates' webhook subscriptions point.
    pub public_url: Option<url::Url>,
}

impl ConnectionsService {
    /// Builds the service, moves the old integration PAT into `default` (once; every
    /// replica may try) and loads the stored connections' sources. A database error while
    /// loading is logged: the watch retries.
    pub async fn load(config: ConnectionsConfig) -> Arc<Self> {
        let pools = Pools::new(config.db.clone(), config.clock.clone());
        let env = config.env_pat.map(|pat| {
            let source = config.environments[0].client.source(pat);
            (Arc::new(ConnectionSource::Pat(source.clone())), source)
        });
        let env = env.map(|(source, pat)| EnvConnection {
            webhooks: Arc::new(ConnectionSource::Pat(pat.with_extra_scope(WEBHOOKS_SCOPE))),
            source,
            pat,
            email: config.env_email,
            concurrency: config.concurrency,
            status: RwLock::new(EnvStatus {
                status: Status::Untested,
                success_at: None,
                error: None,
            }),
        });
        let service = Arc::new(Self {
            db: config.db,
            cipher: config.cipher,
            environments: config.environments.iter().map(|e| e.name.clone()).collect(),
            sides: config.environments,
            clock: config.clock,
            vault: config.vault,
            env,
            live: RwLock::new(HashMap::new()),
            pools,
            public_url: config.public_url,
            live_scoped: RwLock::new(Default::default()),
        });
        if let Err(e) = service.move_integration_row(config.concurrency).await {
            tracing::warn!(error = %e, "could not move the saved integration PAT into a connection");
        }
        if let Err(e) = service.refresh_live().await {
            tracing::warn!(error = %e, "could not load the stored connections");
        }
        service
    }

    /// The PAT saved on the old `/settings/integration` page becomes the connection
    /// `default` (re-sealed for its new row), and the old row goes.
    async fn move_integration_row(&self, concurrency: u8) -> Result<(), DbError> {
        let Some(old) = self.db.integration_get().await? else {
            return Ok(());
        };
        let pat = old
            .sealed_pat
            .as_deref()
            .and_then(|s| self.cipher.open_bytes(PAT_PURPOSE, PAT_ROW, s).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .map(SecretString::from);
        let name = ConnectionName::parse(DEFAULT_CONNECTION).expect("a slug");
        let (status, error) = match (&pat, &old.last_error) {
            (None, _) => (
                Status::NeedsAuthorization,
                Some("The saved PAT cannot be decrypted with the current FV_SECRET_KEY: verify and save it again.".to_owned()),
            ),
            (Some(_), Some(e)) => (Status::Untested, Some(e.clone())),
            (Some(_), None) => (Status::Ok, None),
        };
        let row = ConnectionRow {
            id: String::new(),
            name: name.to_string(),
            environment: self.environments[0].clone(),
            auth: "pat".into(),
            concurrency: i64::from(concurrency),
            borrow_from: None,
            sealed_secret: pat.as_ref().map(|p| self.seal(&name, p)),
            last4: old.last4.clone(),
            email: old.email.clone(),
            verified_name: old.verified_name.clone(),
            status: status.as_str().into(),
            last_success_at: old.verified_at.filter(|_| status == Status::Ok),
            last_error: error,
            last_error_at: old.last_error.as_ref().map(|_| old.updated_at),
            updated_by: old.updated_by.clone(),
            updated_at: self.clock.now_unix(),
        };
        if self.db.connection_insert_new(&row).await? {
            let what =
                "moved the service-account PAT saved on /settings/integration into this connection";
            self.audit(DEFAULT_CONNECTION, &old.updated_by, what)
                .await?;
            self.db.integration_delete().await?;
            tracing::info!("the saved integration PAT is now the connection `default`");
        } else {
            tracing::warn!("a connection named `default` exists already; the PAT saved on /settings/integration was left where it was");
        }
        Ok(())
    }

    /// Makes the live sources match the rows: a new sealed secret gets a new source (so a
    /// refusal remembered for the old PAT does not stick), a removed row drops its source.
    pub async fn refresh_live(&self) -> Result<(), DbError> {
        let rows = self.db.connections_list().await?;
        let scoped = self
            .db
            .live_subscriptions()
            .await?
            .into_iter()
            .filter(|r| r.wanted == "on" || r.subscription_id.is_some())
            .map(|r| r.connection_id)
            .collect();
        *self.live_scoped.write().unwrap_or_else(|p| p.into_inner()) = scoped;
        let mut live = self.live.write().unwrap_or_else(|p| p.into_inner());
        live.retain(|name, _| rows.iter().any(|r| &r.name == name));
        drop(live);
        for row in &rows {
            self.apply_row(row);
        }
        Ok(())
    }

    /// Makes `row`'s secret the live source of its connection, unless it already is: a PAT
    /// connection's PAT (asking for the webhooks scope too while its live updates need it),
    /// or the identity a refresh-token connection was authorized as (whose tokens are in the
    /// vault).
    pub(super) fn apply_row(&self, row: &ConnectionRow) {
        let webhooks = self
            .live_scoped
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&row.id);
        let mut live = self.live.write().unwrap_or_else(|p| p.into_inner());
        let Some(sealed) = row.sealed_secret.clone() else {
            live.remove(&row.name);
            return;
        };
        // The source is made anew when the secret or the scopes it asks for change.
        let sealed = if webhooks {
            format!("{sealed}+{WEBHOOKS_SCOPE}")
        } else {
            sealed
        };
        if live.get(&row.name).is_some_and(|(s, _)| *s == sealed) {
            return;
        }
        let Some(side) = self.clients_of(&row.environment) else {
            tracing::warn!(connection = %row.name, environment = %row.environment, "connection of an environment that is not served: left unused");
            live.remove(&row.name);
            return;
        };
        let source = if row.auth == AuthKind::RefreshToken.as_str() {
            self.identity_of(row).map(|identity| {
                ConnectionSource::Refresh(Box::new(RefreshSource {
                    vault: self.vault.clone(),
                    owner: VaultOwner::connection(&row.name, &row.environment, identity),
                    name: row.name.clone(),
                    db: self.db.clone(),
                    clock: self.clock.clone(),
                }))
            })
        } else {
            self.open(row).map(|pat| {
                let source = side.client.source(pat);
                ConnectionSource::Pat(if webhooks {
                    source.with_extra_scope(WEBHOOKS_SCOPE)
                } else {
                    source
                })
            })
        };
        match source {
            Some(source) => {
                live.insert(row.name.clone(), (sealed, Arc::new(source)));
            }
            None => {
                tracing::warn!(connection = %row.name, "a connection's secret cannot be opened (was FV_SECRET_KEY changed?); save it again on /settings/connections");
                live.remove(&row.name);
            }
        }
    }

    /// Every [`WATCH_EVERY`], re-reads the rows so a Save or Remove on another replica
    /// takes effect here.
    pub fn watch(self: Arc<Self>) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(WATCH_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = self.refresh_live().await {
                    // The sources we have stay; the next tick retries.
                    tracing::debug!(error = %e, "could not re-read the connections");
                }
            }
        });
    }

    /// A live check of `name` (exchange + who it acts as, inside its pool), recorded as its
    /// status.
    pub async fn test(&self, name: &str) -> Result<TestOutcome, DbError> {
        let Some(c) = self.get(name).await? else {
            return Ok(TestOutcome::NothingToTest);
        };
        let Some(source) = self.token_source(name) else {
            return Ok(TestOutcome::NothingToTest);
        };
        let Some(side) = self.clients_of(&c.environment) else {
            return Ok(TestOutcome::NothingToTest);
        };
        let level = self.pool_level(&c).await?;
        let pool = self.pools.pool(c.pool().as_str(), level);
        let gateway = PooledGateway::new(side.gateway.clone(), pool);
        let pat = match source.as_ref() {
            ConnectionSource::Pat(pat) => pat.clone(),
            ConnectionSource::Refresh(_) => {
                let authed = AuthedGateway::new(Arc::new(gateway), source);
                return self.test_refresh(name, &authed).await;
            }
        };
        let expected = Some(c.email.as_str()).filter(|e| !e.is_empty());
        match verify(&pat, &gateway, expected).await {
            Ok(v) => {
                self.record_ok(name).await?;
                Ok(TestOutcome::Works(v))
            }
            Err(e) => {
                let status = status_of_verify(&e);
                self.record_error(name, status, &e.to_string()).await?;
                Ok(TestOutcome::Fails(status, e))
            }
        }
    }

    /// Test of a refresh-token connection: a token (refreshed if due) and who it acts as.
    async fn test_refresh(
        &self,
        name: &str,
        gw: &super::ConnectionGateway,
    ) -> Result<TestOutcome, DbError> {
        use crate::filevine::AuthedError;
        let (status, message) = match gw.user_orgs().await {
            Ok(info) => {
                self.record_ok(name).await?;
                return Ok(TestOutcome::Works(self.acts_as(gw, info).await));
            }
            Err(AuthedError::Token(t)) => (t.status(), t.to_string()),
            Err(AuthedError::Gateway(g)) => (status_of_gateway(&g), g.to_string()),
        };
        self.record_error(name, status, &message).await?;
        Ok(TestOutcome::Refused(status, message))
    }

    /// Who a refresh-token connection acts as, with its current token's lifetime.
    async fn acts_as(
        &self,
        gw: &super::ConnectionGateway,
        info: crate::filevine::models::UserOrgs,
    ) -> crate::service_account::Verified {
        let tokens = match gw.source() {
            ConnectionSource::Refresh(r) => self.vault.load_for(&r.owner).await.ok().flatten(),
            ConnectionSource::Pat(_) => None,
        };
        let user = info.user;
        let name = [user.first_name.as_deref(), user.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        crate::service_account::Verified {
            name: if name.is_empty() {
                user.email.clone().unwrap_or_default()
            } else {
                name
            },
            email: user.email,
            user_type: user.user_type,
            orgs: info
                .orgs
                .into_iter()
                .map(|o| o.into_id_and_name())
                .collect(),
            token_lifetime_secs: tokens
                .as_ref()
                .map_or(0, |t| (t.expires_at - t.issued_at).max(0) as u64),
            token_valid_until: tokens.as_ref().map_or(0, |t| t.expires_at),
            granted_scopes: tokens
                .and_then(|t| t.scope)
                .map(|s| s.split(' ').map(str::to_owned).collect())
                .unwrap_or_default(),
            warnings: Vec::new(),
        }
    }

    /// Records a successful use of `name`.
    pub async fn record_ok(&self, name: &str) -> Result<(), DbError> {
        let now = self.clock.now_unix();
        if let Some(env) = self.env.as_ref().filter(|_| name == super::ENV_CONNECTION) {
            let mut s = env.status.write().unwrap_or_else(|p| p.into_inner());
            s.status = Status::Ok;
            s.success_at = Some(now);
            return Ok(());
        }
        self.db
            .connection_set_status(name, Status::Ok.as_str(), Some(now), None)
            .await
    }

    /// Records a failed use of `name`. `message` must hold no secret (errors never do).
    pub async fn record_error(
        &self,
        name: &str,
        status: Status,
        message: &str,
    ) -> Result<(), DbError> {
        let now = self.clock.now_unix();
        crate::metrics::connection_failure(name, status.as_str());
        if let Some(env) = self.env.as_ref().filter(|_| name == super::ENV_CONNECTION) {
            let mut s = env.status.write().unwrap_or_else(|p| p.into_inner());
            s.status = status;
            s.error = Some((message.to_owned(), now));
            return Ok(());
        }
        self.db
            .connection_set_status(name, status.as_str(), None, Some((message, now)))
            .await
    }
}

/// The status a failed token exchange leaves: a refusal needs an admin, an outage passes.
pub fn status_of_pat(e: &PatError) -> Status {
    if e.is_transient() {
        Status::Unreachable
    } else {
        Status::NeedsAuthorization
    }
}

/// The status a failed gateway call leaves.
pub fn status_of_gateway(e: &GatewayError) -> Status {
    match e {
        GatewayError::Unauthorized | GatewayError::Forbidden(_) => Status::NeedsAuthorization,
        _ => Status::Unreachable,
    }
}

/// The status a failed verification leaves.
pub fn status_of_verify(e: &VerifyError) -> Status {
    match e {
        VerifyError::Pat(p) => status_of_pat(p),
        VerifyError::Gateway(g) => status_of_gateway(g),
        VerifyError::EmailMismatch { .. } => Status::NeedsAuthorization,
    }
}
