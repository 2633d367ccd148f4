//! `POST /connect/token`: client authentication, the ID token, and the authorization-code
//! and personal-access-token grants (refresh is in `refresh_grant`).

#![allow(clippy::result_large_err)]

use super::*;

// ---------------------------------------------------------------- client authentication

/// Authenticate the client by `client_secret_basic` or `client_secret_post` (one, not both).
pub(super) fn authenticate_client<'a>(
    shared: &'a Shared,
    headers: &HeaderMap,
    p: &[(String, String)],
) -> Result<&'a FakeClient, Response> {
    let invalid_request = |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", d);
    let post_id = single(p, "client_id").map_err(|e| invalid_request(&e))?;
    let post_secret = single(p, "client_secret").map_err(|e| invalid_request(&e))?;
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then(|| rest.trim().to_owned())
        });
    let unauthorized = |d: &str| {
        let mut r = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", d);
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"fake-filevine\""),
        );
        r
    };
    let (id, secret) = match basic {
        Some(b) => {
            if post_secret.is_some() {
                return Err(invalid_request(
                    "use one client authentication method, not both Basic and client_secret",
                ));
            }
            let decoded = STANDARD
                .decode(b.as_bytes())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or_else(|| unauthorized("malformed Basic credentials"))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| unauthorized("malformed Basic credentials"))?;
            let id = form_decode(id).ok_or_else(|| unauthorized("malformed Basic credentials"))?;
            let secret =
                form_decode(secret).ok_or_else(|| unauthorized("malformed Basic credentials"))?;
            if let Some(pid) = post_id {
                if pid != id {
                    return Err(invalid_request(
                        "client_id differs from the Basic credentials",
                    ));
                }
            }
            (id, secret)
        }
        None => match (post_id, post_secret) {
            (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
            _ => return Err(unauthorized("client authentication is required")),
        },
    };
    shared.remember_secret(&secret);
    match shared.client(&id) {
        Some(c) if ct_eq(&c.client_secret, &secret) => Ok(c),
        _ => Err(unauthorized("unknown client or wrong secret")),
    }
}

// ---------------------------------------------------------------- token

#[derive(Serialize)]
pub(super) struct IdClaims<'a> {
    pub(super) iss: &'a str,
    pub(super) sub: &'a str,
    pub(super) aud: &'a str,
    pub(super) azp: &'a str,
    pub(super) exp: u64,
    pub(super) iat: u64,
    pub(super) auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) nonce: Option<&'a str>,
    /// The stand-in session (back-channel logout names it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) sid: Option<&'a str>,
    /// The user claims, present only when the stand-in is told to put them in ID tokens
    /// (IdentityServer serves them at userinfo by default).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub(super) user: Option<UserClaims>,
}

/// `name`, `email`, `email_verified` and the rest: what userinfo answers, and ID tokens too
/// when configured.
#[derive(Serialize)]
pub(crate) struct UserClaims {
    pub(crate) email: String,
    pub(crate) email_verified: bool,
    pub(crate) name: String,
    pub(crate) given_name: &'static str,
    pub(crate) family_name: &'static str,
    pub(crate) preferred_username: &'static str,
}

impl UserClaims {
    /// What the provider asserts about `user` now (a hostile test may make it assert another
    /// email, or say the email is unverified).
    pub(crate) fn of(shared: &Shared, user: &DemoUser) -> Self {
        let hostile = lock(&shared.hostile);
        UserClaims {
            email: hostile
                .asserted_email
                .clone()
                .unwrap_or_else(|| user.email.to_owned()),
            email_verified: !hostile.emails_unverified,
            name: user.name(),
            given_name: user.first_name,
            family_name: user.last_name,
            preferred_username: user.username,
        }
    }
}

pub(crate) fn id_token(
    shared: &Shared,
    client_id: &str,
    user: &DemoUser,
    auth_time: u64,
    nonce: Option<&str>,
    sid: Option<&str>,
) -> Result<String, Response> {
    let now = shared.unix_now();
    let claims = IdClaims {
        iss: &shared.issuer,
        sub: user.sub,
        aud: client_id,
        azp: client_id,
        exp: now + ID_TOKEN_TTL,
        iat: now,
        auth_time,
        nonce,
        sid,
        user: shared
            .wire
            .claims_in_id_token()
            .then(|| UserClaims::of(shared, user)),
    };
    let server_error = |e: &dyn std::fmt::Display| {
        oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &e.to_string(),
        )
    };
    let mut claims = serde_json::to_value(&claims).map_err(|e| server_error(&e))?;
    let tamper = lock(&shared.hostile).take_tamper();
    if let Some(t) = tamper {
        hostile::tamper_claims(&mut claims, t, client_id, now);
    }
    let key = lock(&shared.keys).signing.clone();
    let secret = shared
        .client(client_id)
        .map(|c| c.client_secret.clone())
        .unwrap_or_default();
    let token = hostile::sign(&key, &claims, tamper, &secret).map_err(|e| server_error(&e))?;
    shared.remember_secret(&token);
    Ok(token)
}

pub(crate) fn token_ok(body: Value) -> Response {
    let mut resp = Json(body).into_response();
    no_store(&mut resp);
    resp
}

/// `POST /connect/token`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form_ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
        .unwrap_or(false);
    let p = pairs(&body);
    let grant_type = single(&p, "grant_type")
        .ok()
        .flatten()
        .unwrap_or("")
        .to_owned();
    shared.count_token_call(&grant_type);
    if shared.token_down.load(std::sync::atomic::Ordering::SeqCst) {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the token endpoint is down (simulated outage)",
        );
    }
    if !form_ct {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    if let Err(e) = single(&p, "grant_type") {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e);
    }
    let client = match authenticate_client(&shared, &headers, &p) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let result = match grant_type.as_str() {
        "authorization_code" => code_grant(&shared, client, &p),
        "refresh_token" => crate::refresh_grant::refresh_grant(&shared, client, &p).await,
        "personal_access_token" => pat_grant(&shared, client, &p),
        "" => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is missing",
        )),
        other => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {other} is not supported"),
        )),
    };
    result.unwrap_or_else(|r| r)
}

pub(crate) fn invalid_grant(d: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", d)
}

pub(crate) fn param<'a>(p: &'a [(String, String)], name: &str) -> Result<&'a str, Response> {
    match single(p, name) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("{name} is missing"),
        )),
        Err(e) => Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e)),
    }
}

pub(super) fn code_grant(
    shared: &Shared,
    client: &FakeClient,
    p: &[(String, String)],
) -> Result<Response, Response> {
    let code = param(p, "code")?;
    let redirect_uri = param(p, "redirect_uri")?;
    let verifier = param(p, "code_verifier")?;
    shared.remember_secret(code);
    // Single use: the code is gone after the first attempt, whatever its outcome.
    let grant = lock(&shared.grants)
        .codes
        .remove(code)
        .ok_or_else(|| invalid_grant("unknown, used or expired authorization code"))?;
    if grant.expires_at <= shared.now() {
        return Err(invalid_grant("the authorization code expired"));
    }
    if grant.client_id != client.client_id {
        return Err(invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    if verifier.len() < 43 || verifier.len() > 128 || !pkce_chars_ok(verifier) {
        return Err(invalid_grant("code_verifier is malformed"));
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if !ct_eq(&computed, &grant.code_challenge) {
        return Err(invalid_grant(
            "code_verifier does not match the code_challenge (PKCE)",
        ));
    }
    let (access, expires_in) =
        shared.issue_access_token(&client.client_id, grant.user, &grant.scope);
    let sid = lock(&shared.backchannel).new_sid(grant.user.sub, &client.client_id);
    let id = id_token(
        shared,
        &client.client_id,
        grant.user,
        grant.auth_time,
        grant.nonce.as_deref(),
        Some(&sid),
    )?;
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": grant.scope,
        "id_token": id,
    });
    if has_scope(&grant.scope, "offline_access") {
        let refresh = random_token("fvrt_");
        let mut grants = lock(&shared.grants);
        grants.refresh.insert(
            refresh.clone(),
            RefreshGrant {
                client_id: client.client_id.clone(),
                user: grant.user,
                scope: grant.scope.clone(),
                auth_time: grant.auth_time,
                family: rand::random(),
            },
        );
        shared.keep_refresh(&grants);
        drop(grants);
        shared.remember_secret(&refresh);
        body["refresh_token"] = Value::String(refresh);
    }
    Ok(token_ok(body))
}

pub(super) fn pat_grant(
    shared: &Shared,
    client: &FakeClient,
    p: &[(String, String)],
) -> Result<Response, Response> {
    let token = param(p, "token")?;
    shared.remember_secret(token);
    let scope = single(p, "scope")
        .ok()
        .flatten()
        .unwrap_or(DEFAULT_PAT_SCOPE)
        .to_owned();
    if let Some(bad) = unknown_scope(&scope) {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("scope {bad} is not allowed"),
        ));
    }
    let revoked = lock(&shared.grants).revoked_pats.contains(token);
    let user = shared
        .pats
        .iter()
        .filter(|_| !revoked)
        .find(|(pat, _)| ct_eq(&pat.token, token))
        .map(|(_, u)| *u)
        .ok_or_else(|| invalid_grant("the personal access token is unknown, revoked or expired"))?;
    let scope = lock(&shared.hostile).granted(&scope);
    let (access, expires_in) = shared.issue_access_token(&client.client_id, user, &scope);
    Ok(token_ok(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    })))
}
