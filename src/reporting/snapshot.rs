//! The scheduled snapshot: every `FV_SNAPSHOT_MINUTES` (default 15; 0 turns it off) each
//! connection counts its orgs' projects per phase (archived included) and records the counts
//! in `fv_phase_snapshots`, by environment. Nobody needs to be signed in; with no connection the job sleeps, and a
//! connection that needs authorization is skipped (logged, counted in a metric, shown on the
//! settings page). The first run comes shortly after start, or when the interval since the newest
//! stored snapshot has passed, so a restart neither skips nor doubles a snapshot. A failure
//! is logged and recorded as the connection's status and last error; the job carries on.

use std::time::Duration;

use super::{PatAccount, ReportError};
use crate::{filevine::ProjectQuery, projects::summary::scan, state::AppState};

/// Delay of the first run after start (lets the server come up first).
const FIRST_RUN_DELAY: Duration = Duration::from_secs(30);

/// `(phase, count)` of one org at one moment.
pub type PhaseCounts = Vec<(String, i64)>;

/// What one run recorded.
#[derive(Clone, Debug)]
pub struct SnapshotReport {
    pub taken_at: i64,
    /// `(environment, org_id, counts)`.
    pub orgs: Vec<(String, i64, PhaseCounts)>,
    /// Connections skipped because they need authorization.
    pub skipped: Vec<String>,
}

/// Takes one snapshot of every org of every usable connection (an org seen by several
/// connections of one environment is counted once, through the first by name). A connection that needs
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
                reason = c.last_error.as_deref().unwrap_or_default(),
                "snapshot paused: the connection needs authorization; it resumes by itself at its first good health check"
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
    let environment = account.environment.as_str();
    for (org_id, _) in &account.orgs {
        if report
            .orgs
            .iter()
            .any(|(e, o, _)| e == environment && o == org_id)
        {
            continue;
        }
        let counts = record_org(state, (&account, name), *org_id, report.taken_at).await?;
        report.orgs.push((environment.to_owned(), *org_id, counts));
    }
    Ok(())
}

/// Counts `org_id`'s projects per phase (archived included) through `account` (the
/// connection `name`'s) and records them as the org's snapshot at `taken_at`.
pub(super) async fn record_org(
    state: &AppState,
    (account, name): (&PatAccount, &str),
    org_id: i64,
    taken_at: i64,
) -> Result<PhaseCounts, ReportError> {
    let filters = ProjectQuery {
        exclude_archived: false,
        ..ProjectQuery::default()
    };
    let fetch = account.gw.page_fetcher(account.ctx(org_id));
    let summary = scan(filters, account.concurrency, fetch).await?;
    let counts: PhaseCounts = summary
        .phases
        .iter()
        .map(|(p, c)| (p.clone(), i64::try_from(*c).unwrap_or(i64::MAX)))
        .collect();
    let environment = account.environment.as_str();
    state
        .db
        .snapshot_put((environment, name), org_id, taken_at, &counts)
        .await?;
    Ok(counts)
}

/// Starts the scheduled job (unless `FV_SNAPSHOT_MINUTES=0`). It lists the connections at
/// every tick, so one saved later on the settings page is picked up without a restart. It
/// sleeps on the app [`Clock`](crate::util::Clock), so a test that moves the clock makes a
/// run due at once.
pub fn spawn_snapshots(state: AppState) {
    let Some(every) = state.settings.service_account.snapshot_every else {
        tracing::info!("reporting snapshots are off (FV_SNAPSHOT_MINUTES=0)");
        return;
    };
    tokio::spawn(async move {
        let latest = state.db.snapshot_latest().await.ok().flatten();
        let first = first_run_delay(latest, state.clock.now_unix(), every);
        state.clock.sleep(first).await;
        loop {
            let started = state.clock.now_unix();
            let due = due_connections(&state, every).await;
            if !due.is_empty() {
                let _ = run_snapshots(&state, Some(&due)).await;
            }
            // The next tick is one interval after this one began, however long the run took.
            let spent = state.clock.now_unix().saturating_sub(started).max(0) as u64;
            state
                .clock
                .sleep(every.saturating_sub(Duration::from_secs(spent)))
                .await;
        }
    });
}

/// When the first run comes: [`FIRST_RUN_DELAY`] after start, or later when the newest
/// stored snapshot is younger than an interval, so a restart neither skips nor doubles one.
fn first_run_delay(latest: Option<i64>, now: i64, every: Duration) -> Duration {
    match latest {
        Some(t) => {
            let due = t.saturating_add(every.as_secs() as i64) - now;
            Duration::from_secs(due.max(0) as u64).max(FIRST_RUN_DELAY)
        }
        None => FIRST_RUN_DELAY,
    }
}

/// The connections this process runs at this tick. Replicas sharing a database each run the
/// loop, and each connection keeps its own schedule: a connection is due when nobody (no
/// replica) recorded a snapshot through it, or claimed its run, within the last half interval.
/// The claim is one atomic write, so replicas ticking at the same moment run it once.
async fn due_connections(state: &AppState, every: Duration) -> Vec<String> {
    let now = state.clock.now_unix();
    let half = (every.as_secs() / 2) as i64;
    let Ok(all) = state.connections.list().await else {
        return Vec::new();
    };
    let mut due = Vec::new();
    for c in &all {
        let name = c.name.as_str();
        let recent =
            matches!(state.db.snapshot_latest_of(name).await, Ok(Some(t)) if t > now - half);
        if recent {
            continue;
        }
        match state.db.snapshot_claim(name, now, now - half).await {
            Ok(true) => due.push(name.to_owned()),
            Ok(false) => tracing::debug!(connection = name, "snapshot claimed by another replica"),
            Err(e) => {
                tracing::warn!(error = %e, connection = name, "could not claim a snapshot run")
            }
        }
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY: Duration = Duration::from_secs(15 * 60);

    #[test]
    fn the_first_run_waits_for_the_interval_since_the_newest_snapshot() {
        assert_eq!(first_run_delay(None, 10_000, EVERY), FIRST_RUN_DELAY);
        // Taken 5 minutes ago: due in 10.
        assert_eq!(
            first_run_delay(Some(10_000 - 300), 10_000, EVERY),
            Duration::from_secs(600)
        );
        // Long overdue, or due in a moment: still after the start-up delay.
        assert_eq!(first_run_delay(Some(0), 10_000, EVERY), FIRST_RUN_DELAY);
        assert_eq!(
            first_run_delay(Some(10_000 - 890), 10_000, EVERY),
            FIRST_RUN_DELAY
        );
    }
}
