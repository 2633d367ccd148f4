//! Logging set-up: `RUST_LOG`-style filtering, pretty or JSON (`FV_LOG_FORMAT`).
//!
//! Some dependencies print secrets (a cookie store prints whole `Set-Cookie` values, i.e.
//! session ids, at trace level; the PostgreSQL driver a database URL parameter's value at
//! warn). Those targets are capped by [`SECRET_SAFE_CAPS`] whatever `RUST_LOG` says:
//! `RUST_LOG=trace` must never put a token, a password or a session id in the log.
//! `tests/no_leaks.rs` runs every flow at trace level through [`env_filter`] to prove it.

use tracing_subscriber::{
    filter::Directive, fmt, fmt::MakeWriter, prelude::*, registry::LookupSpan, EnvFilter, Layer,
};

/// The default filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,tower_sessions=warn,sqlx=warn";

/// Targets that print secrets, and the most they may log. `sqlx_postgres::options` warns about
/// a `DATABASE_URL` query parameter it does not know with the parameter's value, and
/// `sslpassword` (a password PostgreSQL's own clients take) is one it does not know.
pub const SECRET_SAFE_CAPS: &[&str] = &["cookie_store=info", "sqlx_postgres::options=error"];

/// `spec` (a `RUST_LOG` value) with the caps of [`SECRET_SAFE_CAPS`] applied on top.
pub fn env_filter(spec: &str) -> EnvFilter {
    let mut filter = EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    for cap in SECRET_SAFE_CAPS {
        if let Ok(d) = cap.parse::<Directive>() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init() {
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| DEFAULT_FILTER.to_owned());
    let filter = env_filter(&spec);
    let json = std::env::var("FV_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry.with(json_layer(std::io::stdout)).try_init()
    } else {
        registry.with(fmt::layer().compact()).try_init()
    };
}

/// The JSON format (`FV_LOG_FORMAT=json`): one object per line, the event's fields at the top
/// level, the request's span with them. A function of its own so that tests read exactly what
/// a log pipeline would get (`tests/edge_logs_json.rs`).
pub fn json_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    fmt::layer().json().flatten_event(true).with_writer(writer)
}

/// Who a request was for, filled in by the `SignedIn` extractor and read by the access log
/// after the response. A request without a signed-in user leaves it empty.
#[derive(Clone, Debug, Default)]
pub struct RequestUser(std::sync::Arc<std::sync::OnceLock<(String, Option<i64>)>>);

impl RequestUser {
    /// Records the signed-in user's subject and current organization (first call wins).
    pub fn set(&self, sub: &str, org: Option<i64>) {
        let _ = self.0.set((sub.to_owned(), org));
    }

    /// The subject and organization, if a signed-in user was seen.
    pub fn get(&self) -> Option<&(String, Option<i64>)> {
        self.0.get()
    }
}

/// Notes the signed-in user in the request's [`RequestUser`] slot, when there is one.
pub fn note_user(extensions: &axum::http::Extensions, subject: &str, org: Option<i64>) {
    if let Some(slot) = extensions.get::<RequestUser>() {
        slot.set(subject, org);
    }
}

/// Most characters of attacker-controlled text a log field shows; the rest is counted, not
/// printed, so one request cannot write megabytes into the log.
pub const MAX_LOGGED_CHARS: usize = 200;

/// Request-derived text (a path, a callback's `error=`, a provider's message) made safe for a
/// log field: control characters (newlines, escape sequences, Unicode line and bidi controls)
/// and quotes are escaped, so the text can never end a line and start a forged one, in the
/// pretty format as in JSON; and it is cut at [`MAX_LOGGED_CHARS`]. Use it as a field value
/// (`error = %Bounded(text)`), never as a log line's message.
pub struct Bounded<'a>(pub &'a str);

impl std::fmt::Display for Bounded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        let mut chars = self.0.char_indices();
        for (_, c) in chars.by_ref().take(MAX_LOGGED_CHARS) {
            match c {
                '"' | '\\' => {
                    f.write_char('\\')?;
                    f.write_char(c)?;
                }
                c if needs_escape(c) => write!(f, "{}", c.escape_unicode())?,
                c => f.write_char(c)?,
            }
        }
        if let Some((at, _)) = chars.next() {
            write!(f, "...(+{} bytes)", self.0.len() - at)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Bounded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Characters that could break a log line or hide what it says: every control character, the
/// Unicode line and paragraph separators, and the bidirectional overrides.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_cannot_break_a_line_and_is_cut() {
        let forged =
            "x\n2026-01-01T00:00:00Z  INFO fake: admin signed in\r\u{1b}[2J\u{2028}\u{202e}\"\\";
        let shown = Bounded(forged).to_string();
        assert!(!shown.chars().any(needs_escape), "{shown:?}");
        assert!(
            shown.contains("\\u{a}") && shown.contains("\\\""),
            "{shown}"
        );
        let long = "a".repeat(10_000);
        let shown = Bounded(&long).to_string();
        assert!(shown.len() < MAX_LOGGED_CHARS + 30, "{}", shown.len());
        assert!(shown.ends_with("...(+9800 bytes)"), "{shown}");
        assert_eq!(Bounded("/profile").to_string(), "/profile");
    }
}
