//! Shared by the webhook tests: an app whose stand-in signs RS512 (as Filevine signs
//! deliveries), delivery claims and bodies, posting a delivery, and reading the inbox.
#![allow(dead_code)]

use std::time::Duration;

use fake_filevine::FakeOptions;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

pub const ADA: &str = "fv-user-1001";
/// Ada's org.
pub const LOVELACE: i64 = 5001;
pub const AUDIENCE: &str = "filevine-v2-webhooks";

/// A stand-in that signs with RS512.
pub fn rs512() -> FakeOptions {
    FakeOptions {
        id_token_alg: jsonwebtoken::Algorithm::RS512,
        ..Default::default()
    }
}

/// An app against an RS512 stand-in, with Ada signed in (so her org is served).
pub async fn app_with_ada() -> (TestApp, Browser) {
    let app = spawn_app(TestOptions {
        fake: rs512(),
        ..Default::default()
    })
    .await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    (app, b)
}

/// The issuer of the app's (default) environment.
pub fn issuer(app: &TestApp) -> String {
    app.state
        .environments
        .default_env()
        .oidc
        .issuer()
        .to_owned()
}

/// The name of the app's (default) environment.
pub fn environment(app: &TestApp) -> String {
    app.state.environments.default_env().name.clone()
}

/// Valid claims (fresh `jti`), edited by `edit`.
pub fn claims(app: &TestApp, edit: impl FnOnce(&mut Value)) -> Value {
    let now = app.clock.now_unix();
    let mut c = json!({
        "iss": issuer(app),
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    edit(&mut c);
    c
}

/// A valid token signed by the app's stand-in.
pub fn token(app: &TestApp) -> String {
    app.fake.webhook_token(claims(app, |_| {}))
}

/// A delivery body of the documented shape (PascalCase).
pub fn body(org: i64, project: i64, object: &str, event: &str) -> String {
    json!({
        "Event": event,
        "Object": object,
        "ObjectId": { "ProjectId": project },
        "ProjectId": project,
        "UserId": 1001,
        "OrgId": org,
        "Timestamp": "2026-12-07T12:00:00Z",
        "Other": {},
        "Nonce": uuid::Uuid::new_v4().to_string(),
    })
    .to_string()
}

/// A phase change of `project` in `org`.
pub fn phase_changed(org: i64, project: i64) -> String {
    body(org, project, "Project", "PhaseChanged")
}

/// Posts `body` with `authorization` (the whole header value); the status and JSON answer.
pub async fn post(app: &TestApp, authorization: Option<&str>, body: String) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(app.url("/webhooks/filevine"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, json)
}

/// Posts `body` with a fresh valid token.
pub async fn deliver(app: &TestApp, body: String) -> (StatusCode, Value) {
    post(app, Some(&format!("Bearer {}", token(app))), body).await
}

/// The inbox rows of the app's environment, newest first.
pub async fn inbox(app: &TestApp) -> Vec<fv_partner_app::store::InboxRow> {
    app.state
        .db
        .inbox_recent(&environment(app), 1000)
        .await
        .unwrap()
}

/// Waits until no delivery is pending (the worker applied them all).
pub async fn all_applied(app: &TestApp) {
    for _ in 0..400 {
        if inbox(app).await.iter().all(|r| r.outcome != "pending") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("deliveries left pending: {:?}", inbox(app).await);
}
