//! The one cache of figures read from the gateway (the dashboard's summaries, the reports, the
//! kept dashboard pages): moka's async
//! cache (one loader per key with `try_get_with`, failed loads not kept, bounded) with each
//! entry stamped by the app [`Clock`] when it was computed.
//!
//! Freshness is judged by the app clock, so a test that moves the clock sees the minute pass;
//! moka's own time-to-live runs on the monotonic clock and is only the backstop that evicts.
//! Entries are per org: a webhook saying an org's projects changed drops that org's entries,
//! and a scan that ran across the change is answered but not kept ([`OrgChanges`]).

use std::{
    future::Future,
    hash::Hash,
    sync::Arc,
    time::{Duration, SystemTime},
};

use super::org_changes::OrgChanges;
use crate::util::Clock;

/// A cache key that names the org its figures are about.
pub trait OrgKey: Clone + Eq + Hash + Send + Sync + 'static {
    /// The environment the org belongs to (ids of two environments may coincide).
    fn environment(&self) -> &str;
    /// The org.
    fn org_id(&self) -> i64;
}

/// Taken before a value is computed outside the cache ([`FreshCache::put`]): a value computed
/// across a change of its org is not kept.
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

/// Values of `V` per key `K`, fresh for `ttl` by the app clock.
pub struct FreshCache<K: OrgKey, V: Send + Sync + 'static> {
    cache: moka::future::Cache<K, (Arc<V>, SystemTime)>,
    clock: Clock,
    ttl: Duration,
    changes: OrgChanges,
}

impl<K: OrgKey, V: Send + Sync + 'static> FreshCache<K, V> {
    /// At most `max_capacity` entries (or, with `weigh`, that much weight), each fresh for
    /// `ttl` on `clock`.
    pub fn new(
        ttl: Duration,
        clock: Clock,
        max_capacity: u64,
        weigh: Option<fn(&K, &V) -> u32>,
    ) -> Self {
        let builder = moka::future::Cache::builder()
            .max_capacity(max_capacity)
            .time_to_live(ttl)
            .support_invalidation_closures();
        let cache = match weigh {
            Some(weigh) => builder
                .weigher(move |k: &K, (v, _): &(Arc<V>, SystemTime)| weigh(k, v))
                .build(),
            None => builder.build(),
        };
        Self {
            cache,
            clock,
            ttl,
            changes: OrgChanges::default(),
        }
    }

    /// The value for `key` if a fresh one is there (nothing is computed). A stale one is
    /// dropped, so the next [`FreshCache::get_with`] computes again.
    pub async fn cached(&self, key: &K) -> Option<Arc<V>> {
        let (value, at) = self.cache.get(key).await?;
        let age = self.clock.now().duration_since(at);
        if age.is_ok_and(|age| age < self.ttl) {
            return Some(value);
        }
        self.cache.invalidate(key).await;
        None
    }

    /// The value for `key`: cached, or computed by `load`. Concurrent callers with one key
    /// share one load; a failed load is not kept, nor one that ran while the key's org
    /// changed.
    pub async fn get_with<E, L>(&self, key: K, load: L) -> Result<Arc<V>, E>
    where
        E: Clone + Send + Sync + 'static,
        L: Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.cached(&key).await {
            return Ok(value);
        }
        let clock = &self.clock;
        let ticket = self.ticket(&key);
        let (value, _) = self
            .cache
            .try_get_with(key.clone(), async {
                Ok((Arc::new(load.await?), clock.now()))
            })
            .await
            .map_err(Arc::unwrap_or_clone)?;
        if self.changed_since(&key, ticket) {
            // The org changed while this computed: answer with it, keep nothing.
            self.cache.invalidate(&key).await;
        }
        Ok(value)
    }

    /// Call before computing `key`'s value outside the cache.
    pub fn ticket(&self, key: &K) -> Ticket {
        Ticket(self.changes.count(key.environment(), key.org_id()))
    }

    fn changed_since(&self, key: &K, ticket: Ticket) -> bool {
        self.changes.count(key.environment(), key.org_id()) != ticket.0
    }

    /// Keeps `value` for `key`, unless the org changed since `ticket` was taken.
    pub async fn put(&self, key: K, ticket: Ticket, value: V) {
        if self.changed_since(&key, ticket) {
            return;
        }
        self.cache
            .insert(key.clone(), (Arc::new(value), self.clock.now()))
            .await;
        // A change that landed during the insert: drop what was just kept.
        if self.changed_since(&key, ticket) {
            self.cache.invalidate(&key).await;
        }
    }

    /// The org's projects changed: every entry of it is computed again at the next view.
    pub fn drop_org(&self, environment: &str, org_id: i64) {
        self.changes.bump(environment, org_id);
        let environment = environment.to_owned();
        let dropped = self.cache.invalidate_entries_if(move |k, _| {
            k.org_id() == org_id && k.environment() == environment
        });
        if let Err(e) = dropped {
            tracing::warn!(error = %e, "could not drop an org's cached figures");
        }
    }
}
