//! The guard on its own, around handlers that answer what a careless stand-in might: the
//! real routes' answers are validated in every flow of the app's tests.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::*;
use crate::{FakeFilevine, FakeOptions};

/// A server with the guard around two hand-made gateway answers, one as published and one
/// with a plain-integer `OrgUserId` and an invented `orgId` (the departures issue 30 found).
async fn guarded() -> (FakeFilevine, String) {
    let fake = FakeFilevine::start(FakeOptions::default()).await.unwrap();
    let shared = fake.control().shared.clone();
    let app = Router::new()
        .route(
            "/fv-app/v2/Users/Me",
            get(|| async { Json(json!({"orgUserId": 7, "orgId": 5001})) }),
        )
        .route(
            "/fv-app/v2/ProjectTypes",
            get(|| async {
                Json(json!({"items": [{"projectTypeId": {"native": 1, "partner": null}, "name": "PI"}],
                    "hasMore": false, "links": {"self": "/fv-app/v2/ProjectTypes"}}))
            }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            validate_answers,
        ))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (fake, base)
}

#[tokio::test]
async fn an_answer_outside_the_published_schema_is_remembered_and_passed_on() {
    let (fake, base) = guarded().await;
    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{base}/fv-app/v2/ProjectTypes"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        ok.json::<serde_json::Value>().await.unwrap()["items"][0]["name"],
        "PI"
    );
    assert!(fake.control().answer_problems().is_empty());

    let bad = http
        .get(format!("{base}/fv-app/v2/Users/Me"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bad.status(),
        StatusCode::OK,
        "the answer itself is unchanged"
    );
    assert_eq!(
        bad.json::<serde_json::Value>().await.unwrap()["orgUserId"],
        7
    );
    let problems = fake.control().answer_problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("GET /fv-app/v2/Users/Me"),
        "{problems:?}"
    );
    assert!(
        problems[0].contains("$.OrgUserId: an integer where the schema has a object"),
        "{problems:?}"
    );
    assert!(
        problems[0].contains("$.orgId: not a published field"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn unrouted_gateway_calls_are_refused_and_remembered() {
    let (fake, base) = guarded().await;
    let http = reqwest::Client::new();
    let cased = http
        .get(format!("{base}/fv-app/v2/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(cased.status(), StatusCode::NOT_FOUND);
    let method = http
        .post(format!("{base}/fv-app/v2/Users/Me"))
        .send()
        .await
        .unwrap();
    assert_eq!(method.status(), StatusCode::METHOD_NOT_ALLOWED);
    let elsewhere = http.get(format!("{base}/nowhere")).send().await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        fake.control().contract_violations(),
        [
            "GET /fv-app/v2/users/me is not a published operation",
            "POST /fv-app/v2/Users/Me is not a published operation",
        ],
        "only the gateway's paths are the contract's"
    );
}
