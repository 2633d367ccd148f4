//! The provider's happy paths: discovery, keys, the code flow with both client authentications,
//! PKCE and single-use codes.

use super::*;

#[tokio::test]
async fn discovery_names_every_endpoint_and_capability() {
    let fake = start().await;
    let (status, d) = json_of(
        http()
            .get(format!(
                "{}/.well-known/openid-configuration",
                fake.issuer()
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let iss = fake.issuer();
    assert!(iss.starts_with("http://127.0.0.1:") && !iss.ends_with('/'));
    assert_eq!(fake.gateway_url().as_str(), format!("{iss}/"));
    assert_eq!(d["issuer"], iss.as_str());
    assert_eq!(
        d["authorization_endpoint"],
        format!("{iss}/connect/authorize")
    );
    assert_eq!(d["token_endpoint"], format!("{iss}/connect/token"));
    assert_eq!(d["userinfo_endpoint"], format!("{iss}/connect/userinfo"));
    assert_eq!(
        d["end_session_endpoint"],
        format!("{iss}/connect/endsession")
    );
    assert_eq!(
        d["revocation_endpoint"],
        format!("{iss}/connect/revocation")
    );
    assert_eq!(
        d["jwks_uri"],
        format!("{iss}/.well-known/openid-configuration/jwks")
    );
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    for grant in [
        "authorization_code",
        "refresh_token",
        "personal_access_token",
    ] {
        assert!(d["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == grant));
    }
    for scope in SCOPE.split(' ').chain(["filevine.v2.webhooks"]) {
        assert!(
            d["scopes_supported"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == scope),
            "{scope}"
        );
    }
    for m in ["client_secret_basic", "client_secret_post"] {
        assert!(d["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == m));
    }
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "RS384", "RS512"])
    );
}

async fn check_id_token_with_jwks(alg: jsonwebtoken::Algorithm, user_claims_in_id_token: bool) {
    let fake = FakeFilevine::start(FakeOptions {
        id_token_alg: alg,
        user_claims_in_id_token,
        ..options()
    })
    .await
    .unwrap();
    let tokens = tokens_for(&fake, ADA.sub, SCOPE).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = http()
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
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, alg);
    let kid = header.kid.expect("kid in the header");
    let jwk = jwks.find(&kid).expect("the kid is in the JWKS");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut v = jsonwebtoken::Validation::new(alg);
    v.set_audience(&[DEMO_CLIENT_ID]);
    v.set_issuer(&[fake.issuer()]);
    v.set_required_spec_claims(&["exp", "iat", "sub", "aud", "iss"]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], ADA.sub);
    assert_eq!(claims["azp"], DEMO_CLIENT_ID);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    if user_claims_in_id_token {
        assert_eq!(claims["email"], ADA.email);
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["name"], "Ada Lovelace");
        assert_eq!(claims["given_name"], "Ada");
        assert_eq!(claims["family_name"], "Lovelace");
    } else {
        // IdentityServer's default for the code flow: user claims only at userinfo.
        for claim in [
            "email",
            "email_verified",
            "name",
            "given_name",
            "preferred_username",
        ] {
            assert!(claims.get(claim).is_none(), "{claim} in {claims}");
        }
    }
    assert!(claims["auth_time"].as_u64().is_some());
    // A tampered token fails.
    let mut bad = id_token.to_owned();
    bad.push('A');
    assert!(jsonwebtoken::decode::<Value>(&bad, &key, &v).is_err());
}

#[tokio::test]
async fn jwks_validates_the_id_token_rs256() {
    check_id_token_with_jwks(jsonwebtoken::Algorithm::RS256, false).await;
}

#[tokio::test]
async fn user_claims_go_in_the_id_token_only_when_asked() {
    check_id_token_with_jwks(jsonwebtoken::Algorithm::RS384, true).await;
}

#[tokio::test]
async fn jwks_validates_the_id_token_rs512() {
    check_id_token_with_jwks(jsonwebtoken::Algorithm::RS512, false).await;
}

#[tokio::test]
async fn code_flow_with_basic_auth_gives_tokens_and_userinfo() {
    let fake = start().await;
    let (verifier, challenge) = pkce();
    let q = login(&fake, BEN.sub, &challenge, SCOPE).await;
    assert_eq!(q["state"], "st-<&\"'>");
    assert_eq!(q["iss"], fake.issuer());
    let code = q["code"].clone();
    let (status, body) = json_of(
        token_basic(
            &fake,
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1200);
    assert_eq!(body["scope"], SCOPE);
    let access = body["access_token"].as_str().unwrap();
    assert!(access.starts_with("fvat_"));
    assert!(body["refresh_token"].as_str().unwrap().starts_with("fvrt_"));
    assert!(body["id_token"].as_str().is_some());
    assert_eq!(fake.control().token_calls("authorization_code"), 1);
    let secrets = fake.control().issued_secrets();
    for s in [code.as_str(), access, DEMO_CLIENT_SECRET, DEMO_PAT] {
        assert!(secrets.iter().any(|x| x == s), "{s} is remembered");
    }

    let ui = http()
        .get(format!("{}/connect/userinfo", fake.issuer()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    let (status, ui) = json_of(ui).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ui["sub"], BEN.sub);
    assert_eq!(ui["email"], BEN.email);
    assert_eq!(ui["email_verified"], true);
    assert_eq!(ui["name"], "Ben Okafor");
    let bad = http()
        .get(format!("{}/connect/userinfo", fake.issuer()))
        .bearer_auth("fvat_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert!(bad.headers().get(header::WWW_AUTHENTICATE).is_some());
}

#[tokio::test]
async fn code_flow_with_post_auth_and_no_offline_access_has_no_refresh_token() {
    let fake = start().await;
    let (verifier, challenge) = pkce();
    let q = login(
        &fake,
        ADA.sub,
        &challenge,
        "openid email fv.api.gateway.access",
    )
    .await;
    let (status, body) = json_of(
        token_post(
            &fake,
            &[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none());
}

#[tokio::test]
async fn basic_auth_credentials_are_form_decoded_and_wrong_secrets_refused() {
    let fake = start().await;
    let (verifier, challenge) = pkce();
    let mut params = auth_params(&challenge, SCOPE);
    params[0].1 = ODD_ID.to_owned();
    params.push(("user", ADA.sub.to_owned()));
    let resp = http()
        .post(format!("{}/connect/authorize", fake.issuer()))
        .form(&params)
        .send()
        .await
        .unwrap();
    let code = query(&location(&resp))["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, body) = json_of(token_basic(&fake, ODD_ID, "wrong", &form).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    let (status, body) = json_of(token_basic(&fake, ODD_ID, ODD_SECRET, &form).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // No client authentication at all.
    let resp = http()
        .post(format!("{}/connect/token", fake.issuer()))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pkce_mismatch_is_invalid_grant() {
    let fake = start().await;
    let (_, challenge) = pkce();
    let (other_verifier, _) = pkce();
    let q = login(&fake, ADA.sub, &challenge, SCOPE).await;
    let (status, body) = json_of(
        token_post(
            &fake,
            &[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &other_verifier),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_code_works_once() {
    let fake = start().await;
    let (verifier, challenge) = pkce();
    let q = login(&fake, ADA.sub, &challenge, SCOPE).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", q["code"].as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    assert_eq!(token_post(&fake, &form).await.status(), StatusCode::OK);
    let (status, body) = json_of(token_post(&fake, &form).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(fake.control().token_calls("authorization_code"), 2);
}
