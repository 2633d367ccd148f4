//! Personal access tokens, outages, revocation, end-session and the loopback-only rule.

use super::*;

#[tokio::test]
async fn pat_grant_issues_a_token_and_refuses_unknown_pats() {
    let fake = start().await;
    let (status, body) = json_of(
        token_post(
            &fake,
            &[
                ("grant_type", "personal_access_token"),
                ("token", DEMO_PAT),
                ("scope", "fv.api.gateway.access tenant filevine.v2.api.* openid email fv.auth.tenant.read"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1200);
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());
    let token = body["access_token"].as_str().unwrap();
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
    assert_eq!(orgs["user"]["email"], REPORTING_BOT.email);
    assert_eq!(orgs["user"]["userType"], 4);

    let (status, body) = json_of(
        token_post(
            &fake,
            &[
                ("grant_type", "personal_access_token"),
                ("token", "fvpat_wrong"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].as_str().is_some());
    assert_eq!(fake.control().token_calls("personal_access_token"), 2);

    let (status, body) =
        json_of(token_post(&fake, &[("grant_type", "password"), ("username", "x")]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn pats_of_unknown_users_are_refused_at_start() {
    let opts = FakeOptions {
        pats: vec![FakePat {
            token: "fvpat_x".into(),
            user_email: "nobody@example.com".into(),
        }],
        ..options()
    };
    assert!(matches!(
        FakeFilevine::start(opts).await,
        Err(FakeError::Config(_))
    ));
}

#[tokio::test]
async fn token_endpoint_outage_answers_503() {
    let fake = start().await;
    fake.control().set_token_endpoint_down(true);
    let resp = token_post(
        &fake,
        &[("grant_type", "personal_access_token"), ("token", DEMO_PAT)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    fake.control().set_token_endpoint_down(false);
    let resp = token_post(
        &fake,
        &[("grant_type", "personal_access_token"), ("token", DEMO_PAT)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(fake.control().token_calls("personal_access_token"), 2);
}

#[tokio::test]
async fn revocation_invalidates_refresh_and_access_tokens() {
    let fake = start().await;
    let t = tokens_for(&fake, ADA.sub, SCOPE).await;
    for name in ["refresh_token", "access_token"] {
        let resp = http()
            .post(format!("{}/connect/revocation", fake.issuer()))
            .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
            .form(&[
                ("token", t[name].as_str().unwrap()),
                ("token_type_hint", name),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let (status, _) = json_of(
        token_post(
            &fake,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let resp = http()
        .post(gw(&fake, "fv-app/v2/utils/GetUserOrgsWithToken"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn end_session_redirects_only_to_registered_uris() {
    let fake = start().await;
    let t = tokens_for(&fake, ADA.sub, SCOPE).await;
    let id_token = t["id_token"].as_str().unwrap();
    let url = format!("{}/connect/endsession", fake.issuer());
    let resp = http()
        .get(&url)
        .query(&[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "bye-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let loc = location(&resp);
    assert!(loc.as_str().starts_with(POST_LOGOUT));
    assert_eq!(query(&loc)["state"], "bye-1");

    let resp = http()
        .get(&url)
        .query(&[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "https://evil.example/"),
            ("state", "bye-2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get(header::LOCATION).is_none());

    // A forged hint is refused too.
    let resp = http()
        .get(&url)
        .query(&[
            (
                "id_token_hint",
                "eyJhbGciOiJub25lIn0.eyJhdWQiOiJmdi1kZW1vLWNsaWVudCJ9.",
            ),
            ("post_logout_redirect_uri", POST_LOGOUT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let resp = http().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("You are signed out of the Filevine demo"));

    let calls = fake.control().end_session_calls();
    assert_eq!(calls.len(), 4);
    assert!(calls[0].contains(&("state".to_owned(), "bye-1".to_owned())));
    assert!(calls[3].is_empty());
}

#[tokio::test]
async fn non_loopback_listen_is_refused() {
    let opts = FakeOptions {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..options()
    };
    assert!(matches!(
        FakeFilevine::start(opts).await,
        Err(FakeError::NotLoopback(_))
    ));
    let opts = FakeOptions {
        listen: "[::1]:0".parse().unwrap(),
        ..options()
    };
    // IPv6 loopback is fine where the machine has it.
    if let Ok(fake) = FakeFilevine::start(opts).await {
        assert!(fake.issuer().starts_with("http://[::1]:"));
        fake.shutdown().await;
    }
}

/// A refresh grant with `token`.
async fn refresh_with(fake: &FakeFilevine, token: &str) -> (StatusCode, Value) {
    let form = [("grant_type", "refresh_token"), ("refresh_token", token)];
    json_of(token_post(fake, &form).await).await
}

/// Demo mode: a stand-in that keeps its refresh tokens in a file still honours one rotated
/// before a restart; one spent before it stays refused; the file is private.
#[tokio::test]
async fn kept_refresh_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.json");
    let kept = || FakeOptions {
        keep_refresh_tokens: Some(file.clone()),
        ..options()
    };
    let fake = FakeFilevine::start(kept()).await.unwrap();
    let t = tokens_for(&fake, ADA.sub, SCOPE).await;
    let first = t["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = refresh_with(&fake, &first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rotated = body["refresh_token"].as_str().unwrap().to_owned();
    fake.shutdown().await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the kept tokens are private");
    }
    let again = FakeFilevine::start(kept()).await.unwrap();
    let (status, body) = refresh_with(&again, &rotated).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the rotated token was forgotten: {body}"
    );
    assert!(body["access_token"].is_string() && body["id_token"].is_string());
    let newest = body["refresh_token"].as_str().unwrap().to_owned();
    // The token spent before the restart is not accepted again.
    let (status, _) = refresh_with(&again, &first).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    again.shutdown().await;

    // Without the file, nothing is kept: a fresh stand-in refuses the newest token.
    let plain = FakeFilevine::start(options()).await.unwrap();
    let (status, _) = refresh_with(&plain, &newest).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
