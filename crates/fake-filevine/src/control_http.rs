//! The controls over HTTP, for a stand-in in another process (`GET /_fake/stats`,
//! `POST /_fake/control`): the same knobs as [`super::FakeControl`].

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::control::FakeControl;
use super::loopback::is_json;
use super::state::{lock, Shared};

/// `GET /_fake/stats`.
pub(crate) async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let token_calls = lock(&shared.token_calls).clone();
    let gateway_requests = lock(&shared.requests).len();
    let end_session_calls = lock(&shared.end_sessions).len();
    let ttl = lock(&shared.access_ttl).as_secs();
    let latency = lock(&shared.gateway_latency).as_millis() as u64;
    Json(json!({
        "token_calls": token_calls,
        "gateway_requests": gateway_requests,
        "gateway_in_flight": shared.in_flight.load(Ordering::SeqCst),
        "gateway_max_in_flight": shared.max_in_flight.load(Ordering::SeqCst),
        "gateway_latency_ms": latency,
        "end_session_calls": end_session_calls,
        "access_token_ttl_secs": ttl,
        "token_endpoint_down": shared.token_down.load(Ordering::SeqCst),
        "reused_refresh_tokens": shared.lab.reused_refresh.load(Ordering::SeqCst),
        "successful_refreshes": shared.lab.refreshes.load(Ordering::SeqCst),
        "revocation_calls": shared.lab.revocations.load(Ordering::SeqCst),
        "clock_offset_ms": shared.lab.clock_offset_ms.load(Ordering::SeqCst),
        "webhook_deliveries": lock(&shared.webhooks.delivery.finished).len(),
        "webhook_deliveries_dropped": shared.webhooks.delivery.dropped.load(Ordering::SeqCst),
    }))
    .into_response()
}

/// `fail_next` in a control request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FailNext {
    status: u16,
    count: usize,
    retry_after: Option<u64>,
}

/// The body of `POST /_fake/control`: any combination of these.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ControlRequest {
    access_token_ttl_secs: Option<u64>,
    fail_next: Option<FailNext>,
    token_endpoint_down: Option<bool>,
    revoke_refresh_tokens: Option<bool>,
    expire_access_tokens: Option<bool>,
    gateway_latency_ms: Option<u64>,
    reset_gateway_stats: Option<bool>,
    advance_clock_ms: Option<u64>,
    refresh_delay_ms: Option<u64>,
    change_project: Option<ChangeProject>,
}

/// `change_project` in a control request: a change to one org's projects, announced to its
/// webhook subscriptions.
#[derive(Deserialize)]
pub(crate) struct ChangeProject {
    org_id: i64,
    #[serde(flatten)]
    change: super::ProjectChange,
}

/// `POST /_fake/control`. Only `application/json` bodies: see [`super::loopback`].
pub(crate) async fn control(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Json(json!({ "error": "control requests must be Content-Type: application/json" })),
        )
            .into_response();
    }
    let req: ControlRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": format!("bad control request: {e}") })),
            )
                .into_response()
        }
    };
    let c = FakeControl { shared };
    if let Some(s) = req.access_token_ttl_secs {
        c.set_access_token_ttl(Duration::from_secs(s));
    }
    if let Some(f) = req.fail_next {
        c.fail_next_gateway_calls(f.status, f.count, f.retry_after);
    }
    if let Some(d) = req.token_endpoint_down {
        c.set_token_endpoint_down(d);
    }
    if req.revoke_refresh_tokens == Some(true) {
        c.revoke_refresh_tokens();
    }
    if req.expire_access_tokens == Some(true) {
        c.expire_access_tokens();
    }
    if let Some(ms) = req.gateway_latency_ms {
        c.set_gateway_latency(Duration::from_millis(ms));
    }
    if req.reset_gateway_stats == Some(true) {
        c.reset_gateway_stats();
    }
    if let Some(ms) = req.advance_clock_ms {
        c.advance_clock(Duration::from_millis(ms));
    }
    if let Some(ms) = req.refresh_delay_ms {
        c.set_refresh_delay(Duration::from_millis(ms));
    }
    if let Some(p) = req.change_project {
        if let Err(e) = c.change_project(p.org_id, p.change) {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response();
        }
    }
    stats(State(c.shared)).await
}
