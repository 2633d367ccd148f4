//! The stand-in's signed webhook deliveries to a local sink (signature checked against the
//! JWKS, retries after a 500 and a refused connection), and the controls that change its
//! projects (which is what sends them).

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use fake_filevine::contract::get_ci;
use fake_filevine::{ProjectChange, WEBHOOK_AUDIENCE};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tokio::sync::mpsc;

use super::webhooks::*;
use super::*;

/// A local receiver: answers each delivery with the next status of `script` (then 200) and
/// hands on its `Authorization` header and body.
async fn sink(script: Vec<u16>) -> (String, mpsc::UnboundedReceiver<(u16, HeaderMap, Value)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let script = Arc::new(Mutex::new(script.into_iter()));
    let app = axum::Router::new().route(
        "/webhooks/filevine",
        axum::routing::post(move |headers: HeaderMap, body: axum::Json<Value>| {
            let (tx, script) = (tx.clone(), script.clone());
            async move {
                let status = script.lock().unwrap().next().unwrap_or(200);
                let _ = tx.send((status, headers, body.0));
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/webhooks/filevine"), rx)
}

async fn subscribe(fake: &FakeFilevine, token: &str, endpoint: &str, events: &[(&str, &str)]) {
    let (_, catalogue) = send(
        fake,
        reqwest::Method::GET,
        token,
        "fv-app/v2/webhooks/Events",
        None,
    )
    .await;
    let ids: Vec<String> = events
        .iter()
        .map(|(o, e)| id_of(&catalogue, o, e))
        .collect();
    let body = serde_json::json!({ "Name": "t", "EventIds": ids, "Endpoint": endpoint });
    let (status, _) = send(
        fake,
        reqwest::Method::POST,
        token,
        "fv-app/v2/webhooks/subscription",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// Checks the delivery token against the stand-in's published keys; returns its claims.
async fn verified(fake: &FakeFilevine, headers: &HeaderMap) -> Value {
    let auth = headers["authorization"].to_str().unwrap();
    let jwt = auth.strip_prefix("Bearer ").expect("a bearer token");
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.alg, Algorithm::RS512);
    let kid = header.kid.expect("a kid");
    let jwks: Value = http()
        .get(format!(
            "{}/.well-known/openid-configuration/jwks",
            fake.issuer()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the kid is published");
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::RS512);
    v.set_audience(&[WEBHOOK_AUDIENCE]);
    v.set_issuer(&[fake.issuer()]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "jti"]);
    jsonwebtoken::decode::<Value>(jwt, &key, &v)
        .expect("the delivery token verifies")
        .claims
}

#[tokio::test]
async fn a_phase_change_is_delivered_signed_and_retried_after_a_500() {
    let fake = start().await;
    let token = hooks_token(&fake).await;
    let (endpoint, mut got) = sink(vec![500]).await;
    subscribe(&fake, &token, &endpoint, &[("Project", "PhaseChanged")]).await;
    let project = fake.control().projects(5001)[0].clone();
    let moved = ProjectChange::MovePhase {
        project_id: project.project_id,
        phase: "Settled".into(),
    };
    fake.control().change_project(5001, moved).unwrap();
    // Not subscribed: no delivery.
    let rename = ProjectChange::Rename {
        project_id: project.project_id,
        name: "Renamed".into(),
    };
    fake.control().change_project(5001, rename).unwrap();

    let (first, h1, b1) = got.recv().await.unwrap();
    let (second, h2, b2) = got.recv().await.unwrap();
    assert_eq!((first, second), (500, 200));
    assert_eq!(b1, b2, "the retry sends the same delivery");
    let (c1, c2) = (verified(&fake, &h1).await, verified(&fake, &h2).await);
    assert_eq!(
        c1["jti"], c2["jti"],
        "one delivery, one jti across its retries"
    );
    assert_eq!(text(&b2, "Event"), "PhaseChanged");
    assert_eq!(text(&b2, "Object"), "Project");
    assert_eq!(get_ci(&b2, "ProjectId").unwrap(), project.project_id);
    assert_eq!(get_ci(&b2, "OrgId").unwrap(), 5001);
    assert_eq!(
        get_ci(get_ci(&b2, "Other").unwrap(), "PhaseName").unwrap(),
        "Settled"
    );
    assert!(get_ci(&b2, "Timestamp").unwrap().is_string());
    let changed = fake.control().projects(5001);
    assert_eq!(changed[0].phase_name, "Settled");
    assert_eq!(changed[0].project_name, "Renamed");
    let records = fake.control().webhook_deliveries();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].attempts, vec![Ok(500), Ok(200)]);
    assert!(records[0].delivered);
    assert!(got.try_recv().is_err(), "the rename was not subscribed to");
}

#[tokio::test]
async fn a_refused_connection_is_retried_a_bounded_number_of_times() {
    let fake = start().await;
    let token = hooks_token(&fake).await;
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/webhooks/filevine", closed.local_addr().unwrap());
    drop(closed);
    subscribe(&fake, &token, &endpoint, &[("Project_Member", "Added")]).await;
    let id = fake.control().projects(5001)[3].project_id;
    let added = ProjectChange::MemberAdded {
        project_id: id,
        user_id: BEN.user_id,
    };
    fake.control().change_project(5001, added).unwrap();
    let records = loop {
        let r = fake.control().webhook_deliveries();
        if !r.is_empty() {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!records[0].delivered);
    assert_eq!(
        records[0].attempts.len(),
        fake_filevine::webhook_delivery::MAX_ATTEMPTS as usize
    );
    assert!(records[0].attempts.iter().all(Result::is_err));
}

#[tokio::test]
async fn the_control_endpoint_changes_projects_and_refuses_bad_changes() {
    let fake = start().await;
    let token = hooks_token(&fake).await;
    let (endpoint, mut got) = sink(vec![]).await;
    subscribe(
        &fake,
        &token,
        &endpoint,
        &[("Project", "Created"), ("Project", "Archived")],
    )
    .await;
    let control = format!("{}/_fake/control", fake.issuer());
    let create = serde_json::json!({ "change_project": { "org_id": 5001, "action": "create", "name": "Brand new matter" } });
    let resp = http().post(&control).json(&create).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, _, body) = got.recv().await.unwrap();
    assert_eq!(text(&body, "Event"), "Created");
    let id = get_ci(&body, "ProjectId").unwrap().as_i64().unwrap();
    assert!(fake
        .control()
        .projects(5001)
        .iter()
        .any(|p| p.project_id == id && p.project_name == "Brand new matter"));
    let archive = serde_json::json!({ "change_project": { "org_id": 5001, "action": "archive", "project_id": id } });
    http().post(&control).json(&archive).send().await.unwrap();
    let (_, _, body) = got.recv().await.unwrap();
    assert_eq!(text(&body, "Event"), "Archived");
    for bad in [
        serde_json::json!({ "change_project": { "org_id": 5001, "action": "move_phase", "project_id": id, "phase": "Nowhere" } }),
        serde_json::json!({ "change_project": { "org_id": 5001, "action": "archive", "project_id": 1 } }),
        serde_json::json!({ "change_project": { "org_id": 5001, "action": "explode" } }),
    ] {
        let resp = http().post(&control).json(&bad).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn the_project_page_changes_a_project_only_with_its_form_token() {
    let fake = start().await;
    let token = hooks_token(&fake).await;
    let (endpoint, mut got) = sink(vec![]).await;
    subscribe(&fake, &token, &endpoint, &[("Project", "PhaseChanged")]).await;
    let home = http()
        .get(format!("{}/connect/signout", fake.issuer()))
        .send()
        .await
        .unwrap();
    assert!(home
        .text()
        .await
        .unwrap()
        .contains("href=\"/_fake/projects\""));
    let page_url = format!("{}/_fake/projects", fake.issuer());
    let html = http()
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form_token = html
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's forms carry a token")
        .to_owned();
    let id = fake.control().projects(5001)[0].project_id.to_string();
    let change = |token: &str| {
        vec![
            ("token", token.to_owned()),
            ("org_id", "5001".to_owned()),
            ("project_id", id.clone()),
            ("action", "move_phase".to_owned()),
            ("phase", "Closed".to_owned()),
        ]
    };
    // A form posted from elsewhere, without the page's token, changes nothing.
    let refused = http()
        .post(&page_url)
        .form(&change(""))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = http()
        .post(&page_url)
        .form(&change("fvpage_guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_ne!(fake.control().projects(5001)[0].phase_name, "Closed");
    let done = http()
        .post(&page_url)
        .form(&change(form_token.as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(fake.control().projects(5001)[0].phase_name, "Closed");
    let (_, _, body) = got.recv().await.unwrap();
    assert_eq!(text(&body, "Event"), "PhaseChanged");
    let rename = [
        ("token", form_token.as_str()),
        ("org_id", "5001"),
        ("project_id", id.as_str()),
        ("action", "rename"),
        ("name", "Renamed on the page"),
    ];
    let done = http().post(&page_url).form(&rename).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        fake.control().projects(5001)[0].project_name,
        "Renamed on the page"
    );
    assert!(fake.control().webhook_deliveries_dropped() == 0);
}

/// Tests sign their deliveries with the signer the stand-in's own deliveries use: RS512 with
/// the published key and its `kid`, whatever the ID tokens' algorithm (RS256 here).
#[tokio::test]
async fn a_test_token_is_signed_as_a_delivery_is() {
    let fake = start().await;
    let claims = serde_json::json!({
        "iss": fake.issuer(), "aud": WEBHOOK_AUDIENCE, "jti": "t-1",
        "iat": 1, "exp": i64::MAX / 2,
    });
    let mut headers = HeaderMap::new();
    let bearer = format!("Bearer {}", fake.webhook_token(claims));
    headers.insert("authorization", bearer.parse().unwrap());
    assert_eq!(verified(&fake, &headers).await["jti"], "t-1");
}
