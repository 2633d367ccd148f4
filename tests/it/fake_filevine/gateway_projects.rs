//! The gateway's project list (paging, search, phase, sort, orgs), injected failures and the
//! in-flight counters, in process and over the HTTP controls.

use super::*;

async fn all_pages(
    fake: &FakeFilevine,
    token: &str,
    extra: &[(&str, &str)],
    limit: usize,
) -> Vec<Value> {
    let mut items = Vec::new();
    let mut offset = 0usize;
    loop {
        let mut q: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        q.push(("limit".into(), limit.to_string()));
        q.push(("offset".into(), offset.to_string()));
        let resp = http()
            .get(gw(fake, "fv-app/v2/Projects"))
            .query(&q)
            .bearer_auth(token)
            .header("x-fv-orgid", "5001")
            .header("x-fv-userid", "1003")
            .send()
            .await
            .unwrap();
        let (status, page) = json_of(resp).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let got = page["items"].as_array().unwrap().clone();
        assert_eq!(page["count"].as_u64().unwrap() as usize, got.len());
        assert_eq!(page["offset"].as_u64().unwrap() as usize, offset);
        offset += got.len();
        let more = page["hasMore"].as_bool().unwrap();
        if let Some(last) = got.last() {
            assert_eq!(page["lastID"], last["projectId"]["native"]);
        }
        assert_eq!(more, page["links"]["next"].is_string());
        items.extend(got);
        if !more {
            return items;
        }
        assert!(items.len() < 100_000, "paging never ends");
    }
}

fn ids(items: &[Value]) -> Vec<i64> {
    items
        .iter()
        .map(|p| p["projectId"]["native"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn projects_paging_visits_every_project_exactly_once() {
    let fake = start().await;
    let token = pat_token(&fake).await;
    let total = fake
        .control()
        .project_count(5001, &ProjectFilter::default());
    assert_eq!(total, 1250);
    for (extra, limit) in [
        (vec![], 1000),
        (vec![("sortBy", "phaseName"), ("orderBy", "asc")], 97),
    ] {
        let items = all_pages(&fake, &token, &extra, limit).await;
        let got = ids(&items);
        let unique: HashSet<i64> = got.iter().copied().collect();
        assert_eq!(got.len(), total);
        assert_eq!(unique.len(), total);
    }
    // Default order: projectId descending.
    let items = all_pages(&fake, &token, &[], 1000).await;
    let got = ids(&items);
    assert!(got.windows(2).all(|w| w[0] > w[1]));
    // Same data next time (deterministic), and the projects look like the facts file says.
    let p = &items[0];
    for key in [
        "projectId",
        "projectTypeId",
        "clientId",
        "phaseId",
        "projectName",
        "projectOrClientName",
        "clientName",
        "phaseName",
        "phaseDate",
        "createdDate",
        "incidentDate",
        "lastActivity",
        "number",
        "description",
        "isArchived",
        "hashtags",
        "firstPrimaryName",
        "firstPrimaryUsername",
        "projectUrl",
        "orgId",
    ] {
        assert!(p.get(key).is_some(), "{key}");
    }
    assert_eq!(p["orgId"], 5001);
    assert!(time::OffsetDateTime::parse(
        p["createdDate"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339
    )
    .is_ok());
    // Tricky names for CSV tests are in there.
    let names: Vec<&str> = items
        .iter()
        .map(|p| p["projectName"].as_str().unwrap())
        .collect();
    for needle in [",", "\"", "\n", "Müller", "Nguyễn"] {
        assert!(names.iter().any(|n| n.contains(needle)), "{needle:?}");
    }
    for prefix in ['=', '+', '-', '@'] {
        assert!(names.iter().any(|n| n.starts_with(prefix)), "{prefix}");
    }
    let archived = items.iter().filter(|p| p["isArchived"] == true).count();
    assert!(
        (60..=200).contains(&archived),
        "about 10% archived: {archived}"
    );
}

#[tokio::test]
async fn projects_search_phase_and_sort() {
    let fake = start().await;
    let token = pat_token(&fake).await;
    let c = fake.control();
    let items = all_pages(&fake, &token, &[("searchTerm", "ACME")], 1000).await;
    assert!(!items.is_empty());
    for p in &items {
        let hay =
            format!("{} {} {}", p["projectName"], p["clientName"], p["number"]).to_lowercase();
        assert!(hay.contains("acme"), "{hay}");
    }
    assert_eq!(
        items.len(),
        c.project_count(
            5001,
            &ProjectFilter {
                search_term: Some("ACME".into()),
                ..Default::default()
            }
        )
    );

    let filter = ProjectFilter {
        phase_name: Some("Litigation".into()),
        exclude_archived: true,
        ..Default::default()
    };
    let items = all_pages(
        &fake,
        &token,
        &[("phaseName", "Litigation"), ("excludeArchived", "true")],
        1000,
    )
    .await;
    assert_eq!(items.len(), c.project_count(5001, &filter));
    assert!(items.len() > 50 && items.len() < 1250);
    assert!(items
        .iter()
        .all(|p| p["phaseName"] == "Litigation" && p["isArchived"] == false));

    let items = all_pages(
        &fake,
        &token,
        &[("sortBy", "projectName"), ("orderBy", "asc")],
        1000,
    )
    .await;
    let names: Vec<String> = items
        .iter()
        .map(|p| p["projectName"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]));
    let items = all_pages(
        &fake,
        &token,
        &[("sortBy", "createdDate"), ("orderBy", "desc")],
        1000,
    )
    .await;
    let dates: Vec<&str> = items
        .iter()
        .map(|p| p["createdDate"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));

    for bad in [
        ("limit", "1001"),
        ("sortBy", "favouriteColour"),
        ("orderBy", "sideways"),
        ("createdSince", "yesterday"),
    ] {
        let resp = http()
            .get(gw(&fake, "fv-app/v2/Projects"))
            .query(&[bad])
            .bearer_auth(&token)
            .header("x-fv-orgid", "5001")
            .header("x-fv-userid", "1003")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad:?}");
    }

    // One project, and one from another org.
    let id = ids(&all_pages(&fake, &token, &[], 1000).await)[7];
    let (status, p) = json_of(
        gw_get(
            &fake,
            &token,
            &format!("fv-app/v2/Projects/{id}"),
            5001,
            1003,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["projectId"]["native"], id);
    let resp = gw_get(&fake, &token, "fv-app/v2/Projects/2001001", 5001, 1003).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn projects_of_the_second_org_differ() {
    let fake = start().await;
    let t = tokens_for(&fake, BEN.sub, SCOPE).await;
    let token = t["access_token"].as_str().unwrap();
    let (s1, a) =
        json_of(gw_get(&fake, token, "fv-app/v2/Projects?limit=5", 5001, 1002).await).await;
    let (s2, b) =
        json_of(gw_get(&fake, token, "fv-app/v2/Projects?limit=5", 5002, 1002).await).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_ne!(a["items"][0]["projectId"], b["items"][0]["projectId"]);
    assert_eq!(b["items"][0]["orgId"], 5002);
}

#[tokio::test]
async fn injected_failures_come_first_and_429_has_retry_after() {
    let fake = start().await;
    fake.control().fail_next_gateway_calls(429, 2, Some(3));
    for _ in 0..2 {
        // Even without a token: injected failures come before every check.
        let resp = http()
            .get(gw(&fake, "fv-app/v2/Users/Me"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "3");
    }
    let token = pat_token(&fake).await;
    assert_eq!(
        gw_get(&fake, &token, "fv-app/v2/Users/Me", 5001, 1003)
            .await
            .status(),
        StatusCode::OK
    );
    fake.control().fail_next_gateway_calls(500, 1, None);
    let resp = gw_get(&fake, &token, "fv-app/v2/Users/Me", 5001, 1003).await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(resp.headers().get(header::RETRY_AFTER).is_none());
    assert_eq!(
        gw_get(&fake, &token, "fv-app/v2/Users/Me", 5001, 1003)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn max_in_flight_is_recorded() {
    let fake = start().await;
    let token = pat_token(&fake).await;
    fake.control()
        .set_gateway_latency(Duration::from_millis(300));
    fake.control().reset_gateway_stats();
    let calls = (0..6).map(|_| gw_get(&fake, &token, "fv-app/v2/Users/Me", 5001, 1003));
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.status() == StatusCode::OK));
    assert_eq!(fake.control().gateway_max_in_flight(), 6);
    assert_eq!(fake.control().gateway_requests().len(), 6);
    fake.control().reset_gateway_stats();
    assert_eq!(fake.control().gateway_max_in_flight(), 0);
    assert!(fake.control().gateway_requests().is_empty());
}

#[tokio::test]
async fn http_controls_work_across_processes() {
    let fake = start().await;
    let token = pat_token(&fake).await;
    let ctl = format!("{}/_fake/control", fake.issuer());
    let resp = http()
        .post(&ctl)
        .json(&serde_json::json!({"fail_next": {"status": 429, "count": 1, "retry_after": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = gw_get(&fake, &token, "fv-app/v2/Users/Me", 5001, 1003).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    let resp = http()
        .post(&ctl)
        .json(&serde_json::json!({"expire_access_tokens": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        gw_get(&fake, &token, "fv-app/v2/Users/Me", 5001, 1003)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let resp = http()
        .post(&ctl)
        .json(&serde_json::json!({"token_endpoint_down": true, "access_token_ttl_secs": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = token_post(
        &fake,
        &[("grant_type", "personal_access_token"), ("token", DEMO_PAT)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let resp = http()
        .post(&ctl)
        .json(&serde_json::json!({"no_such_knob": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let (status, stats) = json_of(
        http()
            .get(format!("{}/_fake/stats", fake.issuer()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["token_calls"]["personal_access_token"], 2);
    assert_eq!(stats["gateway_requests"], 2);
    assert_eq!(stats["access_token_ttl_secs"], 5);
    assert_eq!(stats["token_endpoint_down"], true);
    assert!(stats["gateway_max_in_flight"].as_u64().is_some());
}
