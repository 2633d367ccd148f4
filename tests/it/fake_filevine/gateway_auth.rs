//! The gateway's checks of who calls it: token expiry, user agent, scope, org headers, and
//! who the token user is.

use super::*;

#[tokio::test]
async fn gateway_refuses_expired_tokens() {
    let fake = start().await;
    let token = pat_token(&fake).await;
    let me = "fv-app/v2/Users/Me";
    assert_eq!(
        gw_get(&fake, &token, me, 5001, 1003).await.status(),
        StatusCode::OK
    );
    fake.control().expire_access_tokens();
    let (status, body) = json_of(gw_get(&fake, &token, me, 5001, 1003).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["message"].as_str().is_some());

    fake.control().set_access_token_ttl(Duration::from_secs(1));
    let token = pat_token(&fake).await;
    assert_eq!(
        gw_get(&fake, &token, me, 5001, 1003).await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        gw_get(&fake, &token, me, 5001, 1003).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        gw_get(&fake, "fvat_unknown", me, 5001, 1003).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn gateway_checks_user_agent_scope_and_headers() {
    let fake = start().await;
    let token = pat_token(&fake).await;
    let bare = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let (status, body) = json_of(
        bare.post(gw(&fake, "fv-app/v2/utils/GetUserOrgsWithToken"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["message"].as_str().unwrap().contains("User-Agent"));

    // A token without the gateway scope.
    let (_, body) = json_of(
        token_post(
            &fake,
            &[
                ("grant_type", "personal_access_token"),
                ("token", DEMO_PAT),
                ("scope", "openid email"),
            ],
        )
        .await,
    )
    .await;
    let narrow = body["access_token"].as_str().unwrap();
    let (status, body) =
        json_of(gw_get(&fake, narrow, "fv-app/v2/Users/Me", 5001, 1003).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("fv.api.gateway.access"));

    // Missing, malformed, foreign org and foreign user.
    let resp = http()
        .get(gw(&fake, "fv-app/v2/Users/Me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = http()
        .get(gw(&fake, "fv-app/v2/Users/Me"))
        .bearer_auth(&token)
        .header("x-fv-orgid", "five")
        .header("x-fv-userid", "1003")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        gw_get(&fake, &token, "fv-app/v2/Users/Me", 5002, 1003)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        gw_get(&fake, &token, "fv-app/v2/Users/Me", 5001, 1001)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn orgs_and_me_describe_the_token_user() {
    let fake = start().await;
    let t = tokens_for(&fake, BEN.sub, SCOPE).await;
    let token = t["access_token"].as_str().unwrap();
    let (status, orgs) = json_of(
        http()
            .post(gw(&fake, "fv-app/v2/utils/GetUserOrgsWithToken"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(orgs["user"]["userId"]["native"], 1002);
    assert_eq!(orgs["user"]["firstName"], "Ben");
    assert_eq!(orgs["user"]["userType"], 0);
    let ids: Vec<i64> = orgs["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orgId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![5001, 5002]);
    assert_eq!(orgs["orgs"][1]["name"], "Okafor Injury Law");
    let (status, me) = json_of(gw_get(&fake, token, "fv-app/v2/Users/Me", 5002, 1002).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], BEN.email);
    assert_eq!(me["user"]["lastName"], "Okafor");
    assert_eq!(me["orgUserId"]["native"], BEN.org_user_id(5002));
    assert_eq!(me["permissions"]["accessLevel"], BEN.access_level);
    let recorded = fake.control().gateway_requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1].method, "GET");
    assert_eq!(recorded[1].path, "/fv-app/v2/Users/Me");
    assert_eq!(recorded[1].org_id.as_deref(), Some("5002"));
    assert_eq!(recorded[1].user_id.as_deref(), Some("1002"));
    assert_eq!(recorded[0].org_id, None);
}
