//! The provider refusing what it must: redirect URI mismatches, bad authorization requests,
//! cancel, and refresh-token rotation.

use super::*;

#[tokio::test]
async fn redirect_uri_must_match_in_both_legs() {
    let fake = start().await;
    let c = http();
    let (verifier, challenge) = pkce();
    let mut params = auth_params(&challenge, SCOPE);
    params[1].1 = "http://127.0.0.1:7059/auth/callback/evil".into();
    let resp = c
        .get(format!("{}/connect/authorize", fake.issuer()))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.headers().get(header::LOCATION).is_none(),
        "never redirects to an unregistered URI"
    );
    // Unknown client: a page too.
    let mut params = auth_params(&challenge, SCOPE);
    params[0].1 = "who-is-this".into();
    let resp = c
        .get(format!("{}/connect/authorize", fake.issuer()))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get(header::LOCATION).is_none());
    // Registered in leg one, different in leg two.
    let q = login(&fake, ADA.sub, &challenge, SCOPE).await;
    let (status, body) = json_of(
        token_post(
            &fake,
            &[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("redirect_uri", "http://localhost:7059/auth/callback"),
                ("code_verifier", &verifier),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn bad_requests_are_redirected_back_with_an_error() {
    let fake = start().await;
    let (_, challenge) = pkce();
    let cases: Vec<(&str, &str, &str)> = vec![
        ("code_challenge_method", "plain", "invalid_request"),
        ("response_type", "token", "unsupported_response_type"),
        ("scope", "profile email", "invalid_scope"),
        ("scope", "openid admin.everything", "invalid_scope"),
    ];
    for (name, value, error) in cases {
        let params: Vec<(&str, String)> = auth_params(&challenge, SCOPE)
            .into_iter()
            .map(|(k, v)| {
                if k == name {
                    (k, value.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect();
        let resp = http()
            .get(format!("{}/connect/authorize", fake.issuer()))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND, "{name}={value}");
        let q = query(&location(&resp));
        assert_eq!(q["error"], error, "{name}={value}");
        assert_eq!(q["state"], "st-<&\"'>");
        assert_eq!(q["iss"], fake.issuer());
        assert!(!q.contains_key("code"));
    }
    // No PKCE at all.
    let params: Vec<(&str, String)> = auth_params(&challenge, SCOPE)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .collect();
    let resp = http()
        .get(format!("{}/connect/authorize", fake.issuer()))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(query(&location(&resp))["error"], "invalid_request");
}

#[tokio::test]
async fn cancel_answers_access_denied() {
    let fake = start().await;
    let (_, challenge) = pkce();
    let mut form = auth_params(&challenge, SCOPE);
    form.push(("action", "cancel".into()));
    let resp = http()
        .post(format!("{}/connect/authorize", fake.issuer()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let q = query(&location(&resp));
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-<&\"'>");
    assert_eq!(q["iss"], fake.issuer());
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn refresh_tokens_rotate_and_old_ones_are_refused() {
    let fake = start().await;
    let first = tokens_for(&fake, ADA.sub, SCOPE).await;
    let old = first["refresh_token"].as_str().unwrap();
    let (status, second) = json_of(
        token_post(
            &fake,
            &[("grant_type", "refresh_token"), ("refresh_token", old)],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let new = second["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_ne!(second["access_token"], first["access_token"]);
    let id_token = second["id_token"].as_str().unwrap();
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["sub"], ADA.sub);
    assert!(payload.get("nonce").is_none());
    // Reuse of the old one.
    let (status, body) = json_of(
        token_post(
            &fake,
            &[("grant_type", "refresh_token"), ("refresh_token", old)],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    // Revoked by the control.
    fake.control().revoke_refresh_tokens();
    let (status, body) = json_of(
        token_post(
            &fake,
            &[("grant_type", "refresh_token"), ("refresh_token", new)],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(fake.control().token_calls("refresh_token"), 3);
}

#[tokio::test]
async fn refresh_without_rotation_keeps_the_token() {
    let fake = FakeFilevine::start(FakeOptions {
        refresh_token_rotation: false,
        ..options()
    })
    .await
    .unwrap();
    let first = tokens_for(&fake, ADA.sub, SCOPE).await;
    let rt = first["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let (status, body) = json_of(
            token_post(
                &fake,
                &[("grant_type", "refresh_token"), ("refresh_token", rt)],
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["refresh_token"], rt);
    }
}
