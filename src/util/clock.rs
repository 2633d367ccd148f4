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
    /// Wakes [`Clock::sleep`]ers when a test moves the clock, so a scheduled job whose time
    /// came by `advance` runs at once instead of at its real-time deadline.
    moved: Arc<tokio::sync::Notify>,
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

    /// Waits until this clock has moved on by `by`: real time passing, a test's
    /// [`Clock::advance`], or both. Background jobs (snapshots, key refetch, purges) sleep on
    /// this so a test can make their time come without waiting for it.
    pub async fn sleep(&self, by: Duration) {
        let deadline = self.now() + by;
        loop {
            // Registered before reading the time, so an advance in between still wakes us.
            let moved = self.moved.notified();
            tokio::pin!(moved);
            moved.as_mut().enable();
            let Ok(left) = deadline.duration_since(self.now()) else {
                return;
            };
            if left.is_zero() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(left) => {}
                _ = moved => {}
            }
        }
    }

    /// Moves this clock (and every clone of it) forward. For tests.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
        self.moved.notify_waiters();
    }

    /// Moves this clock (and every clone of it) back. For tests of clock skew.
    pub fn rewind(&self, by: Duration) {
        self.offset_ms
            .fetch_sub(by.as_millis() as i64, Ordering::Relaxed);
    }
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

    #[tokio::test]
    async fn a_sleeper_wakes_when_the_clock_is_advanced_past_its_deadline() {
        let clock = Clock::system();
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::from_secs(3600)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        clock.advance(Duration::from_secs(1800));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!sleeper.is_finished(), "woke before its deadline");
        clock.advance(Duration::from_secs(1801));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("the advance past the deadline wakes the sleeper")
            .unwrap();
    }

    #[tokio::test]
    async fn a_short_sleep_ends_in_real_time() {
        let clock = Clock::system();
        tokio::time::timeout(
            Duration::from_secs(5),
            clock.sleep(Duration::from_millis(30)),
        )
        .await
        .expect("ends by itself");
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
