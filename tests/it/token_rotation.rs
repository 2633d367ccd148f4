//! Issue 12, fault 5: the provider rotates its signing key between login and refresh.

use crate::common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;

const TTL: Duration = Duration::from_secs(60);

async fn signed_in() -> (TestApp, Browser) {
    signed_in_with_ttl(TTL).await
}

#[tokio::test]
async fn a_key_rotated_within_the_refetch_cooldown_keeps_the_session() {
    let (app, b) = signed_in().await;
    // The key set was just refetched (a forged token at the callback, say): the cool-down
    // would refuse another refetch for an hour.
    app.state
        .environments
        .default_env()
        .oidc
        .set_key_refetch_cooldown(Duration::from_secs(3600));
    assert!(
        app.state
            .environments
            .default_env()
            .oidc
            .refresh_keys_older_than(Duration::ZERO)
            .await
    );
    app.control().rotate_signing_key(true).await.unwrap();
    let fetches = app.control().jwks_fetches();
    app.advance_clock(TTL + Duration::from_secs(1));
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 1);
    assert_eq!(
        app.control().jwks_fetches(),
        fetches + 1,
        "a refreshed ID token refetches keys despite the cool-down"
    );
    // The new refresh token was kept: the next refresh works too.
    app.advance_clock(TTL + Duration::from_secs(1));
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 2);
    assert_eq!(app.control().reused_refresh_tokens(), 0);
}

#[tokio::test]
async fn new_tokens_are_kept_when_only_the_key_set_is_stale() {
    let (app, b) = signed_in().await;
    // The provider signs with a key it has not published yet.
    app.control()
        .rotate_signing_key_unpublished()
        .await
        .unwrap();
    app.advance_clock(TTL + Duration::from_secs(1));
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 1);
    // The rotated refresh token was stored: the next refresh presents it, not the spent one.
    app.control().publish_signing_key();
    app.advance_clock(TTL + Duration::from_secs(1));
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 2);
    assert_eq!(app.control().reused_refresh_tokens(), 0);
}

#[tokio::test]
async fn a_badly_signed_refreshed_id_token_still_ends_the_session() {
    let (app, b) = signed_in().await;
    app.control()
        .tamper_next_id_token(fake_filevine::Tamper::BadSignature);
    app.advance_clock(TTL + Duration::from_secs(1));
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a known key that does not verify is no stale key set"
    );
}
