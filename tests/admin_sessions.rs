//! Issue 14: `/settings/sessions` for admins: active sessions per environment, and "end all
//! sessions of" an email, audited; non-admins get 403.

mod common;

#[path = "backchannel/support.rs"]
mod support;

use common::connections::admin_opts;
use common::*;
use reqwest::StatusCode;
use support::signed_in;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";

async fn page(app: &TestApp, b: &Browser) -> reqwest::Response {
    b.get(&app.url("/settings/sessions")).await
}

#[tokio::test]
async fn an_admin_ends_every_session_of_an_email_and_nobody_elses() {
    let app = spawn_app(admin_opts()).await;
    let ada = app.browser();
    ada.login(&app, ADA, None).await;
    let (ben1, ben2, ada2) = (app.browser(), app.browser(), app.browser());
    ben1.login(&app, BEN, None).await;
    ben2.login(&app, BEN, None).await;
    ada2.login(&app, ADA, None).await;
    let ben_email = fake_filevine::data::user_by_sub(BEN).unwrap().email;

    let r = page(&app, &ada).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<td>us</td><td>4</td>"), "{html}");
    let revocations = app.control().revocation_calls();

    let r = ada
        .post_form(
            &app.url("/settings/sessions"),
            &[
                ("csrf", &csrf_of(&html)),
                ("email", &ben_email.to_uppercase()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in(&app, &ben1).await);
    assert!(!signed_in(&app, &ben2).await);
    assert!(signed_in(&app, &ada2).await, "nobody else's");
    assert!(signed_in(&app, &ada).await);
    assert_eq!(app.control().revocation_calls(), revocations + 2);

    let html = page(&app, &ada).await.text().await.unwrap();
    assert!(html.contains("Ended 2 session(s)"));
    assert!(html.contains("<td>us</td><td>2</td>"));
    let audit = app.state.db.audit_recent(10).await.unwrap();
    assert!(audit.iter().any(|a| a.who == "ada@lovelace-law.example"
        && a.what == format!("ended all sessions of {ben_email} (2)")));
}

#[tokio::test]
async fn non_admins_get_403_and_end_nothing() {
    let app = spawn_app(admin_opts()).await;
    let (ada, ben) = (app.browser(), app.browser());
    ada.login(&app, ADA, None).await;
    ben.login(&app, BEN, None).await;
    assert_eq!(page(&app, &ben).await.status(), StatusCode::FORBIDDEN);
    let csrf = csrf_of(
        &ben.get(&app.url("/account/sessions"))
            .await
            .text()
            .await
            .unwrap(),
    );
    let r = ben
        .post_form(
            &app.url("/settings/sessions"),
            &[("csrf", &csrf), ("email", "ada@lovelace-law.example")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(signed_in(&app, &ada).await);
}
