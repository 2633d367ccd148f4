//! The stand-in's webhooks: the published subscription operations (scope, per-org, answers
//! validated by the contract) and its signed deliveries to a local sink (signature checked
//! against the JWKS, retries after a 500 and a refused connection).

use fake_filevine::contract::{get_ci, Casing, Contract};

use super::*;

pub(super) const HOOKS_SCOPE: &str = "fv.api.gateway.access filevine.v2.webhooks";

pub(super) async fn hooks_token(fake: &FakeFilevine) -> String {
    let form = [
        ("grant_type", "personal_access_token"),
        ("token", DEMO_PAT),
        ("scope", HOOKS_SCOPE),
    ];
    let (status, body) = json_of(token_post(fake, &form).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

pub(super) async fn send(
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

pub(super) fn validate(op: (&str, &str), answer: &Value) {
    let c = Contract::published();
    let schema = c.operation(op.0, op.1).unwrap().response.as_ref().unwrap();
    let problems = c.validate(schema, answer);
    assert!(problems.is_empty(), "{op:?}: {problems:#?}\n{answer}");
}

pub(super) fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    get_ci(v, key).and_then(Value::as_str).unwrap_or_default()
}

/// The catalogue id of `object` + `event`.
pub(super) fn id_of(catalogue: &Value, object: &str, event: &str) -> String {
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
