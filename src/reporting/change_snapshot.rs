//! The per-phase trend records the change a delivery brings. When live data says an org's
//! projects changed ([`crate::live::LiveHub`]), the org is counted again through a connection
//! that serves it and recorded as a snapshot at once, so the trend shows a phase move when it
//! happened, not at the next scheduled snapshot (`FV_SNAPSHOT_MINUTES` later at worst, and a
//! move undone within one interval never).
//!
//! Bounded, since each count is a scan of the org: the deliveries of one burst are counted
//! once, [`SETTLE`] after the first; an org is counted at most once per [`GAP`] (a change
//! inside it is counted when it ends); and with replicas, which each hear every change, the
//! claim `live:<environment>:<org>` in the snapshot claims lets one of them count. Off with
//! the scheduled snapshots (`FV_SNAPSHOT_MINUTES=0`).

use std::{collections::HashMap, time::Duration};

use tokio::sync::broadcast::error::RecvError;

use super::{snapshot::record_org, PatAccount};
use crate::state::AppState;

/// How long after a change the org is counted (the rest of its burst comes meanwhile).
pub const SETTLE: Duration = Duration::from_secs(2);
/// The least time between two counts of one org.
pub const GAP: Duration = Duration::from_secs(60);

type OrgKey = (String, i64);

/// Starts the task that records changed orgs' snapshots.
pub fn spawn_change_snapshots(state: AppState) {
    if state.settings.service_account.snapshot_every.is_none() {
        return;
    }
    let mut changes = state.live.subscribe();
    tokio::spawn(async move {
        let (settle, gap) = (SETTLE.as_secs() as i64, GAP.as_secs() as i64);
        // When each changed org is due, and when each was last counted (within GAP).
        let mut due: HashMap<OrgKey, i64> = HashMap::new();
        let mut counted: HashMap<OrgKey, i64> = HashMap::new();
        loop {
            let now = state.clock.now_unix();
            let wait = due
                .values()
                .min()
                .map(|t| Duration::from_secs((t - now).max(0) as u64));
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(c) => {
                        let key = (c.environment, c.org_id);
                        let after_gap = counted.get(&key).map_or(i64::MIN, |t| t + gap);
                        due.entry(key).or_insert((now + settle).max(after_gap));
                    }
                    // The changes missed are of orgs this cannot name: the schedule counts them.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                },
                _ = sleep_for(&state, wait) => {
                    let now = state.clock.now_unix();
                    counted.retain(|_, t| *t + gap > now);
                    let ready: Vec<OrgKey> =
                        due.iter().filter(|(_, t)| **t <= now).map(|(k, _)| k.clone()).collect();
                    for key in ready {
                        due.remove(&key);
                        counted.insert(key.clone(), now);
                        record_change(&state, &key, now).await;
                    }
                }
            }
        }
    });
}

async fn sleep_for(state: &AppState, wait: Option<Duration>) {
    match wait {
        Some(w) => state.clock.sleep(w).await,
        None => std::future::pending().await,
    }
}

/// Counts `org` (claimed first, so one replica does) through the first connection by name of
/// its environment that serves it.
async fn record_change(state: &AppState, (environment, org_id): &OrgKey, now: i64) {
    let claim = format!("live:{environment}:{org_id}");
    let not_before = now - GAP.as_secs() as i64 / 2;
    match state.db.snapshot_claim(&claim, now, not_before).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not claim a changed org's snapshot");
            return;
        }
    }
    let Ok(mut all) = state.connections.list().await else {
        return;
    };
    all.retain(|c| &c.environment == environment && !c.needs_authorization());
    all.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
    for c in &all {
        let name = c.name.as_str();
        let account = match PatAccount::of_connection(state, name).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, connection = name, "a changed org's snapshot: connection unusable");
                continue;
            }
        };
        if !account.orgs.iter().any(|(o, _)| o == org_id) {
            continue;
        }
        match record_org(state, (&account, name), *org_id, now).await {
            Ok(_) => tracing::info!(
                org_id,
                connection = name,
                "snapshot of a changed org recorded"
            ),
            Err(e) => {
                tracing::warn!(error = %e, org_id, connection = name, "could not record a changed org's snapshot")
            }
        }
        return;
    }
}
