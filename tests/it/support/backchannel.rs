//! Helpers of the back-channel logout tests.
#![allow(dead_code)]

use crate::common::*;
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

/// Whether `b` is still signed in at `app`: its cookie names a stored session record that holds
/// a user. Read from the database, not through a page: a page load can change what it checks
/// (`/profile` ends a session whose tokens are gone, so a session that had come back would be
/// ended by the check and reported as ended).
pub async fn signed_in(app: &TestApp, b: &Browser) -> bool {
    let Some(id) = stored_id_of(app, b) else {
        return false;
    };
    use tower_sessions::SessionStore;
    let record = app.state.db.session_store().load(&id).await.unwrap();
    record.is_some_and(|r| fv_partner_app::auth::session::user_of_record(&r.data).is_some())
}

/// The id the session table holds for `b`'s session cookie (a keyed hash of it), if it has one.
pub fn stored_id_of(app: &TestApp, b: &Browser) -> Option<tower_sessions::session::Id> {
    let cookie = b.session_cookie(app)?;
    Some(stored_id_of_cookie(app, &cookie))
}

/// The id the session table holds for the session cookie value `cookie`.
pub fn stored_id_of_cookie(app: &TestApp, cookie: &str) -> tower_sessions::session::Id {
    use std::str::FromStr;
    let id = tower_sessions::session::Id::from_str(cookie).expect("a session cookie");
    fv_partner_app::store::HashedIds::new((), &app.settings.db.secret_key).stored_id(&id)
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
