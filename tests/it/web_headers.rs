//! Cookies and security headers, through the real round trip: the attributes of every
//! cookie a login sets under http and https, and the security headers on every kind of
//! response (pages, redirects, errors, static files, signed in and out).

use crate::common;

use common::*;
use reqwest::{header, StatusCode};
use url::Url;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";

/// Cookie attributes of every `Set-Cookie` the app sends during a login.
async fn login_cookies(app: &TestApp) -> Vec<String> {
    let b = app.browser();
    let mut cookies = Vec::new();
    let r = b.get(&app.url("/auth/login")).await;
    cookies.extend(
        r.headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned()),
    );
    let callback = b.provider_choose(&location(&r), Choice::User(ADA)).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    cookies.extend(
        r.headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned()),
    );
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert!(
        cookies.len() >= 2,
        "cookies at login start and after the callback"
    );
    cookies
}

#[tokio::test]
async fn cookie_attributes_under_http() {
    let app = spawn_app(TestOptions::default()).await;
    for c in login_cookies(&app).await {
        // The session cookie, and the pending-login cookie of the login in flight.
        assert!(
            c.starts_with("fv_session=") || c.starts_with("fv_login="),
            "{c}"
        );
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        assert!(c.contains("Path=/") && !c.contains("Domain"), "{c}");
        assert!(!c.contains("Secure"), "plain http: {c}");
    }
}

#[tokio::test]
async fn cookie_attributes_under_https() {
    let app = spawn_app(TestOptions {
        https: true,
        ..Default::default()
    })
    .await;
    assert_eq!(app.base.scheme(), "https");
    for c in login_cookies(&app).await {
        assert!(
            c.starts_with("__Host-fv_session=") || c.starts_with("__Host-fv_login="),
            "{c}"
        );
        assert!(c.contains("Secure"), "{c}");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        // __Host- requires Path=/ and no Domain, or browsers drop the cookie.
        assert!(c.contains("Path=/") && !c.contains("Domain"), "{c}");
    }
    // Plain http on the https port gets no answer (nothing is served in the clear).
    let plain = Url::parse(&format!("http://localhost:{}/", app.port)).unwrap();
    let answer = reqwest::Client::new().get(plain).send().await;
    assert!(
        answer.is_err() || !answer.unwrap().status().is_success(),
        "http on the https port"
    );
}

/// Every kind of response: pages, redirects, errors, static files, signed in and out.
async fn assert_headers_everywhere(app: &TestApp, https: bool) {
    let b = app.browser();
    let mut seen = Vec::new();
    let mut check = |what: String, r: &reqwest::Response| {
        let h = r.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{what}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{what}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
        match h.get(header::STRICT_TRANSPORT_SECURITY) {
            Some(v) if https => assert!(
                v.to_str().unwrap().contains("max-age=31536000"),
                "{what}: {v:?}"
            ),
            None if !https => {}
            other => panic!("{what}: HSTS {other:?} under https={https}"),
        }
        seen.push(what);
    };
    for path in [
        "/",
        "/auth/logout/callback",
        "/no-such-page",
        "/static/app.css",
        "/profile",
        "/auth/login?return_to=/profile",
        "/auth/callback?error=access_denied",
        "/auth/callback?code=x&state=y",
    ] {
        let r = b.get(&app.url(path)).await;
        check(format!("GET {path} (signed out)"), &r);
    }
    let r = b.post_form(&app.url("/auth/logout"), &[]).await;
    check("POST /auth/logout (signed out)".into(), &r);

    let authorize = b.start_login(app, Some("/profile")).await;
    let callback = b.provider_choose(&authorize, Choice::User(BEN)).await;
    let r = b.get(&callback).await;
    check("the callback's redirect".into(), &r);
    for path in ["/", "/profile", "/org", "/userinfo"] {
        let r = b.get(&app.url(path)).await;
        assert!(r.status().is_success(), "{path}");
        check(format!("GET {path} (signed in)"), &r);
    }
    let r = b.post_form(&app.url("/org"), &[("org_id", "5001")]).await;
    check("POST /org without CSRF".into(), &r);
    let csrf = csrf_of(&b.get(&app.url("/org")).await.text().await.unwrap());
    let r = b
        .post_form(&app.url("/auth/logout"), &[("csrf", &csrf)])
        .await;
    check("POST /auth/logout".into(), &r);
    assert!(seen.len() > 12);
}

#[tokio::test]
async fn security_headers_on_every_response_under_http() {
    let app = spawn_app(TestOptions::default()).await;
    assert_headers_everywhere(&app, false).await;
}

#[tokio::test]
async fn security_headers_on_every_response_under_https() {
    let app = spawn_app(TestOptions {
        https: true,
        ..Default::default()
    })
    .await;
    assert_headers_everywhere(&app, true).await;
}
