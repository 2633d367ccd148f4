//! The refresh-token grant, as a provider with rotation and reuse detection does it
//! (RFC 9700 section 4.14.2): every refresh spends the presented token and issues a new one;
//! presenting a spent token again counts as reuse and revokes every token of that login.
//!
//! A test can add a delay *after* the rotation is committed and before the answer is sent:
//! the moment a client that gives up (closes its socket, times out) loses the new token unless
//! it finishes the refresh on its own.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::options::FakeClient;
use super::provider::{
    has_scope, id_token, invalid_grant, oauth_error, param, scopes, single, token_ok,
};
use super::state::{lock, random_token, RefreshGrant, Shared};

/// A scripted failure of one refresh grant (see `FakeControl::fail_next_refreshes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshFault {
    /// A proxy's 502 with an HTML body, before the provider saw the request: nothing spent.
    BadGatewayHtml,
    /// The token is rotated, then the answer is cut off (a 200 that is not JSON): the old
    /// token is spent and the new one never arrives.
    GarbledAfterRotation,
    /// A 400 whose body says `temporarily_unavailable` (RFC 6749 5.2), before anything is
    /// spent: only the error code tells the client that trying again is safe.
    TemporarilyUnavailable,
    /// A 400 whose body says `server_error`, before anything is spent.
    ServerErrorBody,
    /// The token is rotated, then the connection is dropped without an answer (a reset after
    /// the request was sent): the old token is spent and the client cannot know it.
    ResetAfterRotation,
}

/// `grant_type=refresh_token` at `POST /connect/token`.
pub(crate) async fn refresh_grant(
    shared: &Shared,
    client: &FakeClient,
    p: &[(String, String)],
) -> Result<Response, Response> {
    let stall = shared.lab.refresh_stall_ms.load(Ordering::SeqCst);
    if stall > 0 {
        tokio::time::sleep(Duration::from_millis(stall)).await;
    }
    let fault = lock(&shared.lab.refresh_faults).pop_front();
    if fault == Some(RefreshFault::BadGatewayHtml) {
        return Err((
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response());
    }
    for (code, fault_of) in [
        (
            "temporarily_unavailable",
            RefreshFault::TemporarilyUnavailable,
        ),
        ("server_error", RefreshFault::ServerErrorBody),
    ] {
        if fault == Some(fault_of) {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                code,
                "try again in a moment",
            ));
        }
    }
    let old = param(p, "refresh_token")?;
    shared.remember_secret(old);
    let requested_scope = single(p, "scope").ok().flatten();
    let (user, scope, auth_time, refresh) = {
        let mut grants = lock(&shared.grants);
        if let Some(family) = grants.spent_refresh.get(old).copied() {
            shared.lab.reused_refresh.fetch_add(1, Ordering::SeqCst);
            grants.refresh.retain(|_, g| g.family != family);
            shared.keep_refresh(&grants);
            tracing::warn!("a spent refresh token was presented again: the whole grant is revoked");
            return Err(invalid_grant(
                "refresh token reuse detected; the grant is revoked",
            ));
        }
        let g = grants
            .refresh
            .get(old)
            .ok_or_else(|| invalid_grant("unknown, used or revoked refresh token"))?;
        if g.client_id != client.client_id {
            return Err(invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        let scope = match requested_scope {
            Some(s) => {
                if let Some(extra) = scopes(s).find(|x| !has_scope(&g.scope, x)) {
                    return Err(oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        &format!("scope {extra} was not granted originally"),
                    ));
                }
                s.to_owned()
            }
            None => g.scope.clone(),
        };
        let (user, auth_time, granted, family) = (g.user, g.auth_time, g.scope.clone(), g.family);
        let refresh = if shared.rotation {
            grants.refresh.remove(old);
            grants.spent_refresh.insert(old.to_owned(), family);
            let new = random_token("fvrt_");
            grants.refresh.insert(
                new.clone(),
                RefreshGrant {
                    client_id: client.client_id.clone(),
                    user,
                    scope: granted,
                    auth_time,
                    family,
                },
            );
            shared.keep_refresh(&grants);
            new
        } else {
            old.to_owned()
        };
        (user, scope, auth_time, refresh)
    };
    shared.remember_secret(&refresh);
    let (access, expires_in) = shared.issue_access_token(&client.client_id, user, &scope);
    let id = id_token(shared, &client.client_id, user, auth_time, None, None)?;
    shared.lab.refreshes.fetch_add(1, Ordering::SeqCst);
    if fault == Some(RefreshFault::GarbledAfterRotation) {
        return Ok((StatusCode::OK, "{\"access_token\": ").into_response());
    }
    if fault == Some(RefreshFault::ResetAfterRotation) {
        // Unwinding ends this connection's task before a byte of the answer is written, as a
        // reset would; `resume_unwind` skips the panic hook, so nothing is printed.
        std::panic::resume_unwind(Box::new("connection reset by the stand-in"));
    }
    let delay = shared.lab.refresh_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    Ok(token_ok(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
        "id_token": id,
        "refresh_token": refresh,
    })))
}
