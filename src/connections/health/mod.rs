//! Connection health: every `FV_HEALTH_MINUTES` each connection is checked cheaply (a token,
//! obtained or refreshed when needed, then one `Users/Me`), on one replica at a time (a claim
//! per connection and interval in the database), and found `ok`, `degraded` (timeouts, 5xx,
//! 429: retried with backoff, nobody alerted) or `broken` (its credentials refused: someone
//! must act), with the reason and what to do in words ([`verdict`]).
//!
//! Each check is stored (the verdict with since when, and the last 50 checks), counted in
//! `fv_connection_checks_total{outcome}` and `fv_connection_up`, and written to the
//! connection's status, which the background jobs read: a broken connection's jobs pause and
//! resume by themselves at the first good check. A change to broken, a recovery, and every
//! day still broken send one alert ([`super::alerts`]): the marks are conditional writes, so
//! two replicas never send the same one. Credentials with a known expiry date ([`expiry`])
//! get a banner and alerts before they expire.

mod check;
pub mod expiry;
pub mod verdict;

pub use check::{Checked, HealthService};
pub use expiry::Expiring;
pub use verdict::{Health, Verdict};
