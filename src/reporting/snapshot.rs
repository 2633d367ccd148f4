//! The scheduled snapshot: every `FV_SNAPSHOT_MINUTES` (default 15; 0 turns it off) the
//! service account counts each of its orgs' projects per phase (archived included) and
//! records the counts in `fv_snapshots`. Nobody needs to be signed in; with no PAT the job
//! sleeps. The first run comes shortly after start, or when the interval since the newest
//! stored snapshot has passed, so a restart neither skips nor doubles a snapshot. A failure
//! is logged and recorded as the connection's last error; the job carries on.

use std::time::Duration;

use super::{PatAccount, ReportError};
use crate::{filevine::ProjectQuery, projects::summary::scan, state::AppState};

/// Default minutes between snapshots.
pub const DEFAULT_MINUTES: u64 = 15;
/// Delay of the first run after start (lets the server come up first).
const FIRST_RUN_DELAY: Duration = Duration::from_secs(30);

/// What one run recorded.
#[derive(Clone, Debug)]
pub struct SnapshotReport {
    pub taken_at: i64,
    /// `(org_id, [(phase, count)])`.
    pub orgs: Vec<(i64, Vec<(String, i64)>)>,
}

/// The interval from `FV_SNAPSHOT_MINUTES` (`None`: off).
pub fn interval_from_env() -> Option<Duration> {
    let minutes = match std::env::var("FV_SNAPSHOT_MINUTES") {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(m) => m,
            Err(_) => {
                tracing::warn!(value = %v, "FV_SNAPSHOT_MINUTES is not a whole number of minutes; using {DEFAULT_MINUTES}");
                DEFAULT_MINUTES
            }
        },
        Err(_) => DEFAULT_MINUTES,
    };
    (minutes > 0).then(|| Duration::from_secs(minutes * 60))
}

/// Takes one snapshot of every org of the current PAT. Records a failure as the connection's
/// last error (and logs it) before returning it.
pub async fn run_snapshot_once(state: &AppState) -> Result<SnapshotReport, ReportError> {
    let result = snapshot(state).await;
    match &result {
        Ok(r) => {
            tracing::info!(orgs = r.orgs.len(), "reporting snapshot recorded");
            if let Err(e) = state.db.integration_set_status(None, None).await {
                tracing::warn!(error = %e, "could not clear the connection's last error");
            }
        }
        Err(ReportError::NoPat) => {}
        Err(e) => {
            tracing::warn!(error = %e, "reporting snapshot failed");
            let message = format!("Scheduled snapshot failed: {e}");
            if let Err(db) = state.db.integration_set_status(Some(&message), None).await {
                tracing::warn!(error = %db, "could not record the snapshot failure");
            }
        }
    }
    result
}

async fn snapshot(state: &AppState) -> Result<SnapshotReport, ReportError> {
    let source = state.pat.current().ok_or(ReportError::NoPat)?;
    let account = PatAccount::resolve(state, source).await?;
    let taken_at = state.clock.now_unix();
    let mut orgs = Vec::new();
    for (org_id, _) in &account.orgs {
        let ctx = account.ctx(*org_id);
        let filters = ProjectQuery {
            exclude_archived: false,
            ..ProjectQuery::default()
        };
        let fetch = account.gw.page_fetcher(ctx);
        let summary = scan(filters, state.settings.gateway.concurrency, fetch).await?;
        let counts: Vec<(String, i64)> = summary
            .phases
            .iter()
            .map(|(p, c)| (p.clone(), i64::try_from(*c).unwrap_or(i64::MAX)))
            .collect();
        state.db.snapshot_put(*org_id, taken_at, &counts).await?;
        orgs.push((*org_id, counts));
    }
    Ok(SnapshotReport { taken_at, orgs })
}

/// Starts the scheduled job (unless `FV_SNAPSHOT_MINUTES=0`). It checks for a PAT at every
/// tick, so one saved later on the settings page is picked up without a restart.
pub fn spawn_snapshots(state: AppState) {
    let Some(every) = interval_from_env() else {
        tracing::info!("reporting snapshots are off (FV_SNAPSHOT_MINUTES=0)");
        return;
    };
    tokio::spawn(async move {
        let now = state.clock.now_unix();
        let first = match state.db.snapshot_latest().await {
            Ok(Some(t)) => {
                let due = t.saturating_add(every.as_secs() as i64) - now;
                Duration::from_secs(due.max(0) as u64).max(FIRST_RUN_DELAY)
            }
            _ => FIRST_RUN_DELAY,
        };
        tokio::time::sleep(first).await;
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if state.pat.current().is_none() {
                continue;
            }
            // Replicas sharing a database each run this loop: skip when another one has
            // recorded a snapshot within the last half interval.
            let now = state.clock.now_unix();
            let half = (every.as_secs() / 2) as i64;
            if let Ok(Some(latest)) = state.db.snapshot_latest().await {
                if latest > now - half {
                    continue;
                }
            }
            let _ = run_snapshot_once(&state).await;
        }
    });
}
