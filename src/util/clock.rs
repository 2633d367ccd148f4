//! The app's clock. Production reads the system clock; a test shifts it forward instead of
//! sleeping until a token, a `state` or a session expires.
//!
//! A [`Clock`] is a cheap handle: every clone shares one offset, so the handle the test keeps
//! and the ones inside the vault, the OIDC verifier and the session layer always agree.

use std::{
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// "Now" for the whole app: the system clock plus an offset that only tests change.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock, unshifted.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        let offset = self.offset_ms.load(Ordering::Relaxed);
        let real = SystemTime::now();
        if offset >= 0 {
            real + Duration::from_millis(offset as u64)
        } else {
            real - Duration::from_millis(offset.unsigned_abs())
        }
    }

    /// Seconds since the Unix epoch.
    pub fn now_unix(&self) -> i64 {
        match self.now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        }
    }

    /// The current time as a `time` value, for formatting.
    pub fn now_utc(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::from(self.now())
    }

    /// Moves this clock (and every clone of it) forward. For tests.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }

    /// Moves this clock (and every clone of it) back. For tests of clock skew.
    pub fn rewind(&self, by: Duration) {
        self.offset_ms
            .fetch_sub(by.as_millis() as i64, Ordering::Relaxed);
    }
}

/// Seconds since the epoch on the system clock, for code that has not been handed a [`Clock`]
/// yet. Prefer a `Clock`: tests cannot move this one.
pub fn now_unix() -> i64 {
    Clock::system().now_unix()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_offset() {
        let clock = Clock::system();
        let inside = clock.clone();
        let before = inside.now_unix();
        clock.advance(Duration::from_secs(3600));
        let after = inside.now_unix();
        assert!(
            (3599..=3601).contains(&(after - before)),
            "{before} -> {after}"
        );
        clock.rewind(Duration::from_secs(7200));
        assert!(inside.now_unix() < before - 3500);
    }

    #[test]
    fn system_clock_is_the_real_time() {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((Clock::system().now_unix() - real).abs() <= 1);
    }
}
