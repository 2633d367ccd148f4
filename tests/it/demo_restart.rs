//! Demo mode across a restart, black-box through the binary: Ada signs in and saves a PAT
//! connection through the settings form; the process is killed (no graceful shutdown) and
//! started again on the same directory. Her browser is still signed in (the app kept the
//! session under the demo key kept next to its database, the stand-in kept her refresh token
//! beside it, so the first call after the restart refreshes), and the saved PAT still decrypts.

#![cfg(unix)]

use crate::common;

use common::{child::start_demo, csrf_of, Browser, Choice};
use fake_filevine::{ADA, DEMO_PAT, REPORTING_BOT};
use reqwest::{header, StatusCode};
use url::Url;

async fn page(b: &Browser, base: &Url, path: &str) -> (StatusCode, String) {
    let r = b.get(&base.join(path).unwrap()).await;
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_restarted_demo_keeps_its_sessions_and_its_saved_pat() {
    let dir = tempfile::tempdir().unwrap();
    let (mut demo, base) = start_demo(dir.path());
    let b = Browser::new();

    // Ada signs in at the demo's stand-in.
    let r = b.get(&base.join("/auth/login").unwrap()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let authorize = common::location(&r);
    let callback = b.provider_choose(&authorize, Choice::User(ADA.sub)).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.headers());
    let (status, html) = page(&b, &base, "/projects").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Projects 1–50"), "{html}");

    // She saves the demo PAT as a connection through the form.
    let (_, settings) = page(&b, &base, "/settings/connections").await;
    let csrf = csrf_of(&settings);
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "default"),
        ("environment", "us"),
        ("auth", "pat"),
        ("pat", DEMO_PAT),
        ("email", REPORTING_BOT.email),
        ("concurrency", "8"),
        ("borrow_from", ""),
        ("action", "save"),
    ];
    let r = b
        .post_form(&base.join("/settings/connections").unwrap(), &form)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, settings) = page(&b, &base, "/settings/connections").await;
    assert!(
        settings.contains(r#"id="connection-default""#),
        "{settings}"
    );

    // A crash, then a restart on the same directory (on another port).
    demo.kill().unwrap();
    demo.wait().unwrap();
    let (mut demo, base) = start_demo(dir.path());

    let (status, html) = page(&b, &base, "/projects").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "signed out by a restart: {html} {:?}",
        std::fs::read_to_string(dir.path().join("demo.log"))
    );
    assert!(html.contains("Projects 1–50"), "{html}");
    assert!(html.contains("Log out"), "{html}");
    let (status, settings) = page(&b, &base, "/settings/connections").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        settings.contains(r#"id="connection-default""#),
        "{settings}"
    );
    assert!(settings.contains("PAT ending in"), "{settings}");
    assert!(!settings.contains("cannot be decrypted"), "{settings}");

    // Logging out after the restart still works end to end (the hint is the new ID token).
    let (_, home) = page(&b, &base, "/").await;
    let csrf = csrf_of(&home);
    let r = b
        .post_form(&base.join("/auth/logout").unwrap(), &[("csrf", &csrf)])
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let to = r.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let r = b
        .get(&Url::parse(&to).unwrap_or_else(|_| base.join(&to).unwrap()))
        .await;
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "the provider refused the logout: {} {}",
        r.status(),
        r.text().await.unwrap()
    );
    let _ = demo.kill();
    let _ = demo.wait();
}
