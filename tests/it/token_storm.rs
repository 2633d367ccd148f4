//! Issue 12, fault 3: a provider issuing tokens shorter than `FV_REFRESH_MARGIN_SECONDS`.
//! With the default 60 s margin and 4-second tokens, the margin is capped by the token's own
//! lifetime; otherwise every request would refresh.

use crate::common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;

const TTL: Duration = Duration::from_secs(4);

fn four_second_tokens() -> TestOptions {
    TestOptions {
        access_token_ttl: TTL,
        // The default margin, fifteen times the tokens' lifetime.
        refresh_margin_secs: 60,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_storm_on_four_second_tokens_makes_one_refresh() {
    let app = spawn_app(four_second_tokens()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    app.advance_clock(TTL + Duration::from_secs(1));
    let url = app.url("/profile");
    let storm = (0..100).map(|_| {
        let http = b.http.clone();
        let url = url.clone();
        async move { http.get(url).send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(storm).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(app.control().token_calls("refresh_token"), 1);
}

#[tokio::test]
async fn steady_traffic_refreshes_about_once_per_token_lifetime() {
    let app = spawn_app(four_second_tokens()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    let step = Duration::from_millis(250);
    let steps = 80; // 20 s of traffic: five token lifetimes, 80 requests
    for _ in 0..steps {
        app.advance_clock(step);
        assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    }
    let refreshes = app.control().token_calls("refresh_token");
    let lifetimes = (step * steps).as_secs_f64() / TTL.as_secs_f64();
    println!(
        "{refreshes} refreshes for {steps} requests over {lifetimes} token lifetimes ({:.2} per lifetime)",
        refreshes as f64 / lifetimes
    );
    // Each token is used for three quarters of its life: about 1.33 refreshes per lifetime
    // (whole seconds make it vary a little), never one per request.
    assert!(refreshes >= 4, "{refreshes}");
    assert!(refreshes <= 9, "{refreshes} refreshes for {steps} requests");
}
