//! Who is an admin, black-box: an email in `FV_ADMIN_EMAILS` counts only when Filevine vouches
//! for it: verified by the provider, or the email of the user's own gateway record. Every test
//! here captures the logs first (one subscriber per test binary).

mod common;

use common::*;
use reqwest::StatusCode;

const ADA: &str = "fv-user-1001";
const LOGS: &str = "fv_partner_app=info";

fn admin_opts() -> TestOptions {
    TestOptions {
        extra_env: vec![("FV_ADMIN_EMAILS".into(), "ada@lovelace-law.example".into())],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_listed_email_is_an_admin_only_when_filevine_vouches_for_it() {
    capture_logs(LOGS);
    let app = spawn_app(admin_opts()).await;
    let verified = app.browser();
    verified.login(&app, ADA, None).await;
    let r = verified.get(&app.url("/settings/connections")).await;
    assert_eq!(r.status(), StatusCode::OK, "a verified admin");

    // The provider no longer verifies the email, but the gateway's record of the user (read
    // with their own token) is Filevine's word for it.
    app.control().set_emails_unverified(true);
    let by_record = app.browser();
    by_record.login(&app, ADA, None).await;
    let r = by_record.get(&app.url("/settings/connections")).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "vouched for by the gateway record"
    );

    // Unverified, and the gateway's record could not be read at sign-in: nothing vouches.
    app.control().fail_next_gateway_calls(503, 50, None);
    let unverified = app.browser();
    unverified.login(&app, ADA, None).await;
    app.control().fail_next_gateway_calls(503, 0, None);
    let r = unverified.get(&app.url("/settings/connections")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "an unverified email");
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Filevine did not confirm your email"),
        "{body}"
    );
    let home = unverified.get(&app.url("/")).await.text().await.unwrap();
    assert!(!home.contains("href=\"/settings/connections\""), "{home}");
}

/// An email the provider asserts without verifying is nobody's admin email: Ben's provider
/// account claims Ada's address, unverified; the gateway knows him as Ben. He is refused, told
/// why, and the log names the sources that were missing.
#[tokio::test]
async fn an_unverified_asserted_email_is_refused_and_says_why() {
    let logs = capture_logs(LOGS);
    let app = spawn_app(admin_opts()).await;
    app.control().set_emails_unverified(true);
    app.control()
        .set_asserted_email(Some(fake_filevine::ADA.email.into()));
    let b = app.browser();
    b.login(&app, fake_filevine::BEN.sub, Some("/")).await;
    let r = b.get(&app.url("/settings/connections")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Filevine did not confirm your email"),
        "{body}"
    );
    let text = logs.text();
    assert!(text.contains("a listed admin was refused"), "{text}");
    assert!(
        text.contains("userinfo named the email without email_verified"),
        "{text}"
    );
    assert!(
        text.contains(fake_filevine::BEN.email),
        "the gateway's record is named: {text}"
    );
}
