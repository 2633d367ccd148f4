//! Per-client-address rate limits, black-box: login starts, callbacks and POSTs are counted per
//! address; past the limit a 429 with `Retry-After` and the security headers; other pages are
//! not limited; HEAD counts as GET (axum answers it with the GET handler); `X-Forwarded-For`
//! counts only from a trusted proxy; the provider's back-channel logout POSTs are never limited.

use crate::common;

use crate::support::backchannel as support;

use common::*;
use reqwest::{header, StatusCode};

fn limited_app(extra: &[(&str, &str)]) -> TestOptions {
    let mut env = vec![("FV_RATE_LIMIT_PER_MINUTE".to_owned(), "3".to_owned())];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    TestOptions {
        extra_env: env,
        ..Default::default()
    }
}

async fn login_start(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let b = app.browser();
    let mut req = b.http.get(app.url("/auth/login"));
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn login_starts_callbacks_and_posts_past_the_limit_get_a_429_page() {
    let app = spawn_app(limited_app(&[])).await;
    for _ in 0..2 {
        assert_eq!(
            login_start(&app, None).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    // The third in the same bucket is a callback, then a POST: both count.
    let b = app.browser();
    let r = b.get(&app.url("/auth/callback?code=x&state=y")).await;
    assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = b.post_form(&app.url("/auth/logout"), &[]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = login_start(&app, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    for name in [
        header::CONTENT_SECURITY_POLICY,
        header::X_FRAME_OPTIONS,
        header::X_CONTENT_TYPE_OPTIONS,
        header::CACHE_CONTROL,
    ] {
        assert!(r.headers().contains_key(&name), "429 without {name}");
    }
    assert!(r.text().await.unwrap().contains("Try again"));
    // Pages that cost nothing are not limited.
    for _ in 0..10 {
        assert_eq!(b.get(&app.url("/")).await.status(), StatusCode::OK);
    }
}

/// axum answers HEAD with the GET handler, so a HEAD starts a login or exchanges a code just
/// as a GET does: on every limited GET route (the login start, the default callback and a
/// configured one), HEADs spend the bucket, and past it HEAD and GET both get a 429.
#[tokio::test]
async fn head_requests_count_as_get_on_every_limited_route() {
    for (callback_path, route) in [
        ("/auth/callback", "/auth/login"),
        ("/auth/callback", "/auth/callback?code=x&state=y"),
        ("/signin-oidc", "/signin-oidc?code=x&state=y"),
    ] {
        let mut opts = limited_app(&[]);
        opts.callback_path = callback_path;
        let app = spawn_app(opts).await;
        let b = app.browser();
        for i in 0..3 {
            let r = b.http.head(app.url(route)).send().await.unwrap();
            assert_ne!(
                r.status(),
                StatusCode::TOO_MANY_REQUESTS,
                "{route} HEAD {i}"
            );
        }
        for _ in 0..2 {
            let r = b.http.head(app.url(route)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{route} HEAD");
            assert!(r.headers().contains_key(header::RETRY_AFTER));
        }
        let r = b.http.get(app.url(route)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{route} GET");
    }
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    // Not trusted: a client cannot buy a fresh bucket by writing the header.
    let app = spawn_app(limited_app(&[])).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let ip = format!("203.0.113.{i}");
        statuses.push(login_start(&app, Some(&ip)).await.status());
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "spoofed X-Forwarded-For bought fresh buckets: {statuses:?}"
    );

    // Behind a trusted proxy (the test connects from 127.0.0.1): one bucket per client.
    let app = spawn_app(limited_app(&[("FV_TRUSTED_PROXIES", "127.0.0.1")])).await;
    for i in 0..5 {
        let ip = format!("203.0.113.{i}");
        assert_eq!(
            login_start(&app, Some(&ip)).await.status(),
            StatusCode::SEE_OTHER,
            "client {ip}"
        );
    }
    let statuses: Vec<_> = futures_statuses(&app, "198.51.100.1", 5).await;
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "one client behind the proxy was not limited: {statuses:?}"
    );
}

async fn futures_statuses(app: &TestApp, ip: &str, n: usize) -> Vec<StatusCode> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(login_start(app, Some(ip)).await.status());
    }
    out
}

/// The provider posts logout tokens from one address: past the limit of that address for
/// every other POST, a burst of them is still answered (200 or 400, never 429), and a valid
/// one still ends its session.
#[tokio::test]
async fn back_channel_logout_posts_are_never_rate_limited() {
    let app = spawn_app(limited_app(&[])).await;
    let control = app.control();
    let ada = app.browser();
    ada.login(&app, "fv-user-1001", None).await;
    let sid = control.sids_of("fv-user-1001")[0].clone();
    // Spend the rest of the loopback address's bucket on other POSTs.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(ada.post_form(&app.url("/auth/logout"), &[]).await.status());
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "other POSTs are limited: {statuses:?}"
    );

    // From the same address: 30 refused tokens, then the valid one.
    for i in 0..30 {
        let r = support::post_logout_token(&app, &format!("not-a-jwt-{i}")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "logout token {i}");
    }
    assert!(support::signed_in(&app, &ada).await, "nothing ended yet");
    let claims = control.logout_claims(CLIENT_ID, "fv-user-1001", Some(&sid));
    let r = support::post_logout_token(&app, &control.sign_logout_token(&claims, None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!support::signed_in(&app, &ada).await, "the session ended");

    // The exemption is that one route: other POSTs are still refused.
    let r = ada.post_form(&app.url("/auth/logout"), &[]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}
