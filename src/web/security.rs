//! Security headers on every response.
//!
//! The CSP allows nothing inline (no `unsafe-inline`), and `form-action` names the provider's
//! origin because browsers check form targets through redirects: the logout form's 303 goes
//! on to Filevine's end-session endpoint.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The header values, computed once at start-up.
#[derive(Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    /// Headers for a site whose forms may redirect to `provider_origins`; HSTS when served over
    /// https.
    pub fn new(provider_origins: &[String], https: bool) -> Self {
        let form_action = std::iter::once("'self'".to_owned())
            .chain(provider_origins.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; connect-src 'self'; form-action {form_action}; \
             frame-ancestors 'none'; base-uri 'none'"
        );
        Self {
            csp: HeaderValue::from_str(&csp).expect("CSP is ASCII"),
            hsts: https.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains")),
        }
    }
}

/// Middleware adding the headers.
pub async fn add_security_headers(
    State(headers): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, headers.csp.clone());
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages carry personal data and CSRF tokens: never cache them.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(hsts) = &headers.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
}

/// The answer to a handler that panicked: the app's 500 page, which says nothing about the
/// panic (its message may hold anything, a token included); the panic is logged without its
/// payload, with the page's reference, and the request's span says where.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    super::error::AppError::Internal("a handler panicked".into()).into_response()
}
