//! Operational layers around every route: request ids, one access-log line plus metrics per
//! request, a request timeout and a body size limit.
//!
//! Order, outermost first: request id (accepted when sane, else made) -> the trace span (path
//! only: the callback's query holds the authorization code) -> access log and metrics -> body
//! limit -> timeout -> the app's own layers and handler.

use std::time::{Duration, Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderName, HeaderValue},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
};

use crate::telemetry::RequestUser;

/// The request id header, accepted from a proxy in front and returned on every response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Bounds applied to every request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Time to produce the response head. Streaming bodies are not cut by it.
    pub timeout: Duration,
    /// Largest accepted request body, in bytes (forms here are a few hundred bytes).
    pub body_bytes: usize,
    /// Largest body on the paths of [`LARGE_BODY_PATHS`] (webhook deliveries), in bytes.
    pub large_body_bytes: usize,
}

/// Paths whose bodies may be larger than a form: Filevine's webhook deliveries. Their own
/// limit, [`crate::live::delivery::MAX_BODY_BYTES`], is checked by their handler, after the
/// token, with a JSON answer; the edge's, twice that, only stops what no handler should read.
pub const LARGE_BODY_PATHS: &[&str] = &["/webhooks/filevine"];

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            body_bytes: 64 * 1024,
            large_body_bytes: 2 * crate::live::delivery::MAX_BODY_BYTES,
        }
    }
}

/// Routes exempt from the timeout: exports (and the feeds, which are exports for BI tools)
/// stream every project page by page and may take minutes on a large firm.
pub fn timeout_exempt(path: &str) -> bool {
    path.starts_with("/projects/export") || path.starts_with("/feeds/")
}

/// The inner layers: access log and metrics, body limit, timeout. Apply before (inside) the
/// trace layer so the log line belongs to the request's span.
pub fn inner<S: Clone + Send + Sync + 'static>(router: Router<S>, limits: Limits) -> Router<S> {
    router
        .layer(middleware::from_fn_with_state(limits.timeout, timeout))
        .layer(middleware::from_fn_with_state(limits, body_limit))
        .layer(middleware::from_fn(access_log))
}

/// The outer layers: request id. Apply last (outermost).
pub fn outer<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(middleware::from_fn(drop_unsafe_request_id))
}

/// Whether an incoming request id may be kept: short, and only characters that cannot forge
/// log lines or headers.
pub fn request_id_is_safe(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
}

/// Removes an incoming `x-request-id` we would not want in the logs; a fresh one is made.
async fn drop_unsafe_request_id(mut req: Request, next: Next) -> Response {
    let unsafe_id = req
        .headers()
        .get(&REQUEST_ID)
        .is_some_and(|v| !request_id_is_safe(v));
    if unsafe_id {
        req.headers_mut().remove(&REQUEST_ID);
    }
    next.run(req).await
}

/// The body limit of the request's path ([`Limits`]), by tower-http's `RequestBodyLimit`: a
/// 413 at once for a declared length above it, and a body cut off past it.
async fn body_limit(State(limits): State<Limits>, req: Request, next: Next) -> Response {
    use tower::{Layer, ServiceExt};
    let max = if LARGE_BODY_PATHS.contains(&req.uri().path()) {
        limits.large_body_bytes
    } else {
        limits.body_bytes
    };
    let next = next.map_request(|r: Request<tower_http::body::Limited<axum::body::Body>>| {
        r.map(axum::body::Body::new)
    });
    match RequestBodyLimitLayer::new(max)
        .layer(next)
        .oneshot(req)
        .await
    {
        Ok(response) => response.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}

/// Answers 503 when the handler has not produced a response head within the limit.
async fn timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    if timeout_exempt(req.uri().path()) {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_s = limit.as_secs(), "request timed out");
            super::error::AppError::TimedOut.into_response()
        }
    }
}

/// Probes and scrapes are logged at debug: an orchestrator polls them every few seconds.
fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/metrics")
}

/// One line per request: request id, route template, status, latency, and the user's subject
/// and organization when signed in; the method and path come once, from the request's span.
/// Never the query string, a cookie or a token.
async fn access_log(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    // A closed set (standard methods or `other`): the raw method is attacker-chosen text.
    let method = crate::metrics::method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "<unmatched>".to_owned());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let user = RequestUser::default();
    req.extensions_mut().insert(user.clone());

    let response = next.run(req).await;

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    crate::metrics::http_request(method, &route, status, elapsed);
    let (sub, org) = match user.get() {
        Some((sub, org)) => (Some(sub.as_str()), *org),
        None => (None, None),
    };
    let latency_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3;
    if is_probe(&route) {
        tracing::debug!(request_id, route, status, latency_ms, "request");
    } else {
        tracing::info!(request_id, route, status, latency_ms, sub, org, "request");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, http::StatusCode, routing::get};
    use tower::ServiceExt;

    fn app(limits: Limits) -> Router {
        let r = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "late"
                }),
            )
            .route(
                "/projects/export.csv",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "rows"
                }),
            )
            .route(
                "/echo",
                axum::routing::post(|body: String| async move { body }),
            )
            .route(
                "/webhooks/filevine",
                axum::routing::post(|body: String| async move { body }),
            );
        outer(inner(r, limits))
    }

    const SHORT: Limits = Limits {
        timeout: Duration::from_millis(50),
        body_bytes: 1024,
        large_body_bytes: 4096,
    };

    #[tokio::test]
    async fn slow_handlers_time_out_but_exports_do_not() {
        let r = app(SHORT)
            .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        let r = app(SHORT)
            .oneshot(
                Request::get("/projects/export.csv")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused() {
        let big = "x".repeat(2048);
        let r = app(SHORT)
            .oneshot(Request::post("/echo").body(Body::from(big)).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let r = app(SHORT)
            .oneshot(Request::post("/echo").body(Body::from("small")).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// Webhook deliveries get the large limit, every other path the small one, whether the
    /// length is declared or the body streams without one.
    #[tokio::test]
    async fn the_webhook_path_has_its_own_larger_limit() {
        let post = |path: &str, body: Body| Request::post(path).body(body).unwrap();
        let streamed = |n: usize| {
            let chunk: Result<bytes::Bytes, std::io::Error> = Ok(bytes::Bytes::from(vec![b'x'; n]));
            Body::from_stream(futures::stream::iter([chunk]))
        };
        for (path, body, status) in [
            ("/webhooks/filevine", Body::from("x".repeat(3000)), 200),
            ("/webhooks/filevine", streamed(3000), 200),
            ("/webhooks/filevine", Body::from("x".repeat(5000)), 413),
            ("/webhooks/filevine", streamed(5000), 413),
            ("/echo", Body::from("x".repeat(3000)), 413),
            ("/echo", streamed(3000), 413),
        ] {
            let r = app(SHORT).oneshot(post(path, body)).await.unwrap();
            assert_eq!(r.status().as_u16(), status, "{path}");
        }
    }

    #[tokio::test]
    async fn request_ids_are_kept_when_safe_and_made_otherwise() {
        let r = app(SHORT)
            .oneshot(
                Request::post("/echo")
                    .header("x-request-id", "abc-123")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.headers()["x-request-id"], "abc-123");
        let r = app(SHORT)
            .oneshot(
                Request::post("/echo")
                    .header("x-request-id", "evil\" injected=1")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, "evil\" injected=1");
        assert_eq!(id.len(), 36, "a fresh uuid: {id}");
    }
}
