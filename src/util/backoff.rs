//! Waiting between attempts: the one exponential backoff of the app, with one jitter. Every
//! retry loop (gateway calls, token refreshes and their storing, the PAT exchange, pool
//! slots, health checks, the live listener, alert deliveries) takes its waits from here, so
//! they grow, cap and spread the same way.
//!
//! The jitter is "equal jitter": half of each step fixed, half random. The fixed half keeps a
//! floor under the wait (a refusing server is not hit again at once); the random half keeps
//! many clients refused together from coming back in lockstep.

use std::time::Duration;

use rand::Rng;

/// Step `attempt` (0-based) of the doubling schedule from `first`, capped at `max`, without
/// jitter: for schedules that are stored or shown (an alert's next try).
pub fn step(first: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
    first.saturating_mul(factor).min(max)
}

/// `step` with equal jitter: between half of it and all of it.
pub fn jittered(step: Duration) -> Duration {
    let half = step / 2;
    let spread = (step - half).as_micros().max(1) as u64;
    half + Duration::from_micros(rand::thread_rng().gen_range(0..=spread))
}

/// The waits of one retry loop: [`jittered`] steps of the doubling schedule.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    /// Steps from `first`, doubling up to `max`.
    pub fn new(first: Duration, max: Duration) -> Self {
        Self { next: first, max }
    }

    /// The wait before the next attempt; the step after it doubles.
    pub fn next_wait(&mut self) -> Duration {
        let wait = jittered(self.next);
        self.next = step(self.next, self.max, 1);
        wait
    }

    /// The wait after failed attempt `attempt` (0-based), for loops that count attempts.
    pub fn nth(first: Duration, max: Duration, attempt: u32) -> Duration {
        jittered(step(first, max, attempt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn steps_double_and_cap() {
        let s: Vec<_> = (0..6).map(|a| step(100 * MS, 1000 * MS, a)).collect();
        assert_eq!(s, [100, 200, 400, 800, 1000, 1000].map(|n| n * MS));
        assert_eq!(step(MS, Duration::MAX, 40), MS * 65536, "no overflow");
    }

    #[test]
    fn waits_stay_between_half_and_whole_and_spread() {
        let mut b = Backoff::new(200 * MS, 800 * MS);
        for whole in [200, 400, 800, 800] {
            let w = b.next_wait();
            assert!(w >= whole * MS / 2 && w <= whole * MS, "{w:?} of {whole}");
        }
        let waits: std::collections::HashSet<_> = (0..50)
            .map(|_| Backoff::nth(200 * MS, 800 * MS, 2))
            .collect();
        assert!(waits.len() > 10, "jittered: {waits:?}");
        assert!(waits.iter().all(|w| *w >= 400 * MS && *w <= 800 * MS));
    }
}
