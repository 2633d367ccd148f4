//! A token bucket per key (`governor`'s keyed limiter): `per_minute` requests as a burst,
//! refilled evenly. The one rate limiter of the app: client addresses on login, the callback
//! and POSTs ([`crate::web::rate_limit`]), and feed keys.
//!
//! Buckets of keys that have not been seen for a while are full again and carry no
//! information, so past [`PRUNE_ABOVE`] tracked keys they are dropped: a flood from many
//! addresses (or many made-up keys) cannot grow memory without bound.

use std::{hash::Hash, num::NonZeroU32, sync::Arc};

use governor::{
    clock::{Clock as _, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
    Quota, RateLimiter,
};

/// Above this many tracked keys, buckets that are full again are dropped.
pub const PRUNE_ABOVE: usize = 10_000;

/// Buckets by key. Cloning shares them.
#[derive(Clone)]
pub struct KeyedRate<K: Clone + Eq + Hash> {
    limiter: Arc<RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>>,
}

impl<K: Clone + Eq + Hash> KeyedRate<K> {
    /// `per_minute` requests a minute per key (at least 1).
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
        }
    }

    /// `Ok` when `key` may make a request now, else the whole seconds (rounded up, at least 1)
    /// until it may.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        if self.limiter.len() > PRUNE_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    /// How many keys are tracked.
    pub fn tracked(&self) -> usize {
        self.limiter.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_bucket() {
        let limits = KeyedRate::new(2);
        assert!(limits.check(&"a").is_ok());
        assert!(limits.check(&"a").is_ok());
        assert_eq!(limits.check(&"a").map_err(|s| s >= 1), Err(true));
        assert!(limits.check(&"b").is_ok());
    }

    #[test]
    fn full_buckets_are_pruned_past_the_bound() {
        // Many requests a minute: one request leaves a bucket that is full again at once.
        let limits = KeyedRate::new(6_000_000);
        for i in 0..=PRUNE_ABOVE {
            limits.check(&i).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        limits.check(&usize::MAX).unwrap();
        assert!(limits.tracked() < PRUNE_ABOVE, "{}", limits.tracked());
    }
}
