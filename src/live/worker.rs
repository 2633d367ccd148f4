//! Applies stored deliveries: oldest first, each exactly once (the inbox row moves from
//! `pending` to `applied` for one caller only, whichever replica), then announces one change
//! per org to every replica ([`super::fanout`]), which drops that org's cached figures and
//! tells its open dashboards.
//!
//! Memory stays bounded whatever arrives: the deliveries wait on disk, the worker reads at
//! most [`BATCH`] at a time, and wake-ups do not queue ([`super::hub::LiveHub::wake`]). Rows
//! stored but not applied when the process stopped are applied by the first pass after the
//! restart; rows another replica stored are picked up within [`POLL`].

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::Duration,
};

use super::{
    fanout::Fanout,
    hub::{Change, LiveHub},
};
use crate::{
    store::{Db, DbError},
    util::Clock,
};

/// Most deliveries read at once.
pub const BATCH: i64 = 256;
/// How often the inbox is looked at without a wake-up.
pub const POLL: Duration = Duration::from_secs(2);
/// Settled deliveries are kept this long (duplicates within it are recognised), then purged.
pub const KEEP_SECONDS: i64 = 2 * 86_400;

/// The worker's dependencies.
#[derive(Clone)]
pub struct Worker {
    pub hub: Arc<LiveHub>,
    pub db: Db,
    pub clock: Clock,
    pub fanout: Fanout,
}

/// Per org: the projects named, and deliveries without one.
type Groups = BTreeMap<(String, i64), (BTreeSet<i64>, u64)>;

impl Worker {
    /// Applies what is pending, then again at every wake-up or [`POLL`], forever.
    pub async fn run(self) {
        let mut last_purge = i64::MIN;
        loop {
            if let Err(e) = self.apply_pending().await {
                tracing::warn!(error = %e, "could not apply stored webhook deliveries; retrying");
            }
            let now = self.clock.now_unix();
            if now.saturating_sub(last_purge) >= 3600 {
                last_purge = now;
                if let Err(e) = self.db.inbox_purge(now - KEEP_SECONDS).await {
                    tracing::warn!(error = %e, "could not purge old webhook deliveries");
                }
            }
            tokio::select! {
                _ = self.hub.woken() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Applies every pending delivery, [`BATCH`] at a time. Returns how many this call
    /// applied (others may have been applied by another replica meanwhile).
    pub async fn apply_pending(&self) -> Result<usize, DbError> {
        let mut applied = 0;
        loop {
            let rows = self.db.inbox_pending(BATCH).await?;
            let mut groups = Groups::new();
            let now = self.clock.now_unix();
            for row in &rows {
                if !self.db.inbox_mark_applied(row.id, now).await? {
                    continue;
                }
                applied += 1;
                crate::metrics::webhook_applied(now.saturating_sub(row.received_at));
                let group = groups
                    .entry((row.environment.clone(), row.org_id))
                    .or_default();
                match row.project_id {
                    Some(p) => {
                        group.0.insert(p);
                    }
                    None => group.1 += 1,
                }
            }
            for ((environment, org_id), (projects, others)) in groups {
                let change = Change {
                    environment,
                    org_id,
                    projects: projects.len() as u64 + others,
                };
                self.fanout.announce(&self.hub, change).await;
            }
            if (rows.len() as i64) < BATCH {
                break;
            }
        }
        crate::metrics::set_inbox_depth(self.db.inbox_depth().await?);
        Ok(applied)
    }
}
