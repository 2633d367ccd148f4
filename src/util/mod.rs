//! The ground floor: small things every layer uses and that depend on nothing of the app.
//!
//! - [`clock`]: the one source of "now" for every comparison of times (token expiry, `state`
//!   expiry, session lifetimes, leases, caches, schedulers), so tests can move time instead of
//!   sleeping.
//! - [`backoff`]: the waits of every retry loop (exponential, one jitter).
//! - [`error_chain`]: an error with its sources, for log lines.
//! - [`dates`]: dates in the firm's time zone, as people read them.
//! - [`slots`]: a few slots per key taken without waiting (exports per user).
//! - [`keyed_rate`]: the rate limit per key (client addresses, feed keys), pruned.

pub mod backoff;
pub mod clock;
pub mod dates;
pub mod keyed_rate;
pub mod numbers;
pub mod slots;

pub use clock::Clock;

/// An error followed by each of its sources, `": "`-separated, for a log line. `Display` of
/// most errors stops at the outermost layer ("error sending request"), which says nothing.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// Unix seconds as an RFC 3339 UTC time, for pages and the command line.
pub fn format_unix(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn error_chain_lists_every_source() {
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(super::error_chain(&e), "outer: inner");
    }
}
