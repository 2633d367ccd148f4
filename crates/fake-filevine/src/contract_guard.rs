//! The stand-in's gateway held to Filevine's published contract at its edge, for every request
//! of every flow (not only the tests that look): a gateway call no route serves (a path cased
//! otherwise, a method the path does not publish) is answered as Filevine would (404 or 405)
//! and remembered as a request outside the contract; and every successful JSON answer is
//! validated against its operation's published schema, a departure remembered as the
//! stand-in's own mistake. Tests read both through [`super::FakeControl`], and the app's test
//! harness fails any test that ends with either on record.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::contract::Contract;
use super::gateway::gw_error;
use super::state::{lock, Shared};

/// Every path of the gateway starts here.
const GATEWAY_PREFIX: &str = "/fv-app/";

/// Largest answer validated (the largest page of 1,000 projects is well under it); a bigger
/// one is itself a departure worth a look.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// No route has this path: a 404 (the gateway's JSON error under `/fv-app/`), and under
/// `/fv-app/` a request outside the contract on record.
pub(crate) async fn not_found(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
) -> Response {
    unrouted(&shared, &method, &uri, StatusCode::NOT_FOUND)
}

/// The path is routed, but not for this method: a 405, remembered like [`not_found`].
pub(crate) async fn method_not_allowed(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
) -> Response {
    unrouted(&shared, &method, &uri, StatusCode::METHOD_NOT_ALLOWED)
}

fn unrouted(shared: &Shared, method: &Method, uri: &Uri, status: StatusCode) -> Response {
    if !uri.path().starts_with(GATEWAY_PREFIX) {
        return status.into_response();
    }
    let why = format!("{method} {} is not a published operation", uri.path());
    lock(&shared.wire.violations).push(why.clone());
    gw_error(status, format!("Not in Filevine's published API: {why}"))
}

/// Validates a successful JSON answer of a published gateway operation against its schema and
/// passes it on unchanged.
pub(crate) async fn validate_answers(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if !path.starts_with(GATEWAY_PREFIX) || !response.status().is_success() {
        return response;
    }
    let contract = Contract::published();
    let Some(schema) = contract
        .operation(method.as_str(), &path)
        .and_then(|op| op.response.as_ref())
    else {
        return response;
    };
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_ANSWER_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            lock(&shared.wire.answer_problems).push(format!(
                "{method} {path}: the answer could not be read: {e}"
            ));
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let problems = if !is_json {
        vec!["the answer is not application/json".to_owned()]
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(value) => contract.validate(schema, &value),
            Err(e) => vec![format!("the answer is not JSON: {e}")],
        }
    };
    if !problems.is_empty() {
        lock(&shared.wire.answer_problems).push(format!(
            "{method} {path} answered outside the published schema: {}",
            problems.join("; ")
        ));
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
#[path = "contract_guard_tests.rs"]
mod tests;
