//! Black-box tests of the Filevine stand-in: real HTTP against a server on port 0, a reqwest
//! client with redirects off, assertions on status codes, Location headers and JSON. These
//! test the stand-in, not the app (the README counts them apart).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use fake_filevine::{
    FakeClient, FakeError, FakeFilevine, FakeOptions, FakePat, ProjectFilter, ADA, BEN,
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PAT, REPORTING_BOT,
};
use reqwest::{header, redirect::Policy, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

mod contract;
mod controls;
mod gateway_auth;
mod gateway_projects;
mod provider_errors;
mod provider_flow;
mod provider_grants;
mod webhook_deliveries;
mod webhooks;

const REDIRECT: &str = "http://127.0.0.1:7059/auth/callback";
const POST_LOGOUT: &str = "http://127.0.0.1:7059/auth/logout/callback";
const SCOPE: &str = "openid profile email offline_access tenant fv.auth.tenant.read filevine.v2.api.* fv.api.gateway.access";
const UA: &str = "fv-partner-app-tests/1.0";
/// A secret with characters that need form-encoding in HTTP Basic (RFC 6749 2.3.1).
const ODD_ID: &str = "odd client";
const ODD_SECRET: &str = "s3cr:t+with%special&chars=";

fn options() -> FakeOptions {
    FakeOptions {
        clients: vec![
            FakeClient::demo(),
            FakeClient {
                client_id: ODD_ID.into(),
                client_secret: ODD_SECRET.into(),
                redirect_uris: vec![REDIRECT.into()],
                post_logout_redirect_uris: vec![],
            },
        ],
        ..FakeOptions::default()
    }
}

async fn start() -> FakeFilevine {
    FakeFilevine::start(options())
        .await
        .expect("stand-in starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .user_agent(UA)
        .build()
        .unwrap()
}

fn pkce() -> (String, String) {
    let verifier = format!(
        "verifier-{}-0123456789abcdefghijklmnop",
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn location(resp: &reqwest::Response) -> url::Url {
    let loc = resp
        .headers()
        .get(header::LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap();
    url::Url::parse(loc).unwrap()
}

fn query(u: &url::Url) -> HashMap<String, String> {
    u.query_pairs().into_owned().collect()
}

fn auth_params(challenge: &str, scope: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", DEMO_CLIENT_ID.to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("response_type", "code".to_owned()),
        ("scope", scope.to_owned()),
        ("state", "st-<&\"'>".to_owned()),
        ("nonce", "n-0S6_WzA2Mj".to_owned()),
        ("code_challenge", challenge.to_owned()),
        ("code_challenge_method", "S256".to_owned()),
    ]
}

/// Log `sub` in through the page and its form; returns the code and the redirect's query.
async fn login(
    fake: &FakeFilevine,
    sub: &str,
    challenge: &str,
    scope: &str,
) -> HashMap<String, String> {
    let c = http();
    let authorize = format!("{}/connect/authorize", fake.issuer());
    let params = auth_params(challenge, scope);
    let page = c.get(&authorize).query(&params).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Filevine DEMO stand-in — not Filevine. Loopback only."));
    assert!(
        html.contains(&format!("value=\"{sub}\"")),
        "a button for {sub}"
    );
    assert!(!html.contains("<script"), "no script on the login page");
    let mut form = params.clone();
    form.push(("user", sub.to_owned()));
    let resp = c.post(&authorize).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let loc = location(&resp);
    assert!(loc.as_str().starts_with(REDIRECT));
    query(&loc)
}

async fn token_basic(
    fake: &FakeFilevine,
    id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic = STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
    http()
        .post(format!("{}/connect/token", fake.issuer()))
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn token_post(fake: &FakeFilevine, form: &[(&str, &str)]) -> reqwest::Response {
    let mut form = form.to_vec();
    form.push(("client_id", DEMO_CLIENT_ID));
    form.push(("client_secret", DEMO_CLIENT_SECRET));
    http()
        .post(format!("{}/connect/token", fake.issuer()))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn json_of(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

/// A full login: returns the token response.
async fn tokens_for(fake: &FakeFilevine, sub: &str, scope: &str) -> Value {
    let (verifier, challenge) = pkce();
    let q = login(fake, sub, &challenge, scope).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", q["code"].as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, body) =
        json_of(token_basic(fake, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, &form).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn pat_token(fake: &FakeFilevine) -> String {
    let (status, body) = json_of(
        token_post(
            fake,
            &[("grant_type", "personal_access_token"), ("token", DEMO_PAT)],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

fn gw(fake: &FakeFilevine, path: &str) -> String {
    fake.gateway_url().join(path).unwrap().to_string()
}

async fn gw_get(
    fake: &FakeFilevine,
    token: &str,
    path: &str,
    org: i64,
    user: i64,
) -> reqwest::Response {
    http()
        .get(gw(fake, path))
        .bearer_auth(token)
        .header("x-fv-orgid", org.to_string())
        .header("x-fv-userid", user.to_string())
        .send()
        .await
        .unwrap()
}
