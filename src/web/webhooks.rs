//! `POST /webhooks/filevine`: Filevine's webhook deliveries, server to server. No cookie, no
//! CSRF token (the bearer token's signature is the authentication), no per-address rate limit
//! (Filevine sends from a few addresses, and a 429 would only delay live data); the body may
//! be up to 256 KiB ([`crate::live::delivery::MAX_BODY_BYTES`], the edge's body limit allows
//! it on this path only).
//!
//! Answers: 202 once the delivery is stored (new, duplicate, ignored or for an org not
//! served), 401 for a missing or bad token, 400 for a body that is not the documented JSON,
//! 413 when too big, 503 when it could not be stored (the sender retries). The body is a short
//! JSON error that names the rule, never a key or the token; each refusal is logged at WARN.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use crate::{
    live::{
        delivery::MAX_BODY_BYTES,
        receiver::{Receiver, Refusal},
    },
    state::AppState,
};

/// The handler: verify the token, then read the body and store it, answer.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let receiver = Receiver {
        environments: &state.environments,
        db: &state.db,
        hub: &state.live,
        clock: &state.clock,
        audience: &state.settings.live.webhook_audience,
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let result = match receiver.verify(authorization).await {
        Ok(verified) => {
            let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await.ok();
            receiver.store(&verified, body.as_deref()).await
        }
        // Refused before a byte of the body is read.
        Err(refusal) => Err(refusal),
    };
    let mut response = match result {
        Ok(accepted) => {
            crate::metrics::webhook_delivery(accepted.label());
            tracing::info!(outcome = accepted.label(), "webhook delivery");
            (
                StatusCode::ACCEPTED,
                Json(serde_json::json!({ "status": accepted.label() })),
            )
                .into_response()
        }
        Err(refusal) => {
            crate::metrics::webhook_delivery(refusal.label());
            let status = match &refusal {
                Refusal::NoToken | Refusal::NotBearer | Refusal::Token(_) => {
                    StatusCode::UNAUTHORIZED
                }
                Refusal::Body(_) => StatusCode::BAD_REQUEST,
                Refusal::TooBig => StatusCode::PAYLOAD_TOO_LARGE,
                Refusal::Db(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            if let Refusal::Db(e) = &refusal {
                tracing::error!(error = %e, "a webhook delivery could not be stored");
            } else {
                tracing::warn!(reason = refusal.reason(), "webhook delivery refused");
            }
            let message = match &refusal {
                Refusal::Db(_) => "the delivery could not be stored; retry".to_owned(),
                other => other.to_string(),
            };
            let mut r = (status, Json(serde_json::json!({ "error": message }))).into_response();
            if status == StatusCode::UNAUTHORIZED {
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            r
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
