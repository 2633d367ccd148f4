//! Helpers of the back-channel logout tests.
#![allow(dead_code)]

use super::common::*;
use reqwest::StatusCode;

/// Posts `token` as the provider would: no cookie, no CSRF token, a form field.
pub async fn post_logout_token(app: &TestApp, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/auth/backchannel-logout"))
        .form(&[("logout_token", token)])
        .send()
        .await
        .unwrap()
}

/// Whether `b` is still signed in at `app` (its profile page answers instead of a login
/// redirect).
pub async fn signed_in(app: &TestApp, b: &Browser) -> bool {
    let r = b.get(&app.url("/profile")).await;
    match r.status() {
        StatusCode::OK => true,
        s if s.is_redirection() => false,
        s => panic!("profile answered {s}"),
    }
}

/// A 400 with a JSON error, never a page or a 500.
pub async fn assert_refused(r: reqwest::Response, case: &str) {
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{case}");
    assert_eq!(r.headers()["cache-control"], "no-store", "{case}");
    let body: serde_json::Value = r.json().await.unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(body["error"], "invalid_request", "{case}");
}

/// How many token-vault rows the app's database holds.
pub async fn vault_count(app: &TestApp) -> u64 {
    app.state.db.vault_count_live(0).await.unwrap()
}
