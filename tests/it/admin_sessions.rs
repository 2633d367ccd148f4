//! Issue 14: `/settings/sessions` for admins: active sessions per environment, and "end all
//! sessions of" an email, audited; non-admins get 403, and a post without the CSRF token ends
//! nothing.

use crate::common;

use crate::support::backchannel as support;

use common::connections::admin_opts;
use common::two_envs::spawn_two_envs;
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

#[tokio::test]
async fn an_end_all_post_without_the_csrf_token_ends_nothing() {
    let app = spawn_app(admin_opts()).await;
    let (ada, ben) = (app.browser(), app.browser());
    ada.login(&app, ADA, None).await;
    ben.login(&app, BEN, None).await;
    let ben_email = fake_filevine::data::user_by_sub(BEN).unwrap().email;
    let forged = [
        vec![("email", ben_email)],
        vec![("csrf", ""), ("email", ben_email)],
        vec![("csrf", "not-the-token"), ("email", ben_email)],
    ];
    for form in forged {
        let r = ada.post_form(&app.url("/settings/sessions"), &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{form:?}");
    }
    assert!(signed_in(&app, &ben).await);
    assert!(app.state.db.audit_recent(10).await.unwrap().is_empty());
}

/// Two environments: the page counts each one's sessions apart, and ending an email's
/// sessions ends them in both, each revoked at its own provider.
#[tokio::test]
async fn counts_are_per_environment_and_an_email_is_ended_in_every_one() {
    let envs = spawn_two_envs(
        fake_filevine::FakeOptions::default,
        &[("FV_ADMIN_EMAILS", "ada@lovelace-law.example")],
    )
    .await;
    let app = &envs.app;
    let (ada, ben_us, ben_ca1, ben_ca2) =
        (app.browser(), app.browser(), app.browser(), app.browser());
    envs.login(&ada, "us", ADA).await;
    envs.login(&ben_us, "us", BEN).await;
    envs.login(&ben_ca1, "ca", BEN).await;
    envs.login(&ben_ca2, "ca", BEN).await;

    let html = page(app, &ada).await.text().await.unwrap();
    assert!(html.contains("<td>us</td><td>2</td>"), "{html}");
    assert!(html.contains("<td>ca</td><td>2</td>"), "{html}");
    let revoked = |env: &str| envs.fake(env).control().revocation_calls();
    let (us_before, ca_before) = (revoked("us"), revoked("ca"));
    let ben_email = fake_filevine::data::user_by_sub(BEN).unwrap().email;
    let r = ada
        .post_form(
            &app.url("/settings/sessions"),
            &[("csrf", &csrf_of(&html)), ("email", ben_email)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for b in [&ben_us, &ben_ca1, &ben_ca2] {
        assert!(!signed_in(app, b).await);
    }
    assert!(signed_in(app, &ada).await);
    assert_eq!(
        revoked("us"),
        us_before + 1,
        "Ben's US token at the US provider"
    );
    assert_eq!(
        revoked("ca"),
        ca_before + 2,
        "Ben's Canadian tokens at Canada's"
    );
    let html = page(app, &ada).await.text().await.unwrap();
    assert!(html.contains("Ended 3 session(s)"), "{html}");
    assert!(html.contains("<td>us</td><td>1</td>"), "{html}");
    assert!(!html.contains("<td>ca</td>"), "{html}");
}
