//! Who is an admin, black-box: an email in `FV_ADMIN_EMAILS` counts only when the provider says
//! it is verified (`email_verified` in the ID token).

mod common;

use common::*;
use reqwest::StatusCode;

const ADA: &str = "fv-user-1001";

fn admin_opts() -> TestOptions {
    TestOptions {
        extra_env: vec![("FV_ADMIN_EMAILS".into(), "ada@lovelace-law.example".into())],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_listed_email_is_an_admin_only_when_verified() {
    let app = spawn_app(admin_opts()).await;
    let verified = app.browser();
    verified.login(&app, ADA, None).await;
    let r = verified.get(&app.url("/settings/connections")).await;
    assert_eq!(r.status(), StatusCode::OK, "a verified admin");

    // The same email, not verified by the provider: not an admin.
    app.control().set_emails_unverified(true);
    let unverified = app.browser();
    unverified.login(&app, ADA, None).await;
    let r = unverified.get(&app.url("/settings/connections")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "an unverified email");
    let home = unverified.get(&app.url("/")).await.text().await.unwrap();
    assert!(!home.contains("href=\"/settings/connections\""), "{home}");
}
