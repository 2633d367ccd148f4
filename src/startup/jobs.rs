//! Background tasks, started once per process by [`spawn_all`]: purging expired sessions and
//! tokens, keeping the provider's keys fresh and the session gauge current, the scheduled
//! snapshots (and those of orgs that changed), the connections' health checks and alert delivery, following the connections
//! another replica saved or removed, keeping the connections' webhook subscriptions as
//! wanted, and applying webhook deliveries (with, on PostgreSQL, hearing the changes other
//! replicas applied).

use std::{sync::Arc, time::Duration};

use crate::{
    config::Settings,
    connections::{alerts::Alerts, health::HealthService, ConnectionsService},
    state::AppState,
    store::Db,
    util::Clock,
};

/// Starts every background task of a serving process. Returns once this replica listens for
/// the changes other replicas apply, so none announced after start-up is missed.
pub async fn spawn_all(state: &AppState) {
    spawn_cleanup(state.clone());
    crate::web::health::spawn_background(state);
    crate::reporting::spawn_snapshots(state.clone());
    crate::reporting::change_snapshot::spawn_change_snapshots(state.clone());
    state.connections.clone().watch();
    state.health.clone().spawn();
    state.health.alerts().clone().spawn_delivery();
    spawn_live_reconcile(state.clone());
    let fanout = crate::live::fanout::Fanout::for_db(&state.db);
    fanout.listen(state.live.clone()).await;
    let worker = crate::live::worker::Worker {
        hub: state.live.clone(),
        db: state.db.clone(),
        clock: state.clock.clone(),
        fanout,
    };
    tokio::spawn(worker.run());
}

/// The health checks and their alerts, which name the connections page by the address the
/// browser reaches the app at (the redirect URI's origin).
pub(super) fn health(
    settings: &Settings,
    connections: &Arc<ConnectionsService>,
    db: &Db,
    clock: &Clock,
) -> Arc<HealthService> {
    let origin = settings.oidc.redirect_uri.origin().ascii_serialization();
    let page = format!("{origin}/settings/connections");
    let alerts = Alerts::new(&settings.alerts, db.clone(), clock.clone(), page);
    let every = settings.alerts.health_every;
    let expiring = (settings.alerts.client_secret_expires)
        .map(crate::connections::health::Expiring::client_secret)
        .into_iter()
        .collect();
    let (db, clock) = (db.clone(), clock.clone());
    HealthService::new(connections.clone(), db, clock, (every, expiring), alerts)
}

/// Reconciles the connections' webhook subscriptions: all of them at start and every
/// [`RECONCILE_EVERY`], the ones whose last call failed every [`RETRY_EVERY`] (on the app
/// clock, so tests make that time come).
fn spawn_live_reconcile(state: AppState) {
    use crate::connections::live_updates::{RECONCILE_EVERY, RETRY_EVERY};
    tokio::spawn(async move {
        let mut last_full: Option<i64> = None;
        loop {
            let now = state.clock.now_unix();
            let full = last_full.is_none_or(|t| now - t >= RECONCILE_EVERY.as_secs() as i64);
            if full {
                last_full = Some(now);
            }
            if let Err(e) = state.connections.reconcile_live(full).await {
                tracing::warn!(error = %e, "could not reconcile the webhook subscriptions");
            }
            // Due a retry interval after this run began, however long the run took.
            let took = state.clock.now_unix().saturating_sub(now).max(0) as u64;
            let next = RETRY_EVERY.saturating_sub(std::time::Duration::from_secs(took));
            state.clock.sleep(next).await;
        }
    });
}

/// How often expired sessions and vault rows are purged.
const PURGE_EVERY: Duration = Duration::from_secs(300);

/// Purges expired sessions and vault rows at start and every [`PURGE_EVERY`].
fn spawn_cleanup(state: AppState) {
    use tower_sessions::ExpiredDeletion;
    tokio::spawn(async move {
        let store = state.db.session_store();
        loop {
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
            if let Err(e) = state.db.vault_delete_expired(state.clock.now_unix()).await {
                tracing::warn!(error = %e, "could not purge expired tokens");
            }
            let now = state.clock.now_unix();
            if let Err(e) = state.db.session_index_delete_expired(now).await {
                tracing::warn!(error = %e, "could not purge the session index");
            }
            // On the app clock, like the expiry times it compares.
            state.clock.sleep(PURGE_EVERY).await;
        }
    });
}
