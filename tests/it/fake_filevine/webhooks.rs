//! The stand-in's webhooks: the published subscription operations (scope, per-org, answers
//! validated by the contract) and its signed deliveries to a local sink (signature checked
//! against the JWKS, retries after a 500 and a refused connection).

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use fake_filevine::contract::{get_ci, Casing, Contract};
use fake_filevine::{ProjectChange, WEBHOOK_AUDIENCE};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tokio::sync::mpsc;

use super::*;

const HOOKS_SCOPE: &str = "fv.api.gateway.access filevine.v2.webhooks";

async fn hooks_token(fake: &FakeFilevine) -> String {
    let form = [
        ("grant_type", "personal_access_token"),
        ("token", DEMO_PAT),
        ("scope", HOOKS_SCOPE),
    ];
    let (status, body) = json_of(token_post(fake, &form).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn send(
    fake: &FakeFilevine,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http()
        .request(method, gw(fake, path))
        .bearer_auth(token)
        .header("x-fv-orgid", "5001")
        .header("x-fv-userid", "1003");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn validate(op: (&str, &str), answer: &Value) {
    let c = Contract::published();
    let schema = c.operation(op.0, op.1).unwrap().response.as_ref().unwrap();
    let problems = c.validate(schema, answer);
    assert!(problems.is_empty(), "{op:?}: {problems:#?}\n{answer}");
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    get_ci(v, key).and_then(Value::as_str).unwrap_or_default()
}

/// The catalogue id of `object` + `event`.
fn id_of(catalogue: &Value, object: &str, event: &str) -> String {
    catalogue
        .as_array()
        .unwrap()
        .iter()
        .find(|e| text(e, "ObjectType") == object && text(e, "EventType") == event)
        .map(|e| text(e, "Id").to_owned())
        .unwrap_or_else(|| panic!("{object} {event} is in the catalogue"))
}

#[tokio::test]
async fn the_catalogue_is_published_and_needs_the_webhooks_scope() {
    for casing in [Casing::Camel, Casing::Pascal] {
        let fake = FakeFilevine::start(FakeOptions {
            casing,
            ..options()
        })
        .await
        .unwrap();
        let token = hooks_token(&fake).await;
        let (status, events) = send(
            &fake,
            reqwest::Method::GET,
            &token,
            "fv-app/v2/webhooks/Events",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        validate(("GET", "/fv-app/v2/webhooks/Events"), &events);
        for (object, event) in [
            ("Project", "Created"),
            ("Project", "Updated"),
            ("Project", "PhaseChanged"),
            ("Project", "Archived"),
            ("Project", "Deleted"),
            ("Project_Member", "Added"),
            ("Project_Member", "Removed"),
        ] {
            id_of(&events, object, event);
        }
        // A token without the scope: 403 naming it, on every operation.
        let plain = pat_token(&fake).await;
        for (method, path) in [
            (reqwest::Method::GET, "fv-app/v2/webhooks/Events"),
            (reqwest::Method::GET, "fv-app/v2/webhooks/subscriptions"),
            (reqwest::Method::DELETE, "fv-app/v2/webhooks/subscription/x"),
        ] {
            let (status, body) = send(&fake, method, &plain, path, None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
            assert!(body["message"]
                .as_str()
                .unwrap()
                .contains("filevine.v2.webhooks"));
        }
        assert!(fake.control().contract_violations().is_empty());
    }
}

#[tokio::test]
async fn subscriptions_are_created_listed_updated_and_deleted_per_org() {
    let fake = start().await;
    let token = hooks_token(&fake).await;
    let (_, events) = send(
        &fake,
        reqwest::Method::GET,
        &token,
        "fv-app/v2/webhooks/Events",
        None,
    )
    .await;
    let phase = id_of(&events, "Project", "PhaseChanged");
    let body = serde_json::json!({
        "Name": "dashboard", "Description": "live", "EventIds": [phase],
        "Endpoint": "https://app.example/webhooks/filevine",
    });
    let (status, created) = send(
        &fake,
        reqwest::Method::POST,
        &token,
        "fv-app/v2/webhooks/subscription",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    validate(("POST", "/fv-app/v2/webhooks/subscription"), &created);
    let id = text(&created, "Id").to_owned();
    assert_eq!(text(&created, "KeyId"), fake.control().signing_kid());

    let (_, list) = send(
        &fake,
        reqwest::Method::GET,
        &token,
        "fv-app/v2/webhooks/subscriptions",
        None,
    )
    .await;
    validate(("GET", "/fv-app/v2/webhooks/subscriptions"), &list);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        text(&list[0], "Endpoint"),
        "https://app.example/webhooks/filevine"
    );

    let one = format!("fv-app/v2/webhooks/subscription/{id}");
    let moved = serde_json::json!({ "endpoint": "https://moved.example/webhooks/filevine" });
    let (status, updated) = send(&fake, reqwest::Method::PUT, &token, &one, Some(moved)).await;
    assert_eq!(status, StatusCode::OK);
    validate(
        ("PUT", "/fv-app/v2/webhooks/subscription/{subscriptionId}"),
        &updated,
    );
    assert_eq!(
        text(&updated, "Endpoint"),
        "https://moved.example/webhooks/filevine"
    );
    assert_eq!(get_ci(&updated, "EventIds").unwrap()[0], phase.as_str());
    let (_, got) = send(&fake, reqwest::Method::GET, &token, &one, None).await;
    validate(
        ("GET", "/fv-app/v2/webhooks/subscription/{subscriptionId}"),
        &got,
    );

    // Another org sees none of it.
    let ben = tokens_for(&fake, BEN.sub, &format!("openid {HOOKS_SCOPE}")).await;
    let ben = ben["access_token"].as_str().unwrap();
    let other = http()
        .get(gw(&fake, "fv-app/v2/webhooks/subscriptions"))
        .bearer_auth(ben)
        .header("x-fv-orgid", "5002")
        .header("x-fv-userid", "1002")
        .send()
        .await
        .unwrap();
    assert_eq!(other.json::<Value>().await.unwrap(), serde_json::json!([]));

    let (status, deleted) = send(&fake, reqwest::Method::DELETE, &token, &one, None).await;
    assert_eq!((status, deleted), (StatusCode::OK, Value::Bool(true)));
    let (status, _) = send(&fake, reqwest::Method::GET, &token, &one, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&fake, reqwest::Method::DELETE, &token, &one, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(fake.control().contract_violations().is_empty());
}

#[tokio::test]
async fn bad_subscription_bodies_are_refused() {
    let fake = start().await;
    let token = hooks_token(&fake).await;
    let path = "fv-app/v2/webhooks/subscription";
    let ok_endpoint = "http://127.0.0.1:9/webhooks/filevine";
    for (body, says) in [
        (
            serde_json::json!({ "EventIds": ["no-such-event"], "Endpoint": ok_endpoint }),
            "catalogue",
        ),
        (
            serde_json::json!({ "EventIds": [], "Endpoint": ok_endpoint }),
            "empty",
        ),
        (
            serde_json::json!({ "EventIds": ["7103"], "Endpoint": "http://app.example/hook" }),
            "https",
        ),
        (serde_json::json!({ "EventIds": ["7103"] }), "required"),
    ] {
        let (status, answer) = send(&fake, reqwest::Method::POST, &token, path, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            answer["message"].as_str().unwrap().contains(says),
            "{answer}"
        );
    }
    assert!(fake.control().contract_violations().is_empty());
    let invented =
        serde_json::json!({ "EventIds": ["7103"], "Endpoint": ok_endpoint, "Secret": "x" });
    let (status, _) = send(&fake, reqwest::Method::POST, &token, path, Some(invented)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(fake.control().contract_violations()[0].contains("Secret"));
}

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
