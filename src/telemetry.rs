//! Logging set-up: `RUST_LOG`-style filtering, pretty or JSON (`FV_LOG_FORMAT`).
//!
//! Some dependencies print secrets at debug or trace level (a cookie store prints whole
//! `Set-Cookie` values, i.e. session ids). Those targets are capped by [`SECRET_SAFE_CAPS`]
//! whatever `RUST_LOG` says: `RUST_LOG=trace` must never put a token or a session id in the
//! log. `tests/no_leaks.rs` runs every flow at trace level through [`env_filter`] to prove it.

use tracing_subscriber::{filter::Directive, fmt, prelude::*, EnvFilter};

/// The default filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,tower_sessions=warn,sqlx=warn";

/// Targets whose verbose levels print secrets, and the most they may log.
pub const SECRET_SAFE_CAPS: &[&str] = &["cookie_store=info"];

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
        registry
            .with(fmt::layer().json().flatten_event(true))
            .try_init()
    } else {
        registry.with(fmt::layer().compact()).try_init()
    };
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
pub fn note_user(extensions: &axum::http::Extensions, user: &crate::auth::SessionUser) {
    if let Some(slot) = extensions.get::<RequestUser>() {
        slot.set(&user.identity.subject, user.current_org);
    }
}
