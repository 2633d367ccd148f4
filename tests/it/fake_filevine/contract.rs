//! The stand-in against Filevine's published contract (`crates/fake-filevine/contract/`,
//! transcribed from Filevine's export): every answer it gives validates against the published
//! schema in both casings (keys compared without regard to case, types strictly), paths cased
//! otherwise are 404, and a request outside the contract is refused and remembered. (The
//! stand-in also validates each answer it gives in every flow: `answer_problems`.)

use fake_filevine::contract::{Casing, Contract};

use super::*;

/// Every answer of every operation the app calls, as `(operation, answer)`.
async fn answers(fake: &FakeFilevine, token: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let orgs = http()
        .post(gw(fake, "fv-app/v2/utils/GetUserOrgsWithToken"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(orgs.status(), StatusCode::OK);
    out.push((
        "POST /fv-app/v2/utils/GetUserOrgsWithToken".to_owned(),
        orgs.json().await.unwrap(),
    ));
    for path in [
        "fv-app/v2/Users/Me",
        "fv-app/v2/Projects?limit=3&requestedFields=*",
        "fv-app/v2/Projects?limit=2&requestedFields=projectId,projectName,phaseName",
        "fv-app/v2/Projects?limit=5&searchTerm=no-such-matter-anywhere",
        "fv-app/v2/ProjectTypes?limit=1000",
        "fv-app/v2/ProjectTypes?limit=1&offset=500",
    ] {
        let (status, body) = json_of(gw_get(fake, token, path, 5001, 1003).await).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        out.push((format!("GET /{}", path.split('?').next().unwrap()), body));
    }
    let first = out[2]
        .1
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("items"))
        .unwrap()
        .1[0]
        .clone();
    let id = first
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("projectId"))
        .unwrap()
        .1["native"]
        .as_i64()
        .or_else(|| {
            first
                .as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("projectId"))
                .unwrap()
                .1["Native"]
                .as_i64()
        })
        .unwrap();
    let (status, body) =
        json_of(gw_get(fake, token, &format!("fv-app/v2/Projects/{id}"), 5001, 1003).await).await;
    assert_eq!(status, StatusCode::OK);
    out.push(("GET /fv-app/v2/Projects/{projectId}".to_owned(), body));
    out
}

#[tokio::test]
async fn every_answer_validates_against_the_published_schema_in_both_casings() {
    let contract = Contract::published();
    for casing in [Casing::Camel, Casing::Pascal] {
        let fake = FakeFilevine::start(FakeOptions {
            casing,
            ..options()
        })
        .await
        .unwrap();
        let token = pat_token(&fake).await;
        for (op, answer) in answers(&fake, &token).await {
            let (method, path) = op.split_once(' ').unwrap();
            let schema = contract
                .operation(method, path)
                .and_then(|o| o.response.as_ref())
                .unwrap_or_else(|| panic!("{op} is published"));
            let problems = contract.validate(schema, &answer);
            assert!(problems.is_empty(), "{op} in {casing:?}: {problems:#?}");
            // The casing is the one asked for, key by key.
            let keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
            let first = keys[0].chars().next().unwrap();
            assert_eq!(
                first.is_uppercase(),
                casing == Casing::Pascal,
                "{op} {keys:?}"
            );
        }
        assert!(fake.control().contract_violations().is_empty());
    }
}

#[tokio::test]
async fn the_casing_can_change_while_running() {
    let fake = start().await;
    let token = pat_token(&fake).await;
    let (_, camel) = json_of(gw_get(&fake, &token, "fv-app/v2/Users/Me", 5001, 1003).await).await;
    assert_eq!(
        camel["orgUserId"]["native"],
        REPORTING_BOT.org_user_id(5001)
    );
    fake.control().set_casing(Casing::Pascal);
    let (_, pascal) = json_of(gw_get(&fake, &token, "fv-app/v2/Users/Me", 5001, 1003).await).await;
    assert_eq!(
        pascal["OrgUserId"]["Native"],
        REPORTING_BOT.org_user_id(5001)
    );
    let (_, page) =
        json_of(gw_get(&fake, &token, "fv-app/v2/Projects?limit=1", 5001, 1003).await).await;
    assert!(page["Items"][0]["ProjectId"]["Native"].is_i64(), "{page}");
    assert_eq!(page["HasMore"], true);
}

#[tokio::test]
async fn paths_cased_otherwise_are_not_found_and_unpublished_parameters_are_refused() {
    let fake = start().await;
    let token = pat_token(&fake).await;
    for path in [
        "fv-app/v2/users/me",
        "fv-app/v2/projects",
        "fv-app/v2/projectTypes",
    ] {
        let r = gw_get(&fake, &token, path, 5001, 1003).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (status, body) = json_of(
        gw_get(
            &fake,
            &token,
            "fv-app/v2/Projects?limit=5&cursor=abc",
            5001,
            1003,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("`cursor`"),
        "{body}"
    );
    let (status, _) = json_of(
        gw_get(
            &fake,
            &token,
            "fv-app/v2/Projects?excludeArchived=1",
            5001,
            1003,
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a boolean is true or false"
    );
    let violations = fake.control().contract_violations();
    assert_eq!(violations.len(), 5, "{violations:?}");
    assert!(
        violations[0].contains("GET /fv-app/v2/users/me is not a published operation"),
        "a path cased otherwise is remembered too: {violations:?}"
    );
    assert!(fake.control().answer_problems().is_empty());
}
