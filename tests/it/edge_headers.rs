//! Security headers on the edge's own responses, black-box, over http and https: the 404 of the
//! fallback, the 405 of a route, the 413 of the body limit, the 503 of the request timeout, a
//! static file, a redirect and an error page all carry the same set. Exports, which stream for
//! as long as the firm's projects take, are exempt from that timeout.

use crate::common;

use std::time::Duration;

use common::*;
use reqwest::{header, StatusCode};

const ADA: &str = "fv-user-1001";

fn assert_headers(what: &str, r: &reqwest::Response, https: bool) {
    let h = r.headers();
    let csp = h
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(
        h.get(header::X_FRAME_OPTIONS).map(|v| v.to_str().unwrap()),
        Some("DENY"),
        "{what}"
    );
    assert_eq!(
        h.get(header::X_CONTENT_TYPE_OPTIONS)
            .map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        h.get(header::REFERRER_POLICY).map(|v| v.to_str().unwrap()),
        Some("no-referrer"),
        "{what}"
    );
    assert!(
        h.contains_key(header::CACHE_CONTROL),
        "{what}: no Cache-Control"
    );
    assert_eq!(
        h.contains_key(header::STRICT_TRANSPORT_SECURITY),
        https,
        "{what}: HSTS under https={https}"
    );
}

async fn edge_responses_carry_the_headers(https: bool) {
    let app = spawn_app(TestOptions {
        https,
        extra_env: vec![("FV_REQUEST_TIMEOUT_SECONDS".into(), "1".into())],
        ..Default::default()
    })
    .await;
    let b = app.browser();

    let r = b.get(&app.url("/no-such-page")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_headers("404", &r, https);

    let r = b.http.delete(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_headers("405", &r, https);

    let r = b
        .http
        .post(app.url("/auth/logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}", "x".repeat(200 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_headers("413", &r, https);

    let r = b.get(&app.url("/static/app.css")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_headers("static", &r, https);

    let r = b.get(&app.url("/auth/login")).await;
    assert!(r.status().is_redirection());
    assert_headers("redirect", &r, https);

    let r = b
        .get(&app.url("/auth/callback?error=access_denied&state=x"))
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_headers("error page", &r, https);

    // A page whose gateway call outlasts the 1-second request timeout: the timeout's 503.
    b.login(&app, ADA, None).await;
    app.control().set_gateway_latency(Duration::from_secs(3));
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_headers("503 timeout", &r, https);
}

#[tokio::test]
async fn edge_responses_carry_the_security_headers_over_http() {
    edge_responses_carry_the_headers(false).await;
}

#[tokio::test]
async fn edge_responses_carry_the_security_headers_over_https() {
    edge_responses_carry_the_headers(true).await;
}

/// An export whose first gateway page alone outlasts the 1-second request timeout is not cut:
/// the whole file arrives.
#[tokio::test]
async fn exports_are_exempt_from_the_request_timeout() {
    let app = spawn_app(TestOptions {
        extra_env: vec![("FV_REQUEST_TIMEOUT_SECONDS".into(), "1".into())],
        ..Default::default()
    })
    .await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    app.control()
        .set_gateway_latency(Duration::from_millis(1500));
    let r = b.get(&app.url("/projects/export.csv")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    // The stand-in's org has 1,250 projects, more than one gateway page.
    assert!(csv.lines().count() > 1000, "{}", &csv[..csv.len().min(300)]);
}
