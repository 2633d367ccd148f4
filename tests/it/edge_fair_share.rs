//! One person's exports cannot starve everyone else (issue 19): at most two exports per user at
//! once (a third gets a friendly 429 with `Retry-After`, and a slot comes back when an export
//! ends), and at most half the gateway permits per user while others use the gateway. That
//! share is proven deterministically in `filevine::fair_share`'s unit tests; here, that a user
//! alone still borrows the whole idle pool, so the share does not halve a lone export.

use crate::common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;

const ADA: &str = "fv-user-1001";

async fn app_with_concurrency(n: &str) -> TestApp {
    spawn_app(TestOptions {
        extra_env: vec![("FV_CONCURRENCY".into(), n.into())],
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn a_user_alone_borrows_the_whole_idle_pool() {
    let app = app_with_concurrency("4").await;
    let ada = app.browser();
    ada.login(&app, ADA, Some("/projects")).await;
    app.control()
        .set_gateway_latency(Duration::from_millis(150));
    app.control().reset_gateway_stats();

    // Two exports at once, each walking pages four at a time: eight calls would like to be in
    // flight, the pool has four, nobody else is using it.
    let url = app.url("/projects/export.csv");
    let (a, b) = tokio::join!(async { ada.get(&url).await.text().await.unwrap() }, async {
        ada.get(&url).await.text().await.unwrap()
    },);
    assert!(
        a.lines().count() > 1000 && b.lines().count() > 1000,
        "both exports complete"
    );
    let ada_id = fake_filevine::ADA.user_id;
    let max = app.control().gateway_max_in_flight_of(ada_id);
    assert!(max > 2, "alone, Ada was held to {max} of 4 permits");
    assert!(
        app.control().gateway_max_in_flight() <= 4,
        "the pool's bound holds"
    );
}

#[tokio::test]
async fn a_third_export_at_once_is_refused_with_retry_after_and_a_slot_comes_back() {
    let app = app_with_concurrency("8").await;
    let ada = app.browser();
    ada.login(&app, ADA, Some("/projects")).await;
    // Slow enough that the first two are still running when the third asks.
    app.control()
        .set_gateway_latency(Duration::from_millis(400));
    let url = app.url("/projects/export.csv");
    let (r1, r2, r3) = tokio::join!(ada.get(&url), ada.get(&url), ada.get(&url));
    let mut statuses = [r1.status(), r2.status(), r3.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    let refused = [r1, r2, r3]
        .into_iter()
        .find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .unwrap();
    assert_eq!(refused.headers()["retry-after"], "10");
    assert!(refused.headers().contains_key("content-security-policy"));
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Your other exports are still running"),
        "{page}"
    );

    // Another user is not affected while Ada's two run.
    let ben = app.browser();
    let to = ben.login(&app, "fv-user-1002", Some("/projects")).await;
    let csrf = csrf_of(&ben.get(&app.url(&to)).await.text().await.unwrap());
    ben.post_form(&app.url("/org"), &[("csrf", &csrf), ("org_id", "5001")])
        .await;
    assert_eq!(ben.get(&url).await.status(), StatusCode::OK);

    // Once the exports have finished (the bodies read to the end above or dropped), Ada may
    // export again.
    app.control().set_gateway_latency(Duration::ZERO);
    let again = ada.get(&url).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(again.text().await.unwrap().lines().count() > 1000);
}
