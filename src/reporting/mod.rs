//! Reporting through a connection ([`crate::connections`]), with nobody signed in: the
//! `projects export` command ([`export`]), the feed keys of BI tools ([`feeds`]) and the
//! scheduled per-phase snapshots
//! ([`snapshot`], every connection's orgs) that feed the dashboard's trend chart.
//!
//! Both act as the connection's own Filevine user in its organizations, so they keep working
//! when every user session has expired, and every call takes a permit of its pool.

pub mod change_snapshot;
pub mod export;
pub mod feed_checks;
pub mod feeds;
pub mod snapshot;

use crate::{
    auth::VaultError,
    connections::{ConnectionGateway, SourceError},
    filevine::{models::FvOrg, AuthedError, GatewayError, OrgContext},
    service_account::PatError,
    state::AppState,
};

pub use snapshot::{run_snapshot_once, run_snapshots, spawn_snapshots, SnapshotReport};

/// Why reporting work failed. Messages never carry the PAT or a token.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "no personal access token is configured (set FV_PAT, or save a connection on /settings/connections)"
    )]
    NoPat,
    /// No such connection, or one that cannot be used; the message says which exist.
    #[error("{0}")]
    Connection(String),
    #[error(transparent)]
    Pat(#[from] PatError),
    /// A refresh-token connection's token could not be had (refused, provider down).
    #[error("the connection's refresh token: {0}")]
    Refresh(#[from] VaultError),
    #[error("the gateway refused the service account's request: {0}")]
    Gateway(#[from] GatewayError),
    #[error("{0}")]
    Org(String),
    #[error("database: {0}")]
    Db(#[from] crate::store::DbError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ReportError {
    /// The status a connection is left in by this failure.
    pub fn connection_status(&self) -> crate::connections::Status {
        use crate::connections::{status_of_gateway, status_of_pat, status_of_vault, Status};
        match self {
            ReportError::Pat(p) => status_of_pat(p),
            ReportError::Refresh(v) => status_of_vault(v),
            ReportError::Gateway(g) => status_of_gateway(g),
            ReportError::NoPat | ReportError::Connection(_) => Status::NeedsAuthorization,
            ReportError::Org(_) | ReportError::Db(_) | ReportError::Io(_) => Status::Unreachable,
        }
    }
}

impl From<AuthedError<SourceError>> for ReportError {
    fn from(e: AuthedError<SourceError>) -> Self {
        match e {
            AuthedError::Token(SourceError::Pat(p)) => ReportError::Pat(p),
            AuthedError::Token(SourceError::Refresh(v)) => ReportError::Refresh(v),
            AuthedError::Gateway(g) => ReportError::Gateway(g),
        }
    }
}

/// Who a connection acts as: its Filevine user id and `(id, name)` of its organizations.
#[derive(Clone)]
pub struct PatAccount {
    /// The gateway with the connection's tokens (inside its pool).
    pub gw: ConnectionGateway,
    pub user_id: i64,
    pub orgs: Vec<(i64, String)>,
    /// Pages fetched at once by walks: the level of the connection's pool.
    pub concurrency: usize,
    /// The environment the ids belong to (the connection's): part of every key of them.
    pub environment: String,
}

impl PatAccount {
    /// Mints a token (one retry after a 401) and asks the gateway who it is.
    pub async fn resolve(
        gw: ConnectionGateway,
        concurrency: usize,
        environment: String,
    ) -> Result<Self, ReportError> {
        let info = gw.user_orgs().await?;
        Ok(Self {
            gw,
            user_id: info.user.user_id.native,
            orgs: info.orgs.into_iter().map(FvOrg::into_id_and_name).collect(),
            concurrency,
            environment,
        })
    }

    /// The account of the connection `name`: its gateway inside its pool.
    pub async fn of_connection(state: &AppState, name: &str) -> Result<Self, ReportError> {
        let connections = &state.connections;
        let c = connections.get(name).await?.ok_or_else(|| {
            ReportError::Connection(format!("there is no connection named `{name}`"))
        })?;
        let level = connections.pool_level(&c).await?;
        let gw = connections.gateway_for(&c).await?.ok_or_else(|| {
            ReportError::Connection(format!(
                "the connection `{name}` has no usable secret: save it again (or, for a refresh-token connection, authorize it) on /settings/connections"
            ))
        })?;
        Self::resolve(gw, usize::from(level), c.environment).await
    }

    /// The org to work in: `requested` if the PAT's user is in it, else the only org.
    pub fn pick_org(&self, requested: Option<i64>) -> Result<(i64, String), ReportError> {
        let list = || {
            self.orgs
                .iter()
                .map(|(id, n)| format!("{n} (#{id})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (requested, self.orgs.as_slice()) {
            (Some(id), orgs) => orgs.iter().find(|(o, _)| *o == id).cloned().ok_or_else(|| {
                ReportError::Org(format!(
                    "the service account is not in organization {id}; it is in: {}",
                    if orgs.is_empty() {
                        "none".to_owned()
                    } else {
                        list()
                    }
                ))
            }),
            (None, [only]) => Ok(only.clone()),
            (None, []) => Err(ReportError::Org(
                "the service account belongs to no organization".into(),
            )),
            (None, _) => Err(ReportError::Org(format!(
                "the service account is in several organizations; choose one with --org: {}",
                list()
            ))),
        }
    }

    /// The gateway context for `org_id`.
    pub fn ctx(&self, org_id: i64) -> OrgContext {
        OrgContext {
            org_id,
            user_id: self.user_id,
        }
    }
}
