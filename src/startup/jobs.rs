//! Background tasks, started once per process by [`spawn_all`]: purging expired sessions and
//! tokens, keeping the provider's keys fresh and the session gauge current, the scheduled
//! snapshots, following the connections another replica saved or removed, and applying
//! webhook deliveries (with, on PostgreSQL, hearing the changes other replicas applied).

use std::time::Duration;

use crate::state::AppState;

/// Starts every background task of a serving process. Returns once this replica listens for
/// the changes other replicas apply, so none announced after start-up is missed.
pub async fn spawn_all(state: &AppState) {
    spawn_cleanup(state.clone());
    crate::web::health::spawn_background(state);
    crate::reporting::spawn_snapshots(state.clone());
    state.connections.clone().watch();
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
