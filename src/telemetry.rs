//! Logging set-up: `RUST_LOG`-style filtering, pretty or JSON (`FV_LOG_FORMAT`).

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_sessions=warn,sqlx=warn"));
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
