//! Issue 17: connections per environment. With the United States and Canada served at once, a
//! connection of `ca` verifies its PAT at Canada's provider, and a refresh-token connection of
//! `ca` is authorized, refreshed and used at Canada only; the US stand-in, which knows neither
//! credential, is never asked. Counted on the stand-ins.

use crate::common;

use common::connections::{BOT_EMAIL, CONNECTIONS_PAGE};
use common::two_envs::{spawn_two_envs, TwoEnvs};
use common::*;
use fake_filevine::{FakeOptions, FakePat};
use reqwest::StatusCode;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";
/// A PAT only Canada's provider knows.
const CA_PAT: &str = "ca-pat-0123456789abcdef0123456789abcdef";

/// Both environments, Canada's provider knowing [`CA_PAT`] (the US one only the demo PAT),
/// Ada an admin.
async fn two() -> TwoEnvs {
    let ca_pat = std::sync::atomic::AtomicBool::new(false);
    spawn_two_envs(
        || {
            // Called for the US stand-in first, then for Canada's.
            let second = ca_pat.swap(true, std::sync::atomic::Ordering::SeqCst);
            let mut o = FakeOptions::default();
            if second {
                o.pats = vec![FakePat {
                    token: CA_PAT.into(),
                    user_email: BOT_EMAIL.into(),
                }];
            }
            o
        },
        &[("FV_ADMIN_EMAILS", "ada@lovelace-law.example")],
    )
    .await
}

/// Ada, signed in (in the US), and the connections page's CSRF token.
async fn admin(envs: &TwoEnvs) -> (Browser, String) {
    let b = envs.app.browser();
    envs.login(&b, "us", ADA).await;
    let html = b.get(&envs.app.url(CONNECTIONS_PAGE)).await;
    (b, csrf_of(&html.text().await.unwrap()))
}

fn form<'a>(csrf: &'a str, action: &'a str, env: &'a str, pat: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("action", action),
        ("name", "montreal"),
        ("environment", env),
        ("auth", "pat"),
        ("pat", pat),
        ("email", BOT_EMAIL),
        ("concurrency", "3"),
        ("borrow_from", ""),
    ]
}

#[tokio::test]
async fn a_canadian_pat_connection_is_verified_and_used_at_canada_only() {
    let envs = two().await;
    let app = &envs.app;
    let (ada, csrf) = admin(&envs).await;
    let page = app.url(CONNECTIONS_PAGE);
    let pat_calls = |env: &str| {
        envs.fake(env)
            .control()
            .token_calls("personal_access_token")
    };

    // The same PAT as a US connection: the US provider does not know it.
    let r = ada
        .post_form(&page, &form(&csrf, "verify", "us", CA_PAT))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a form error");
    assert_eq!(pat_calls("us"), 1);
    assert_eq!(pat_calls("ca"), 0);

    // As a Canadian one: verified at Canada, saved, tested.
    let r = ada
        .post_form(&page, &form(&csrf, "verify", "ca", CA_PAT))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(pat_calls("ca"), 1);
    let r = ada.post_form(&page, &form(&csrf, "save", "ca", "")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let row = app
        .state
        .db
        .connection_get("montreal")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.environment.as_str(), row.status.as_str()),
        ("ca", "ok")
    );
    let us_gateway = envs.us.control().gateway_requests().len();
    let r = ada.post_form(&page, &form(&csrf, "test", "ca", "")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = ada.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("The connection works: <code>montreal</code>"),
        "{html}"
    );

    // Background work through it (the gateway as the connection) reaches Canada's gateway.
    let connections = &app.state.connections;
    let c = connections.get("montreal").await.unwrap().unwrap();
    let gw = connections.gateway_for(&c).await.unwrap().unwrap();
    let ca_before = envs.ca.control().gateway_requests().len();
    gw.user_orgs().await.unwrap();
    assert!(envs.ca.control().gateway_requests().len() > ca_before);
    assert_eq!(
        envs.us.control().gateway_requests().len(),
        us_gateway,
        "the Canadian connection never called the US gateway"
    );
    assert_eq!(pat_calls("us"), 1, "only the refused US verify");
}

#[tokio::test]
async fn a_canadian_refresh_token_connection_is_authorized_and_refreshed_at_canada() {
    let envs = two().await;
    let app = &envs.app;
    let (ada, csrf) = admin(&envs).await;
    let save = [
        ("mode", "new"),
        ("csrf", csrf.as_str()),
        ("action", "save_authorize"),
        ("name", "toronto"),
        ("environment", "ca"),
        ("auth", "refresh_token"),
        ("pat", ""),
        ("email", ""),
        ("concurrency", "2"),
        ("borrow_from", ""),
    ];
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &save).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let authorize = location(&r);
    assert!(
        authorize.as_str().starts_with(&envs.ca.issuer()),
        "Canada's authorize endpoint: {authorize}"
    );
    let callback = ada.provider_choose(&authorize, Choice::User(BEN)).await;
    let r = ada.get(&callback).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Connected"));
    let codes = |env: &str| envs.fake(env).control().token_calls("authorization_code");
    assert_eq!(
        (codes("ca"), codes("us")),
        (1, 1),
        "Ada's US login, the CA authorization"
    );

    // Its access token expires: the refresh and the call go to Canada.
    envs.ca.control().expire_access_tokens();
    let connections = &app.state.connections;
    let c = connections.get("toronto").await.unwrap().unwrap();
    let gw = connections.gateway_for(&c).await.unwrap().unwrap();
    let us_gateway = envs.us.control().gateway_requests().len();
    gw.user_orgs().await.unwrap();
    let refreshes = |env: &str| envs.fake(env).control().token_calls("refresh_token");
    assert_eq!((refreshes("ca"), refreshes("us")), (1, 0));
    assert_eq!(envs.us.control().gateway_requests().len(), us_gateway);
}

/// A verification holds for the draft it was made for: Save with another environment (or
/// email, concurrency or lender) verifies the waiting PAT again, at that environment's provider, and
/// saves only what verified; the unchanged draft saves with no second exchange.
#[tokio::test]
async fn a_pat_verified_for_canada_is_verified_again_when_saved_with_other_settings() {
    let envs = two().await;
    let app = &envs.app;
    let (ada, csrf) = admin(&envs).await;
    let page = app.url(CONNECTIONS_PAGE);
    let pat_calls = |env: &str| {
        envs.fake(env)
            .control()
            .token_calls("personal_access_token")
    };
    let r = ada
        .post_form(&page, &form(&csrf, "verify", "ca", CA_PAT))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!((pat_calls("us"), pat_calls("ca")), (0, 1));

    // Saved as a US connection: the US provider is asked, refuses, nothing is saved.
    let r = ada.post_form(&page, &form(&csrf, "save", "us", "")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!((pat_calls("us"), pat_calls("ca")), (1, 1));
    let row = app.state.db.connection_get("montreal").await.unwrap();
    assert!(
        row.is_none(),
        "saved under an environment that never saw it"
    );

    // Another email: verified again at Canada, refused (the PAT acts as the bot).
    let mut other_email = form(&csrf, "save", "ca", "");
    other_email[6] = ("email", "someone-else@lovelace-law.example");
    let r = ada.post_form(&page, &other_email).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pat_calls("ca"), 2);
    assert!(app
        .state
        .db
        .connection_get("montreal")
        .await
        .unwrap()
        .is_none());

    // Another concurrency: verified again, then saved with it.
    let mut busier = form(&csrf, "save", "ca", "");
    busier[7] = ("concurrency", "5");
    let r = ada.post_form(&page, &busier).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(pat_calls("ca"), 3);
    let row = app
        .state
        .db
        .connection_get("montreal")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            row.environment.as_str(),
            row.concurrency,
            row.status.as_str()
        ),
        ("ca", 5, "ok")
    );

    // The draft exactly as verified (its own card): saved without another exchange.
    let mut same = form(&csrf, "save", "ca", "");
    same.push(("mode", "edit"));
    let verify_edit = {
        let mut f = form(&csrf, "verify", "ca", CA_PAT);
        f.push(("mode", "edit"));
        f
    };
    let r = ada.post_form(&page, &verify_edit).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let before = pat_calls("ca");
    let r = ada.post_form(&page, &same).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        pat_calls("ca"),
        before,
        "the unchanged draft is not verified again"
    );

    // Another lender: verified again, then saved borrowing from it.
    let lender = fv_partner_app::connections::Draft {
        name: "ca-lender".into(),
        environment: "ca".into(),
        email: BOT_EMAIL.into(),
        ..Default::default()
    };
    let connections = &app.state.connections;
    let verified = connections.verify(lender, CA_PAT.into()).await.unwrap();
    connections.save_verified(verified, "test").await.unwrap();
    let r = ada.post_form(&page, &verify_edit).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let before = pat_calls("ca");
    let mut borrowing = same.clone();
    borrowing[8] = ("borrow_from", "ca-lender");
    let r = ada.post_form(&page, &borrowing).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(pat_calls("ca"), before + 1, "another lender verifies again");
    let row = app.state.db.connection_get("montreal").await.unwrap();
    assert_eq!(row.unwrap().borrow_from.as_deref(), Some("ca-lender"));
    assert_eq!(pat_calls("us"), 1);
}
