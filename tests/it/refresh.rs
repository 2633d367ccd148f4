//! Tokens that stay fresh: proactive refresh, refresh after a 401, one refresh at a time, and
//! what a refused refresh or a provider outage does to the session.

use crate::common;

use std::time::Duration;

use common::*;
use reqwest::{header, StatusCode};

const ADA: &str = "fv-user-1001";

/// Past the 5-second tokens' expiry, for the app and the stand-in alike.
const EXPIRY: Duration = Duration::from_secs(6);

fn short_tokens() -> TestOptions {
    TestOptions {
        access_token_ttl: Duration::from_secs(5),
        refresh_margin_secs: 2,
        ..Default::default()
    }
}

#[tokio::test]
async fn page_opened_after_expiry_refreshes_once_and_succeeds() {
    let app = spawn_app(short_tokens()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 0);
    app.advance_clock(EXPIRY);
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 1);
    // The rotated refresh token was stored: a second expiry refreshes again, successfully.
    app.advance_clock(EXPIRY);
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 2);
}

#[tokio::test]
async fn concurrent_requests_on_one_expiring_session_refresh_once() {
    let app = spawn_app(short_tokens()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    app.advance_clock(EXPIRY);
    let url = app.url("/profile");
    let requests = (0..100).map(|_| {
        let http = b.http.clone();
        let url = url.clone();
        async move { http.get(url).send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(app.control().token_calls("refresh_token"), 1);
}

#[tokio::test]
async fn gateway_401_with_valid_looking_token_refreshes_once_and_retries() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    app.control().expire_access_tokens();
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 1);
}

#[tokio::test]
async fn refused_refresh_token_ends_session_cleanly() {
    let app = spawn_app(short_tokens()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    app.control().revoke_refresh_tokens();
    app.advance_clock(EXPIRY);
    let r = b.get(&app.url("/profile?x=1")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no 500");
    assert_eq!(
        r.headers()[header::LOCATION],
        "/auth/login?return_to=%2Fprofile%3Fx%3D1",
        "page remembered"
    );
    // The session ended with its sign-in: the home page no longer shows her signed in, and
    // her session is no longer listed anywhere.
    let home = b.get(&app.url("/")).await.text().await.unwrap();
    assert!(
        !home.contains("Log out"),
        "still signed in without tokens: {home}"
    );
    assert!(home.contains("Login with Filevine"), "{home}");
    let now = app.state.clock.now_unix();
    let listed = app
        .state
        .db
        .sessions_of_subject("us", ADA, now)
        .await
        .unwrap();
    assert!(listed.is_empty(), "{listed:?}");
    // The tokens are gone; signing in again works.
    let to = b.login(&app, ADA, Some("/profile?x=1")).await;
    assert_eq!(to, "/profile?x=1");
    assert_eq!(b.get(&app.url(&to)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn provider_outage_during_refresh_keeps_the_session() {
    let app = spawn_app(short_tokens()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    app.advance_clock(EXPIRY);
    app.control().set_token_endpoint_down(true);
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = r.text().await.unwrap();
    assert!(html.contains("Try again"), "{html}");
    app.control().set_token_endpoint_down(false);
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_offline_access_the_user_is_told_to_sign_in_again() {
    let mut opts = short_tokens();
    opts.extra_env.push((
        "FV_SCOPES".into(),
        "openid profile email tenant fv.auth.tenant.read filevine.v2.api.* fv.api.gateway.access"
            .into(),
    ));
    let app = spawn_app(opts).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    app.advance_clock(EXPIRY);
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let html = r.text().await.unwrap();
    assert!(html.contains("offline_access"), "{html}");
    assert!(html.contains("/auth/login?return_to=%2Fprofile"), "{html}");
    assert_eq!(
        app.control().token_calls("refresh_token"),
        0,
        "nothing to refresh with"
    );
}

#[tokio::test]
async fn a_brief_provider_outage_is_ridden_out_by_retrying() {
    let app = spawn_app(short_tokens()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    app.advance_clock(EXPIRY);
    let control = app.control();
    control.set_token_endpoint_down(true);
    let back = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        control.set_token_endpoint_down(false);
    });
    let r = b.get(&app.url("/profile")).await;
    back.await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "retried until the provider was back"
    );
    assert!(
        app.control().token_calls("refresh_token") >= 2,
        "the first attempt failed"
    );
}

#[tokio::test]
async fn tokens_sealed_with_another_key_mean_sign_in_again() {
    use fv_partner_app::store::Db;
    use tower_sessions_sqlx_store::sqlx;
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    let Db::Sqlite(pool) = &app.state.db else {
        panic!("sqlite expected")
    };
    // What a row sealed under a previous FV_SECRET_KEY looks like to this one.
    let other = fv_partner_app::crypto::Cipher::new(
        &fv_partner_app::config::SecretKey::from_bytes([9; 32]),
    );
    let sealed = other.seal_bytes("token-set", &[], b"{}");
    sqlx::query("UPDATE fv_token_vault SET sealed = ?")
        .bind(sealed)
        .execute(pool)
        .await
        .unwrap();
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "not a 500");
    assert!(r.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/auth/login"));
}

/// After a refresh the provider's new ID token, validly signed, is spoiled by `tamper`: the
/// session ends (OpenID Connect Core 12.2), not just this request.
async fn a_spoiled_refreshed_id_token_ends_the_session(tamper: fake_filevine::Tamper) {
    let app = spawn_app(short_tokens()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    app.control().set_id_token_tamper(Some(tamper));
    app.advance_clock(EXPIRY);
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{tamper:?}: not signed in"
    );
    assert!(r.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/auth/login"));
    assert_eq!(app.control().token_calls("refresh_token"), 1);
    app.control().set_id_token_tamper(None);
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{tamper:?}: session gone"
    );
    assert_eq!(app.state.db.vault_count_live(0).await.unwrap(), 0);
}

#[tokio::test]
async fn a_refreshed_id_token_for_another_subject_ends_the_session() {
    a_spoiled_refreshed_id_token_ends_the_session(fake_filevine::Tamper::OtherSubject).await;
}

#[tokio::test]
async fn a_refreshed_id_token_from_another_issuer_ends_the_session() {
    a_spoiled_refreshed_id_token_ends_the_session(fake_filevine::Tamper::WrongIssuer).await;
}
