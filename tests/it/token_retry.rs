//! Issue 12, fault 4: the retry rule. A refresh is retried only when the first attempt
//! provably did not spend the refresh token (connect error, 5xx, `temporarily_unavailable` or
//! `server_error` in the body); an answer lost after the provider may have rotated (garbled, or
//! the connection reset) is not retried.

use crate::common;

use std::time::Duration;

use common::*;
use fake_filevine::RefreshFault;
use reqwest::StatusCode;

const TTL: Duration = Duration::from_secs(60);

async fn expired_session() -> (TestApp, Browser) {
    let (app, b) = signed_in_with_ttl(TTL).await;
    app.advance_clock(TTL + Duration::from_secs(1));
    (app, b)
}

#[tokio::test]
async fn a_proxy_502_with_an_html_body_is_retried() {
    let (app, b) = expired_session().await;
    app.control()
        .fail_next_refreshes(&[RefreshFault::BadGatewayHtml, RefreshFault::BadGatewayHtml]);
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 3);
    assert_eq!(app.control().reused_refresh_tokens(), 0);
}

/// A refresh whose answer may have been lost after the provider rotated the token: the user
/// gets the try-again page and the possibly spent refresh token is never sent again.
async fn uncertain_refresh_is_not_resent(fault: RefreshFault) {
    let (app, b) = expired_session().await;
    app.control().fail_next_refreshes(&[fault]);
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(
        r.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "try-again page, no 500"
    );
    assert_eq!(
        app.control().token_calls("refresh_token"),
        1,
        "the possibly spent token was not sent again"
    );
    assert_eq!(app.control().reused_refresh_tokens(), 0);
}

#[tokio::test]
async fn an_answer_lost_after_rotation_is_not_resent() {
    uncertain_refresh_is_not_resent(RefreshFault::GarbledAfterRotation).await;
}

#[tokio::test]
async fn a_provider_that_refuses_connections_is_retried_then_reported() {
    let (app, b) = expired_session().await;
    app.control().set_token_endpoint_down(true);
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.control().token_calls("refresh_token"),
        3,
        "three attempts"
    );
    app.control().set_token_endpoint_down(false);
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().reused_refresh_tokens(), 0);
}

/// RFC 6749's "try later" codes in a 400's body: the provider did nothing, so a retry is safe
/// although the status alone would not say so.
#[tokio::test]
async fn temporarily_unavailable_and_server_error_bodies_are_retried() {
    let (app, b) = expired_session().await;
    app.control().fail_next_refreshes(&[
        RefreshFault::TemporarilyUnavailable,
        RefreshFault::ServerErrorBody,
    ]);
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 3);
    assert_eq!(app.control().successful_refreshes(), 1);
    assert_eq!(app.control().reused_refresh_tokens(), 0);
}

#[tokio::test]
async fn a_connection_reset_after_the_request_was_sent_is_not_resent() {
    uncertain_refresh_is_not_resent(RefreshFault::ResetAfterRotation).await;
}
