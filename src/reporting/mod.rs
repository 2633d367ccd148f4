//! Reporting through the service account (PAT), with nobody signed in: the
//! `projects export` command ([`export`]) and the scheduled per-phase snapshots
//! ([`snapshot`]) that feed the dashboard's trend chart.
//!
//! Both act as the PAT's own Filevine user in its organizations, so they keep working when
//! every user session has expired.

pub mod export;
pub mod snapshot;

use std::sync::Arc;

use crate::{
    filevine::{models::FvOrg, AuthedError, AuthedGateway, GatewayError, OrgContext},
    service_account::{PatError, PatTokenSource},
    state::AppState,
};

pub use snapshot::{run_snapshot_once, spawn_snapshots, SnapshotReport};

/// Why reporting work failed. Messages never carry the PAT or a token.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "no personal access token is configured (set FV_PAT, or save one on /settings/integration)"
    )]
    NoPat,
    #[error(transparent)]
    Pat(#[from] PatError),
    #[error("the gateway refused the service account's request: {0}")]
    Gateway(#[from] GatewayError),
    #[error("{0}")]
    Org(String),
    #[error("database: {0}")]
    Db(#[from] crate::store::DbError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<AuthedError<PatError>> for ReportError {
    fn from(e: AuthedError<PatError>) -> Self {
        match e {
            AuthedError::Token(p) => ReportError::Pat(p),
            AuthedError::Gateway(g) => ReportError::Gateway(g),
        }
    }
}

/// Who the PAT acts as: its Filevine user id and `(id, name)` of its organizations.
#[derive(Clone)]
pub struct PatAccount {
    /// The gateway with the PAT's tokens.
    pub gw: AuthedGateway<PatTokenSource>,
    pub user_id: i64,
    pub orgs: Vec<(i64, String)>,
}

impl PatAccount {
    /// Mints a token (one retry after a 401) and asks the gateway who it is.
    pub async fn resolve(
        state: &AppState,
        source: Arc<PatTokenSource>,
    ) -> Result<Self, ReportError> {
        let gw = AuthedGateway::new(state.gateway.clone(), source);
        let info = gw.user_orgs().await?;
        Ok(Self {
            gw,
            user_id: info.user.user_id.native,
            orgs: info.orgs.into_iter().map(FvOrg::into_id_and_name).collect(),
        })
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
