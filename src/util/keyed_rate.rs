//! A token bucket per key (`governor`'s keyed limiter): `per_minute` requests as a burst,
//! refilled evenly. The feeds limit each feed key with it.

use std::{num::NonZeroU32, sync::Arc};

use governor::{
    clock::{Clock as _, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
    Quota, RateLimiter,
};

type Limiter = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// Buckets by key. Cloning shares them.
#[derive(Clone)]
pub struct KeyedRate {
    limiter: Arc<Limiter>,
}

impl KeyedRate {
    /// `per_minute` requests a minute per key (at least 1).
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
        }
    }

    /// `Ok` when `key` may make a request now, else the whole seconds (at least 1) until it may.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| {
                not_until
                    .wait_time_from(DefaultClock::default().now())
                    .as_secs()
                    .max(1)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_bucket() {
        let limits = KeyedRate::new(2);
        assert!(limits.check("a").is_ok());
        assert!(limits.check("a").is_ok());
        assert_eq!(limits.check("a").map_err(|s| s >= 1), Err(true));
        assert!(limits.check("b").is_ok());
    }
}
