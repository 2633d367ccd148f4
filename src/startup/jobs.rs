//! Background tasks, started once per process by [`spawn_all`]: purging expired sessions and
//! tokens, keeping the provider's keys fresh and the session gauge current, the scheduled
//! snapshots, the connections' health checks and alert delivery, and following the
//! connections another replica saved or removed.

use std::{sync::Arc, time::Duration};

use crate::{
    config::Settings,
    connections::{alerts::Alerts, health::HealthService, ConnectionsService},
    state::AppState,
    store::Db,
    util::Clock,
};

/// Starts every background task of a serving process.
pub fn spawn_all(state: &AppState) {
    spawn_cleanup(state.clone());
    crate::web::health::spawn_background(state);
    crate::reporting::spawn_snapshots(state.clone());
    state.connections.clone().watch();
    state.health.clone().spawn();
    state.health.alerts().clone().spawn_delivery();
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
