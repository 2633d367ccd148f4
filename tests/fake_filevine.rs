//! Black-box tests of the Filevine stand-in: real HTTP against a server on port 0, a reqwest
//! client with redirects off, assertions on status codes, Location headers and JSON.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use fake_filevine::{
    FakeClient, FakeError, FakeFilevine, FakeOptions, FakePat, ProjectFilter, ADA, BEN,
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PAT, REPORTING_BOT,
};
use reqwest::{header, redirect::Policy, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

const REDIRECT: &str = "http://127.0.0.1:7059/auth/callback";
const POST_LOGOUT: &str = "http://127.0.0.1:7059/auth/logout/callback";
const SCOPE: &str = "openid profile email offline_access tenant fv.auth.tenant.read filevine.v2.api.* fv.api.gateway.access";
const UA: &str = "fv-partner-app-tests/1.0";
/// A secret with characters that need form-encoding in HTTP Basic (RFC 6749 2.3.1).
const ODD_ID: &str = "odd client";
const ODD_SECRET: &str = "s3cr:t+with%special&chars=";

fn options() -> FakeOptions {
    FakeOptions {
        clients: vec![
            FakeClient::demo(),
            FakeClient {
                client_id: ODD_ID.into(),
                client_secret: ODD_SECRET.into(),
                redirect_uris: vec![REDIRECT.into()],
                post_logout_redirect_uris: vec![],
            },
        ],
        ..FakeOptions::default()
    }
}

async fn start() -> FakeFilevine {
    FakeFilevine::start(options())
        .await
        .expect("stand-in starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .user_agent(UA)
        .build()
        .unwrap()
}

fn pkce() -> (String, String) {
    let verifier = format!(
        "verifier-{}-0123456789abcdefghijklmnop",
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn location(resp: &reqwest::Response) -> url::Url {
    let loc = resp
        .headers()
        .get(header::LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap();
    url::Url::parse(loc).unwrap()
}

fn query(u: &url::Url) -> HashMap<String, String> {
    u.query_pairs().into_owned().collect()
}

fn auth_params(challenge: &str, scope: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", DEMO_CLIENT_ID.to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("response_type", "code".to_owned()),
        ("scope", scope.to_owned()),
        ("state", "st-<&\"'>".to_owned()),
        ("nonce", "n-0S6_WzA2Mj".to_owned()),
        ("code_challenge", challenge.to_owned()),
        ("code_challenge_method", "S256".to_owned()),
    ]
}

/// Log `sub` in through the page and its form; returns the code and the redirect's query.
async fn login(
    fake: &FakeFilevine,
    sub: &str,
    challenge: &str,
    scope: &str,
) -> HashMap<String, String> {
    let c = http();
    let authorize = format!("{}/connect/authorize", fake.issuer());
    let params = auth_params(challenge, scope);
    let page = c.get(&authorize).query(&params).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Filevine DEMO stand-in — not Filevine. Loopback only."));
    assert!(
        html.contains(&format!("value=\"{sub}\"")),
        "a button for {sub}"
    );
    assert!(!html.contains("<script"), "no script on the login page");
    let mut form = params.clone();
    form.push(("user", sub.to_owned()));
    let resp = c.post(&authorize).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let loc = location(&resp);
    assert!(loc.as_str().starts_with(REDIRECT));
    query(&loc)
}

async fn token_basic(
    fake: &FakeFilevine,
    id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic = STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
    http()
        .post(format!("{}/connect/token", fake.issuer()))
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn token_post(fake: &FakeFilevine, form: &[(&str, &str)]) -> reqwest::Response {
    let mut form = form.to_vec();
    form.push(("client_id", DEMO_CLIENT_ID));
    form.push(("client_secret", DEMO_CLIENT_SECRET));
    http()
        .post(format!("{}/connect/token", fake.issuer()))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn json_of(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

/// A full login: returns the token response.
async fn tokens_for(fake: &FakeFilevine, sub: &str, scope: &str) -> Value {
    let (verifier, challenge) = pkce();
    let q = login(fake, sub, &challenge, scope).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", q["code"].as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, body) =
        json_of(token_basic(fake, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, &form).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn pat_token(fake: &FakeFilevine) -> String {
    let (status, body) = json_of(
        token_post(
            fake,
            &[("grant_type", "personal_access_token"), ("token", DEMO_PAT)],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

fn gw(fake: &FakeFilevine, path: &str) -> String {
    fake.gateway_url().join(path).unwrap().to_string()
}

async fn gw_get(
    fake: &FakeFilevine,
    token: &str,
    path: &str,
    org: i64,
    user: i64,
) -> reqwest::Response {
    http()
        .get(gw(fake, path))
        .bearer_auth(token)
        .header("x-fv-orgid", org.to_string())
        .header("x-fv-userid", user.to_string())
        .send()
        .await
        .unwrap()
}

// ------------------------------------------------------------------ provider

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

async fn check_id_token_with_jwks(alg: jsonwebtoken::Algorithm) {
    let fake = FakeFilevine::start(FakeOptions {
        id_token_alg: alg,
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
    assert_eq!(claims["email"], ADA.email);
    assert_eq!(claims["name"], "Ada Lovelace");
    assert_eq!(claims["given_name"], "Ada");
    assert_eq!(claims["family_name"], "Lovelace");
    assert!(claims["auth_time"].as_u64().is_some());
    // A tampered token fails.
    let mut bad = id_token.to_owned();
    bad.push('A');
    assert!(jsonwebtoken::decode::<Value>(&bad, &key, &v).is_err());
}

#[tokio::test]
async fn jwks_validates_the_id_token_rs256() {
    check_id_token_with_jwks(jsonwebtoken::Algorithm::RS256).await;
}

#[tokio::test]
async fn jwks_validates_the_id_token_rs512() {
    check_id_token_with_jwks(jsonwebtoken::Algorithm::RS512).await;
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

// ------------------------------------------------------------------ gateway

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
    assert!(me["orgUserId"].as_i64().is_some());
    let recorded = fake.control().gateway_requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1].method, "GET");
    assert_eq!(recorded[1].path, "/fv-app/v2/Users/Me");
    assert_eq!(recorded[1].org_id.as_deref(), Some("5002"));
    assert_eq!(recorded[1].user_id.as_deref(), Some("1002"));
    assert_eq!(recorded[0].org_id, None);
}

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
