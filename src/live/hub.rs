//! This process's side of live data: what it drops when an org's projects change (the caches
//! registered as [`OrgCache`]) and who it tells (the open `GET /projects/live` streams, through
//! a broadcast channel), plus the wake-up of the worker when a delivery was stored here.
//!
//! Every replica has its own caches and streams, so every replica publishes every applied
//! change (see [`super::fanout`]); the durable side of applying (the inbox row) happens once.

use std::sync::Arc;

use tokio::sync::{broadcast, Notify};

/// How many changes a slow stream may fall behind before it skips to "some projects changed".
const CHANNEL: usize = 1024;

/// A cache that keeps something per org: dropped for the org when its projects change.
/// Environments are kept apart (each numbers its own orgs).
pub trait OrgCache: Send + Sync {
    /// Drops every entry of `org_id` in `environment`.
    fn drop_org(&self, environment: &str, org_id: i64);
}

/// Projects of one org changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub environment: String,
    pub org_id: i64,
    /// How many distinct projects the applied deliveries named (a delivery without a project
    /// id counts as one).
    pub projects: u64,
}

/// The caches to drop, the streams to tell, the worker to wake.
pub struct LiveHub {
    caches: Vec<Arc<dyn OrgCache>>,
    changes: broadcast::Sender<Change>,
    /// Stored ids of sessions signed out in this process: their streams end at once.
    ended: broadcast::Sender<String>,
    wake: Notify,
}

impl LiveHub {
    /// A hub dropping `caches` on every change.
    pub fn new(caches: Vec<Arc<dyn OrgCache>>) -> Self {
        Self {
            caches,
            changes: broadcast::channel(CHANNEL).0,
            ended: broadcast::channel(CHANNEL).0,
            wake: Notify::new(),
        }
    }

    /// Drops the org's cached figures at once, then tells the open streams.
    pub fn publish(&self, change: Change) {
        for cache in &self.caches {
            cache.drop_org(&change.environment, change.org_id);
        }
        // No stream open is not an error.
        let _ = self.changes.send(change);
    }

    /// A receiver of every change published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// The session stored under `stored_id` was signed out here: its open streams end now
    /// rather than at their next heartbeat (which still ends those of sessions ended
    /// elsewhere: on another replica, by an admin, by the provider).
    pub fn session_ended(&self, stored_id: &str) {
        let _ = self.ended.send(stored_id.to_owned());
    }

    /// A receiver of every [`LiveHub::session_ended`] from now on.
    pub fn subscribe_ended(&self) -> broadcast::Receiver<String> {
        self.ended.subscribe()
    }

    /// Wakes the worker: a delivery was stored. Wake-ups do not queue up (a flood of them
    /// is one pending wake-up), so they cost no memory; the deliveries wait on disk.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves at the next [`LiveHub::wake`] (at once if one came since the last call).
    pub async fn woken(&self) {
        self.wake.notified().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Seen(Mutex<Vec<(String, i64)>>);
    impl OrgCache for Seen {
        fn drop_org(&self, environment: &str, org_id: i64) {
            self.0
                .lock()
                .unwrap()
                .push((environment.to_owned(), org_id));
        }
    }

    #[tokio::test]
    async fn a_change_drops_every_cache_and_reaches_subscribers() {
        let seen = Arc::new(Seen::default());
        let hub = LiveHub::new(vec![seen.clone(), seen.clone()]);
        let mut rx = hub.subscribe();
        let change = Change {
            environment: "ca".into(),
            org_id: 7,
            projects: 2,
        };
        hub.publish(change.clone());
        assert_eq!(
            *seen.0.lock().unwrap(),
            vec![("ca".into(), 7), ("ca".into(), 7)]
        );
        assert_eq!(rx.recv().await.unwrap(), change);
    }

    #[tokio::test]
    async fn a_flood_of_wake_ups_is_one() {
        let hub = LiveHub::new(Vec::new());
        for _ in 0..100_000 {
            hub.wake();
        }
        use futures::FutureExt;
        assert!(hub.woken().now_or_never().is_some(), "woken once");
        assert!(
            hub.woken().now_or_never().is_none(),
            "the flood left no second wake-up behind"
        );
    }
}
