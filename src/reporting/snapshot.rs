//! The scheduled snapshot: every `FV_SNAPSHOT_MINUTES` (default 15; 0 turns it off) each
//! connection counts its orgs' projects per phase (archived included) and records the counts
//! in `fv_snapshots`. Nobody needs to be signed in; with no connection the job sleeps, and a
//! connection that needs authorization is skipped (logged, counted in a metric, shown on the
//! settings page). The first run comes shortly after start, or when the interval since the newest
//! stored snapshot has passed, so a restart neither skips nor doubles a snapshot. A failure
//! is logged and recorded as the connection's status and last error; the job carries on.

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
    /// Connections skipped because they need authorization.
    pub skipped: Vec<String>,
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

/// Takes one snapshot of every org of every usable connection (an org seen by several
/// connections is counted once, through the first by name). A connection that needs
/// authorization is skipped and named in the report; each connection's outcome is recorded as
/// its status. Fails only when no connection could take its snapshot: with the first error.
pub async fn run_snapshot_once(state: &AppState) -> Result<SnapshotReport, ReportError> {
    run_snapshots(state, None).await
}

/// [`run_snapshot_once`] for the connections named in `only` (all when `None`).
pub async fn run_snapshots(
    state: &AppState,
    only: Option<&[String]>,
) -> Result<SnapshotReport, ReportError> {
    let mut all = state.connections.list().await?;
    if let Some(names) = only {
        all.retain(|c| names.iter().any(|n| n == c.name.as_str()));
    }
    if all.is_empty() {
        return Err(ReportError::NoPat);
    }
    let taken_at = state.clock.now_unix();
    let mut report = SnapshotReport {
        taken_at,
        orgs: Vec::new(),
        skipped: Vec::new(),
    };
    let mut first_error = None;
    let mut succeeded = false;
    for c in &all {
        let name = c.name.as_str();
        if c.needs_authorization() {
            tracing::warn!(
                connection = name,
                "snapshot skipped: the connection needs authorization"
            );
            crate::metrics::connection_failure(name, "skipped");
            report.skipped.push(name.to_owned());
            continue;
        }
        match snapshot(state, name, &mut report).await {
            Ok(()) => {
                succeeded = true;
                log_db(state.connections.record_ok(name).await);
            }
            Err(e) => {
                tracing::warn!(error = %e, connection = name, "reporting snapshot failed");
                let message = format!("Scheduled snapshot failed: {e}");
                let status = e.connection_status();
                log_db(state.connections.record_error(name, status, &message).await);
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if !succeeded => Err(e),
        _ if !succeeded => Err(ReportError::Connection(format!(
            "every connection needs authorization: {}",
            report.skipped.join(", ")
        ))),
        _ => {
            tracing::info!(orgs = report.orgs.len(), "reporting snapshot recorded");
            Ok(report)
        }
    }
}

fn log_db(result: Result<(), crate::store::DbError>) {
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a connection's status");
    }
}

/// One connection's orgs, those not counted yet in `report`, recorded under its name.
async fn snapshot(
    state: &AppState,
    name: &str,
    report: &mut SnapshotReport,
) -> Result<(), ReportError> {
    let account = PatAccount::of_connection(state, name).await?;
    for (org_id, _) in &account.orgs {
        if report.orgs.iter().any(|(o, _)| o == org_id) {
            continue;
        }
        let ctx = account.ctx(*org_id);
        let filters = ProjectQuery {
            exclude_archived: false,
            ..ProjectQuery::default()
        };
        let fetch = account.gw.page_fetcher(ctx);
        let summary = scan(filters, account.concurrency, fetch).await?;
        let counts: Vec<(String, i64)> = summary
            .phases
            .iter()
            .map(|(p, c)| (p.clone(), i64::try_from(*c).unwrap_or(i64::MAX)))
            .collect();
        state
            .db
            .snapshot_put(name, *org_id, report.taken_at, &counts)
            .await?;
        report.orgs.push((*org_id, counts));
    }
    Ok(())
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
            // Replicas sharing a database each run this loop, and each connection keeps its
            // own schedule: a connection is due when nobody recorded a snapshot through it
            // within the last half interval.
            let now = state.clock.now_unix();
            let half = (every.as_secs() / 2) as i64;
            let Ok(all) = state.connections.list().await else {
                continue;
            };
            let mut due = Vec::new();
            for c in &all {
                let latest = state.db.snapshot_latest_of(c.name.as_str()).await;
                if matches!(latest, Ok(None)) || matches!(latest, Ok(Some(t)) if t <= now - half) {
                    due.push(c.name.to_string());
                }
            }
            if due.is_empty() {
                continue;
            }
            let _ = run_snapshots(&state, Some(&due)).await;
        }
    });
}
