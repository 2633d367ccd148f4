//! Reporting through the service account (PAT), with nobody signed in: the
//! `projects export` command ([`export`]) and the scheduled per-phase snapshots
//! ([`snapshot`]) that feed the dashboard's trend chart.
//!
//! Both act as the PAT's own Filevine user in its organizations, so they keep working when
//! every user session has expired.

pub mod export;
pub mod snapshot;

use crate::filevine::models::FvOrg;
use std::sync::Arc;

use crate::{
    filevine::{GatewayError, OrgContext, ProjectPage, ProjectQuery},
    service_account::{with_pat_token, PatCallError, PatError, PatTokenSource},
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

impl From<PatCallError> for ReportError {
    fn from(e: PatCallError) -> Self {
        match e {
            PatCallError::Pat(p) => ReportError::Pat(p),
            PatCallError::Gateway(g) => ReportError::Gateway(g),
        }
    }
}

/// Who the PAT acts as: its Filevine user id and `(id, name)` of its organizations.
#[derive(Clone)]
pub struct PatAccount {
    pub source: Arc<PatTokenSource>,
    pub user_id: i64,
    pub orgs: Vec<(i64, String)>,
}

impl PatAccount {
    /// Mints a token (one retry after a 401) and asks the gateway who it is.
    pub async fn resolve(
        state: &AppState,
        source: Arc<PatTokenSource>,
    ) -> Result<Self, ReportError> {
        let gw = state.gateway.clone();
        let info = with_pat_token(&source, |t| {
            let gw = gw.clone();
            async move { gw.user_orgs(&t).await }
        })
        .await?;
        Ok(Self {
            source,
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

/// One page of projects with the PAT's token (one fresh token and retry after a 401). A
/// refused PAT shows as `Unauthorized` (logged with the reason), so it fits page walkers.
pub async fn pat_projects(
    state: &AppState,
    source: &PatTokenSource,
    ctx: OrgContext,
    query: ProjectQuery,
) -> Result<ProjectPage, GatewayError> {
    let gw = state.gateway.clone();
    with_pat_token(source, |t| {
        let (gw, q) = (gw.clone(), query.clone());
        async move { gw.projects(&t, ctx, &q).await }
    })
    .await
    .map_err(|e| match e {
        PatCallError::Gateway(g) => g,
        PatCallError::Pat(p) => {
            tracing::warn!(error = %p, "the service account's token could not be minted");
            GatewayError::Unauthorized
        }
    })
}
