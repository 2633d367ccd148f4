//! Issue 17: the United States and Canada side by side. Two stand-ins on loopback play the two
//! environments (own issuer, keys, client and gateway), and every call is counted on the
//! stand-in that received it: a session talks only to its own environment, from the login
//! through refresh to logout; a callback carrying the other environment's issuer is refused
//! before its code is spent; a back-channel logout token is judged by its own environment.
//! Figures kept per environment though the ids coincide: `environments_figures.rs`.

use crate::common;

use crate::support::backchannel as support;

use common::two_envs::{spawn_two_envs, TwoEnvs, CA_CLIENT, US_CLIENT};
use common::*;
use fake_filevine::FakeOptions;
use reqwest::StatusCode;
use support::{assert_refused, post_logout_token, signed_in};

const ADA: &str = "fv-user-1001";

async fn two() -> TwoEnvs {
    spawn_two_envs(FakeOptions::default, &[]).await
}

/// Everything the stand-in of an environment was asked, as counts.
fn calls(envs: &TwoEnvs, env: &str) -> (usize, usize, usize) {
    let c = envs.fake(env).control();
    (
        c.token_calls("authorization_code"),
        c.token_calls("refresh_token"),
        c.gateway_requests().len(),
    )
}

#[tokio::test]
async fn the_login_asks_where_and_remembers_the_last_choice() {
    let envs = two().await;
    let app = &envs.app;
    let b = app.browser();
    let r = b.get(&app.url("/auth/login?return_to=/reports")).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "several environments: a chooser"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Where does your firm use Filevine?"),
        "{html}"
    );
    let us_link = "/auth/login?env=us&#38;return_to=%2Freports";
    let ca_link = "/auth/login?env=ca&#38;return_to=%2Freports";
    assert!(html.contains(us_link) && html.contains(ca_link), "{html}");
    assert!(
        html.find("Filevine United States") < html.find("Filevine Canada"),
        "configured order at first"
    );
    assert!(!html.contains("last used here"), "{html}");

    assert_eq!(envs.login(&b, "ca", ADA).await, "/");
    b.post_form(
        &app.url("/auth/logout"),
        &[(
            "csrf",
            &csrf_of(&b.get(&app.url("/profile")).await.text().await.unwrap()),
        )],
    )
    .await;
    let html = b.get(&app.url("/auth/login")).await.text().await.unwrap();
    assert!(
        html.contains("Where does your firm use Filevine?"),
        "never skipped"
    );
    let canada = html.find("Filevine Canada").unwrap();
    assert!(
        canada < html.find("Filevine United States").unwrap(),
        "{html}"
    );
    assert!(html[canada..].contains("last used here"), "{html}");

    // An environment that is not served: a 400 naming the ones that are; nothing started.
    let r = b.get(&app.url("/auth/login?env=eu")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("us, ca") && html.contains("/auth/login"),
        "{html}"
    );
    let r = b.get(&app.url("/auth/login?env=%3Cscript%3E")).await;
    assert!(!r.text().await.unwrap().contains("<script>"), "escaped");
}

#[tokio::test]
async fn a_canadian_session_talks_only_to_canada_and_a_us_one_only_to_the_us() {
    let envs = two().await;
    let app = &envs.app;
    let ada = app.browser();
    envs.login(&ada, "ca", ADA).await;
    let page = ada.get(&app.url("/projects")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("class=\"env-badge\""), "the header names it");
    assert!(html.contains(">Canada</span>"), "{html}");
    // The access token expires: the refresh goes to Canada's provider.
    envs.ca.control().expire_access_tokens();
    assert_eq!(
        ada.get(&app.url("/projects")).await.status(),
        StatusCode::OK
    );
    let (codes, refreshes, gateway) = calls(&envs, "ca");
    assert_eq!((codes, refreshes), (1, 1), "login and refresh at Canada");
    assert!(gateway > 0, "Canada's gateway served the pages");
    assert_eq!(calls(&envs, "us"), (0, 0, 0), "nothing reached the US");

    // Logout: Canada's end-session endpoint, with Canada's client.
    let csrf = csrf_of(&html);
    let r = ada
        .post_form(&app.url("/auth/logout"), &[("csrf", &csrf)])
        .await;
    let to = location(&r);
    assert!(to.as_str().starts_with(&envs.ca.issuer()), "{to}");
    assert!(
        to.query_pairs()
            .any(|(k, v)| k == "client_id" && v == CA_CLIENT),
        "{to}"
    );
    assert_eq!(envs.us.control().revocation_calls(), 0);
    assert!(envs.us.control().end_session_calls().is_empty());

    // A US login in another browser: only the US.
    let before = calls(&envs, "ca");
    // (Ada again, in her US account: one organization, so no chooser in the way.)
    let ben = app.browser();
    envs.login(&ben, "us", ADA).await;
    let html = ben.get(&app.url("/projects")).await.text().await.unwrap();
    assert!(html.contains(">United States</span>"), "{html}");
    envs.us.control().expire_access_tokens();
    ben.get(&app.url("/projects")).await;
    let (codes, refreshes, gateway) = calls(&envs, "us");
    assert_eq!((codes, refreshes), (1, 1));
    assert!(gateway > 0);
    assert_eq!(calls(&envs, "ca"), before, "nothing more reached Canada");
}

#[tokio::test]
async fn a_callback_with_the_other_environments_issuer_is_refused_before_the_code_is_spent() {
    let envs = spawn_two_envs(
        || FakeOptions {
            advertise_iss_parameter: true,
            ..FakeOptions::default()
        },
        &[],
    )
    .await;
    let app = &envs.app;
    let b = app.browser();
    let mut url = app.url("/auth/login");
    url.query_pairs_mut().append_pair("env", "ca");
    let authorize = location(&b.get(&url).await);
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    assert!(
        callback
            .query_pairs()
            .any(|(k, v)| k == "iss" && v == envs.ca.issuer()),
        "the stand-in sends RFC 9207 iss: {callback}"
    );
    // A mix-up: the response claims the US provider's issuer.
    let mut forged = callback.clone();
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .map(|(k, v)| match k.as_ref() {
            "iss" => (k.into_owned(), envs.us.issuer()),
            _ => (k.into_owned(), v.into_owned()),
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let r = b.get(&forged).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("security checks"));
    assert_eq!(calls(&envs, "ca").0, 0, "the code was not exchanged");
    assert_eq!(calls(&envs, "us").0, 0);
    assert!(!signed_in(app, &b).await);
    let metrics = reqwest::get(app.url("/metrics")).await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.contains("reason=\"mix_up\"") && !l.ends_with(" 0")),
        "recorded as a mix-up, not a plain issuer mismatch: {metrics}"
    );
}

#[tokio::test]
async fn a_logout_token_is_judged_by_its_own_environment_and_ends_only_its_sessions() {
    let envs = two().await;
    let app = &envs.app;
    // Ada has the same `sub` at both providers: one session in each environment.
    let (in_us, in_ca) = (app.browser(), app.browser());
    envs.login(&in_us, "us", ADA).await;
    envs.login(&in_ca, "ca", ADA).await;

    // Signed by Canada's key but claiming the US issuer and client: refused.
    let ca = envs.ca.control();
    let mut claims = ca.logout_claims(US_CLIENT, ADA, None);
    claims["iss"] = envs.us.issuer().into();
    let forged = ca.sign_logout_token(&claims, None);
    assert_refused(
        post_logout_token(app, &forged).await,
        "another provider's key",
    )
    .await;
    assert!(signed_in(app, &in_us).await && signed_in(app, &in_ca).await);

    // The US provider's own token (sub only): the US session ends, the Canadian one stays.
    let us = envs.us.control();
    let token = us.sign_logout_token(&us.logout_claims(US_CLIENT, ADA, None), None);
    assert_eq!(
        post_logout_token(app, &token).await.status(),
        StatusCode::OK
    );
    assert!(!signed_in(app, &in_us).await, "the US session ended");
    assert!(signed_in(app, &in_ca).await, "the Canadian session stays");
}

#[tokio::test]
async fn readiness_checks_every_environments_provider() {
    let envs = two().await;
    let r = reqwest::get(envs.app.url("/readyz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["providers"]["us"], "ok", "{body}");
    assert_eq!(body["providers"]["ca"], "ok", "{body}");
}
