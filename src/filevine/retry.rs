//! When and how long to wait before repeating a failed gateway call.
//!
//! Only failures that say "not processed, try later" are repeated: 429 (any method: the
//! gateway refused before doing anything) and, for idempotent GETs only, 5xx, timeouts and
//! network errors. The number of attempts and every wait are bounded, so a page view never
//! hangs on a gateway that keeps refusing: after the last attempt the typed error goes up.

use std::time::Duration;

use super::GatewayError;

/// The retry budget of one logical call.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Repeats after the first attempt (0 = never repeat).
    pub max_retries: u32,
    /// First backoff; doubled per attempt.
    pub base_delay: Duration,
    /// Cap of one computed backoff.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one is reported instead of waited out.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1` (0-based `attempt` just failed with
    /// `error`), or `None` to give up and report `error`.
    pub fn wait_before_retry(
        &self,
        attempt: u32,
        idempotent: bool,
        error: &GatewayError,
    ) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        match error {
            GatewayError::RateLimited {
                retry_after: Some(d),
            } => (*d <= self.max_retry_after).then_some(*d),
            GatewayError::RateLimited { retry_after: None } => Some(self.backoff(attempt)),
            GatewayError::Server { .. } | GatewayError::Timeout | GatewayError::Network(_)
                if idempotent =>
            {
                Some(self.backoff(attempt))
            }
            _ => None,
        }
    }

    /// The app's backoff ([`crate::util::backoff`]) from `base_delay` up to `max_delay`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        crate::util::backoff::Backoff::nth(self.base_delay, self.max_delay, attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_selective() {
        let p = RetryPolicy::default();
        let rl = GatewayError::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(
            p.wait_before_retry(0, false, &rl),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.wait_before_retry(3, true, &rl),
            None,
            "attempts are bounded"
        );
        let long = GatewayError::RateLimited {
            retry_after: Some(Duration::from_secs(3600)),
        };
        assert_eq!(
            p.wait_before_retry(0, true, &long),
            None,
            "an hour is reported, not waited"
        );
        let s = GatewayError::Server {
            status: 503,
            message: String::new(),
        };
        assert!(p.wait_before_retry(0, true, &s).is_some());
        assert!(
            p.wait_before_retry(0, false, &s).is_none(),
            "POSTs are not repeated"
        );
        assert!(p
            .wait_before_retry(0, true, &GatewayError::NotFound)
            .is_none());
        assert!(p
            .wait_before_retry(0, true, &GatewayError::Forbidden("x".into()))
            .is_none());
        for attempt in 0..20 {
            let d = p.backoff(attempt);
            assert!(d <= p.max_delay, "{d:?}");
            assert!(d >= p.base_delay.min(p.max_delay) / 2 || attempt == 0);
        }
    }

    #[test]
    fn a_429_without_retry_after_is_retried_after_a_backoff_any_method() {
        let p = RetryPolicy::default();
        let rl = GatewayError::RateLimited { retry_after: None };
        for idempotent in [true, false] {
            let d = p
                .wait_before_retry(0, idempotent, &rl)
                .expect("a 429 was not processed: repeat it, POST included");
            assert!(d >= p.base_delay / 2 && d <= p.base_delay, "{d:?}");
        }
        assert_eq!(p.wait_before_retry(p.max_retries, true, &rl), None);
        // A Retry-After of exactly the longest honoured wait is still waited out.
        let at_cap = GatewayError::RateLimited {
            retry_after: Some(p.max_retry_after),
        };
        assert_eq!(
            p.wait_before_retry(p.max_retries - 1, true, &at_cap),
            Some(p.max_retry_after)
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_within_half_and_whole() {
        let p = RetryPolicy::default();
        for attempt in 0..6 {
            let whole = (p.base_delay * 2u32.pow(attempt)).min(p.max_delay);
            for _ in 0..50 {
                let d = p.backoff(attempt);
                assert!(d >= whole / 2 && d <= whole, "attempt {attempt}: {d:?}");
            }
        }
    }
}
