//! Operations, black-box: health and readiness, metrics after a real login, request ids and
//! the body limit on the real router.

use crate::common;

use common::*;
use reqwest::StatusCode;

const ADA: &str = "fv-user-1001";

#[tokio::test]
async fn healthz_and_readyz_answer_and_readyz_reports_a_dead_database() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let r = b.get(&app.url("/healthz")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = b.get(&app.url("/readyz")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["provider"], "ok");

    // The database goes away: not ready, saying why, and still alive.
    match &app.state.db {
        fv_partner_app::store::Db::Sqlite(p) => p.close().await,
        fv_partner_app::store::Db::Postgres(p) => p.close().await,
    }
    let r = b.get(&app.url("/readyz")).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "not ready");
    assert!(
        body["database"]
            .as_str()
            .unwrap()
            .contains("does not answer"),
        "{body}"
    );
    assert!(!body.to_string().contains(SECRET_KEY_HEX));
    assert_eq!(b.get(&app.url("/healthz")).await.status(), StatusCode::OK);
}

/// A database that takes no new work (every pooled connection held, as under a stuck
/// transaction) makes `/readyz` say so after its 2 s timeout, not hang for the pool's 30 s.
#[tokio::test]
async fn readyz_gives_up_on_a_database_that_does_not_answer_within_2_s() {
    let app = spawn_app(TestOptions::default()).await;
    let fv_partner_app::store::Db::Sqlite(pool) = &app.state.db else {
        unreachable!("the default test database is SQLite")
    };
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(pool.acquire().await.unwrap());
    }
    let r = app.browser().get(&app.url("/readyz")).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["database"]
            .as_str()
            .unwrap()
            .contains("did not answer within 2 s"),
        "{body}"
    );
    drop(held);
    let r = app.browser().get(&app.url("/readyz")).await;
    assert_eq!(r.status(), StatusCode::OK, "ready again once it answers");
}

#[tokio::test]
async fn metrics_count_logins_routes_and_gateway_calls_by_template() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, Some("/profile")).await;
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    // A route with a parameter: its label is the template, whatever the id; a path no route
    // matches is `<unmatched>`.
    b.get(&app.url("/projects/987654321")).await;
    b.get(&app.url("/no-such-page-4711")).await;
    // A failed login: a callback with a state this browser never had.
    let bad = app.url("/auth/callback?code=abc&state=nope");
    b.get(&bad).await;

    let r = b.get(&app.url("/metrics")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    for needle in [
        "fv_logins_started_total",
        "fv_logins_succeeded_total",
        r#"fv_logins_failed_total{reason="unknown_state"}"#,
        r#"route="/profile""#,
        r#"route="/auth/callback""#,
        "fv_http_request_duration_seconds_bucket",
        r#"endpoint="fv-app/v2/utils/GetUserOrgsWithToken",status="200""#,
        r#"endpoint="fv-app/v2/Users/Me""#,
        "fv_gateway_request_duration_seconds_bucket",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
    // Never the raw path or query, never a token.
    assert!(text.contains(r#"route="/projects/{id}""#), "{text}");
    assert!(text.contains(r#"route="<unmatched>""#), "{text}");
    for raw in ["987654321", "no-such-page-4711", "code=abc"] {
        assert!(!text.contains(raw), "raw {raw} in:\n{text}");
    }
    for secret in app.control().issued_secrets() {
        assert!(!text.contains(&secret));
    }
}

#[tokio::test]
async fn responses_carry_request_ids_and_big_bodies_are_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let r = b
        .http
        .get(app.url("/"))
        .header("x-request-id", "from-the-proxy-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "from-the-proxy-42");
    let r = b.get(&app.url("/")).await;
    assert_eq!(r.headers()["x-request-id"].len(), 36);

    let big = "x".repeat(100 * 1024);
    let r = b
        .http
        .post(app.url("/auth/logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={big}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// Made-up HTTP methods are one `other` label, not a series each: a flood of them leaves
/// `/metrics` small and free of the attacker's text.
#[tokio::test]
async fn a_flood_of_made_up_methods_does_not_grow_metrics() {
    let app = spawn_app(TestOptions::default()).await;
    let client = reqwest::Client::new();
    let before = client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .len();
    for i in 0..400 {
        let method = reqwest::Method::from_bytes(format!("ZQ{i:0>120}").as_bytes()).unwrap();
        let path = if i % 2 == 0 { "/" } else { "/no-such-page" };
        let r = client.request(method, app.url(path)).send().await.unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    let text = client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("ZQ0"), "a made-up method became a label");
    assert!(text.contains(r#"method="other""#), "{text}");
    // 400 series of a counter and a 14-bucket histogram would add megabytes; other tests of
    // this binary add a few routes meanwhile.
    assert!(
        text.len() < before + 64 * 1024,
        "/metrics grew from {before} to {} bytes",
        text.len()
    );
}

/// The refresh and PAT counters move when a token is refreshed or a PAT exchanged.
#[tokio::test]
async fn metrics_count_refreshes_and_pat_exchanges_by_outcome() {
    use secrecy::SecretString;
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    app.advance_clock(std::time::Duration::from_secs(1200));
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 1);
    let client = app.state.connections.pat_client();
    client
        .source(SecretString::from(fake_filevine::DEMO_PAT))
        .token()
        .await
        .unwrap();
    let wrong = client.source(SecretString::from("fvpat_not_a_real_one_0123456789"));
    assert!(wrong.token().await.is_err());
    let text = b.get(&app.url("/metrics")).await.text().await.unwrap();
    for needle in [
        r#"fv_token_refreshes_total{outcome="success"}"#,
        r#"fv_pat_exchanges_total{outcome="success"}"#,
        r#"fv_pat_exchanges_total{outcome="rejected"}"#,
        "fv_active_sessions",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
}
