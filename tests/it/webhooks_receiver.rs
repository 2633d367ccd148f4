//! `POST /webhooks/filevine`: every refusal (401 for each bad token, 400 for each bad body,
//! 413 when too big), a short JSON error that names no key, and what is accepted: a delivery
//! stored and applied once however often it comes, an unknown event type and an org nobody
//! here works in stored and counted but not applied.

use crate::common;

use crate::support::webhooks as support;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::*;

/// `token` with one byte of its signature flipped.
fn bad_signature(token: &str) -> String {
    let (signed, sig) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    bytes[10] ^= 1;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn alg_none(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

fn hs256(claims: &Value, secret: &str, kid: &str) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// The refusal answer: 401, a short JSON error, nothing of the token or keys.
fn assert_refused(case: &str, (status, json): (StatusCode, Value), token: Option<&str>) {
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {json}");
    let error = json["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{case}: {json}"));
    assert!(error.len() < 100, "{case}: {error}");
    let text = json.to_string();
    for leak in ["kid", "BEGIN", "fake-fv-", CLIENT_SECRET] {
        assert!(!text.contains(leak), "{case}: {leak} in {text}");
    }
    if let Some(t) = token {
        assert!(!text.contains(t), "{case}: the token in {text}");
    }
}

#[tokio::test]
async fn every_bad_token_is_a_401_and_nothing_is_stored() {
    let (app, _ada) = app_with_ada().await;
    let kid = app.control().signing_kid();
    const SKEW: i64 = 60;
    let good = |edit: fn(&mut Value, i64)| {
        let now = app.clock.now_unix();
        app.fake.webhook_token(claims(&app, |c| edit(c, now)))
    };
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("not Bearer", Some(format!("Basic {}", token(&app)))),
        ("empty Bearer", Some("Bearer ".into())),
        ("not a JWT", Some("Bearer not-a-jwt".into())),
        (
            "bad signature",
            Some(format!("Bearer {}", bad_signature(&token(&app)))),
        ),
        (
            "alg none",
            Some(format!("Bearer {}", alg_none(&claims(&app, |_| {})))),
        ),
        (
            "HS256 with the client secret",
            Some(format!(
                "Bearer {}",
                hs256(&claims(&app, |_| {}), CLIENT_SECRET, &kid)
            )),
        ),
        (
            "wrong aud",
            Some(format!(
                "Bearer {}",
                good(|c, _| c["aud"] = json!("someone-else"))
            )),
        ),
        (
            "no aud",
            Some(format!(
                "Bearer {}",
                good(|c, _| {
                    c.as_object_mut().unwrap().remove("aud");
                })
            )),
        ),
        (
            "the client id as aud",
            Some(format!(
                "Bearer {}",
                good(|c, _| c["aud"] = json!(CLIENT_ID))
            )),
        ),
        (
            "wrong iss",
            Some(format!(
                "Bearer {}",
                good(|c, _| c["iss"] = json!("https://identity.evil.example"))
            )),
        ),
        (
            "no iss",
            Some(format!(
                "Bearer {}",
                good(|c, _| {
                    c.as_object_mut().unwrap().remove("iss");
                })
            )),
        ),
        (
            "expired past the leeway",
            Some(format!(
                "Bearer {}",
                good(|c, now| c["exp"] = json!(now - SKEW - 5))
            )),
        ),
        (
            "no exp",
            Some(format!(
                "Bearer {}",
                good(|c, _| {
                    c.as_object_mut().unwrap().remove("exp");
                })
            )),
        ),
        (
            "nbf past the leeway",
            Some(format!(
                "Bearer {}",
                good(|c, now| c["nbf"] = json!(now + SKEW + 30))
            )),
        ),
        (
            "iat past the leeway",
            Some(format!(
                "Bearer {}",
                good(|c, now| c["iat"] = json!(now + SKEW + 30))
            )),
        ),
    ];
    for (case, authorization) in &cases {
        let token = authorization
            .as_deref()
            .and_then(|a| a.split_once(' '))
            .map(|t| t.1);
        let answer = post(&app, authorization.as_deref(), phase_changed(LOVELACE, 1)).await;
        assert_refused(case, answer, token.filter(|t| t.len() > 20));
    }
    assert!(inbox(&app).await.is_empty(), "nothing stored");
    // Within the leeway on each side is accepted (the boundaries above are the leeway's).
    let edge = good(|c, now| {
        c["exp"] = json!(now - 60 + 5);
        c["nbf"] = json!(now + 60 - 5);
    });
    let (status, _) = post(
        &app,
        Some(&format!("Bearer {edge}")),
        phase_changed(LOVELACE, 1),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_token_from_unknown_keys_refetches_the_key_set_once_then_is_refused() {
    let (app, _ada) = app_with_ada().await;
    // Another provider's key (a kid the app's provider never published), this issuer.
    let other = fake_filevine::FakeFilevine::start(other_provider())
        .await
        .unwrap();
    let forged = other.webhook_token(claims(&app, |_| {}));
    let fetches = app.control().jwks_fetches();
    let answer = post(
        &app,
        Some(&format!("Bearer {forged}")),
        phase_changed(LOVELACE, 1),
    )
    .await;
    assert_refused("unknown kid", answer, Some(&forged));
    assert_eq!(app.control().jwks_fetches(), fetches + 1, "one refetch");
    // Within the cool-down, another unknown kid costs no refetch.
    let again = other.webhook_token(claims(&app, |_| {}));
    let answer = post(
        &app,
        Some(&format!("Bearer {again}")),
        phase_changed(LOVELACE, 1),
    )
    .await;
    assert_refused("unknown kid again", answer, Some(&again));
    assert_eq!(
        app.control().jwks_fetches(),
        fetches + 1,
        "no second refetch"
    );
    // A rotated key of the app's own provider is found by that one refetch.
    app.advance_clock(std::time::Duration::from_secs(31));
    app.control().rotate_signing_key(true).await.unwrap();
    let (status, _) = deliver(&app, phase_changed(LOVELACE, 1)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

/// A stand-in of its own, to sign with keys the app has never seen.
fn other_provider() -> fake_filevine::FakeOptions {
    let mut o = rs512();
    o.clients = vec![fake_filevine::FakeClient {
        client_id: "other".into(),
        client_secret: "other-secret-0123456789".into(),
        redirect_uris: vec!["http://localhost:1/cb".into()],
        post_logout_redirect_uris: vec![],
    }];
    o
}

#[tokio::test]
async fn another_environments_issuer_with_this_ones_keys_is_refused() {
    let envs = common::two_envs::spawn_two_envs(rs512, &[]).await;
    let b = envs.app.browser();
    envs.login(&b, "us", ADA).await;
    let now = envs.app.clock.now_unix();
    let claims = |iss: String| {
        json!({"iss": iss, "aud": AUDIENCE, "iat": now, "exp": now + 300,
               "jti": uuid::Uuid::new_v4().to_string()})
    };
    // Signed by the US provider, claiming to be Canada's.
    let forged = envs.us.webhook_token(claims(envs.ca.issuer()));
    let answer = post(
        &envs.app,
        Some(&format!("Bearer {forged}")),
        phase_changed(LOVELACE, 1),
    )
    .await;
    assert_refused("US keys, CA issuer", answer, Some(&forged));
    // Each environment's own token is accepted, and stored under that environment.
    let us = envs.us.webhook_token(claims(envs.us.issuer()));
    let (status, _) = post(
        &envs.app,
        Some(&format!("Bearer {us}")),
        phase_changed(LOVELACE, 1),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let ca = envs.ca.webhook_token(claims(envs.ca.issuer()));
    let (status, json) = post(
        &envs.app,
        Some(&format!("Bearer {ca}")),
        phase_changed(LOVELACE, 1),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // Nobody signed in to Canada's org 5001: served in the US only.
    assert_eq!(json["status"], "unserved_org");
    let db = &envs.app.state.db;
    assert_eq!(db.inbox_recent("us", 10).await.unwrap().len(), 1);
    assert_eq!(
        db.inbox_recent("ca", 10).await.unwrap()[0].outcome,
        "unserved_org"
    );
}

#[tokio::test]
async fn bodies_that_are_not_the_documented_json_are_400_and_too_big_is_413() {
    let (app, _ada) = app_with_ada().await;
    for (case, body) in [
        ("not JSON", "this is not json".to_owned()),
        ("a JSON array", format!("[{}]", phase_changed(LOVELACE, 1))),
        (
            "no OrgId",
            json!({"Event": "PhaseChanged", "Object": "Project"}).to_string(),
        ),
        ("empty", String::new()),
    ] {
        let (status, json) = deliver(&app, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {json}");
        assert!(json["error"].is_string(), "{case}: {json}");
    }
    let mut big: Value = serde_json::from_str(&phase_changed(LOVELACE, 1)).unwrap();
    big["Other"] = json!({ "padding": "x".repeat(300 * 1024) });
    let (status, json) = deliver(&app, big.to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{json}");
    assert!(json["error"].is_string());
    // Too big without a token is refused for the token: size says nothing to a stranger.
    let (status, _) = post(&app, None, big.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(inbox(&app).await.is_empty(), "nothing stored");
    // camelCase is the same delivery shape.
    let camel = json!({"event": "PhaseChanged", "object": "Project", "orgId": LOVELACE,
                       "projectId": {"native": 3, "partner": null}});
    let (status, _) = deliver(&app, camel.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_delivery_is_stored_before_the_answer_and_applied_once_however_often_it_comes() {
    let (app, _ada) = app_with_ada().await;
    let token = token(&app);
    let body = phase_changed(LOVELACE, 11);
    let (status, json) = post(&app, Some(&format!("Bearer {token}")), body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(json["status"], "accepted");
    // Stored before the answer: the row is there now (pending or already applied).
    let rows = inbox(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].org_id, rows[0].project_id), (LOVELACE, Some(11)));
    assert_eq!(rows[0].event, "Project.PhaseChanged");
    // The same token again, and the same body under a new token: duplicates.
    let (status, json) = post(
        &app,
        Some(&format!("Bearer {token}")),
        phase_changed(LOVELACE, 12),
    )
    .await;
    assert_eq!(
        (status, json["status"].as_str()),
        (StatusCode::ACCEPTED, Some("duplicate"))
    );
    let (status, json) = deliver(&app, body.clone()).await;
    assert_eq!(
        (status, json["status"].as_str()),
        (StatusCode::ACCEPTED, Some("duplicate"))
    );
    all_applied(&app).await;
    let rows = inbox(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].outcome, "applied");
    // A day later the same body is news again.
    app.advance_clock(std::time::Duration::from_secs(86_400 + 1));
    let (status, json) = deliver(&app, body).await;
    assert_eq!(
        (status, json["status"].as_str()),
        (StatusCode::ACCEPTED, Some("accepted"))
    );
}

#[tokio::test]
async fn unknown_event_types_and_unserved_orgs_are_accepted_counted_and_not_applied() {
    let (app, _ada) = app_with_ada().await;
    let (status, json) = deliver(&app, body(LOVELACE, 1, "Project", "Exploded")).await;
    assert_eq!(
        (status, json["status"].as_str()),
        (StatusCode::ACCEPTED, Some("ignored_event"))
    );
    let (status, json) = deliver(&app, body(LOVELACE, 1, "Note", "Created")).await;
    assert_eq!(
        (status, json["status"].as_str()),
        (StatusCode::ACCEPTED, Some("ignored_event"))
    );
    let (status, json) = deliver(&app, phase_changed(9999, 1)).await;
    assert_eq!(
        (status, json["status"].as_str()),
        (StatusCode::ACCEPTED, Some("unserved_org"))
    );
    let outcomes: Vec<String> = inbox(&app).await.into_iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, ["unserved_org", "ignored_event", "ignored_event"]);
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for outcome in ["ignored_event", "unserved_org"] {
        let line = format!("fv_webhook_deliveries_total{{outcome=\"{outcome}\"}}");
        assert!(metrics.contains(&line), "{line} in /metrics");
    }
}
