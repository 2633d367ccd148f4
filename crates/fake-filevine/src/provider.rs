//! The OpenID provider half: discovery, JWKS, authorize (login page), token, userinfo,
//! end_session and revocation, at IdentityServer's paths.

// Early returns carry a ready `Response` as the error: it is big, but these paths are not hot
// and boxing would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::data::{self, DemoUser};
use super::hostile;
use super::options::FakeClient;
use super::state::{lock, random_token, CodeGrant, RefreshGrant, Shared};
use std::sync::atomic::Ordering;

/// Scopes the provider knows; anything else is `invalid_scope`.
pub const SUPPORTED_SCOPES: [&str; 9] = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "tenant",
    "fv.auth.tenant.read",
    "filevine.v2.api.*",
    "fv.api.gateway.access",
    "filevine.v2.webhooks",
];

/// Scope given to a PAT exchange that names none (the official spec's string).
pub const DEFAULT_PAT_SCOPE: &str =
    "fv.api.gateway.access tenant filevine.v2.api.* openid email fv.auth.tenant.read";

/// Lifetime of an authorization code.
const CODE_TTL: Duration = Duration::from_secs(600);
/// Lifetime of an ID token.
const ID_TOKEN_TTL: u64 = 3600;

// ---------------------------------------------------------------- helpers

/// Decoded `application/x-www-form-urlencoded` pairs.
fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

/// The single value of `name`; `Err` when it is repeated (RFC 6749 3.1, 3.2).
pub(crate) fn single<'a>(
    pairs: &'a [(String, String)],
    name: &str,
) -> Result<Option<&'a str>, String> {
    let mut found = None;
    for (k, v) in pairs {
        if k == name {
            if found.is_some() {
                return Err(format!("parameter {name} is repeated"));
            }
            found = Some(v.as_str());
        }
    }
    Ok(found.filter(|v| !v.is_empty()))
}

/// An OAuth error response (`{"error","error_description"}`), never cached.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut resp = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    no_store(&mut resp);
    resp
}

fn no_store(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A 302 to `location`.
fn redirect(location: &str) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    no_store(&mut resp);
    resp
}

/// Constant-time string equality (hashes first, so lengths leak nothing either).
fn ct_eq(a: &str, b: &str) -> bool {
    let ha = Sha256::digest(a.as_bytes());
    let hb = Sha256::digest(b.as_bytes());
    ha.ct_eq(&hb).into()
}

/// `application/x-www-form-urlencoded` decoding of one component ('+' is a space), as
/// RFC 6749 2.3.1 asks for the client id and secret in HTTP Basic.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

pub(crate) fn scopes(scope: &str) -> impl Iterator<Item = &str> {
    scope.split(' ').filter(|s| !s.is_empty())
}

pub(crate) fn has_scope(scope: &str, wanted: &str) -> bool {
    scopes(scope).any(|s| s == wanted)
}

fn unknown_scope(scope: &str) -> Option<&str> {
    scopes(scope).find(|s| !SUPPORTED_SCOPES.contains(s))
}

/// A base64url string of 43 to 128 characters (PKCE verifier) or exactly 43 (S256 challenge).
fn pkce_chars_ok(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

// ---------------------------------------------------------------- pages

#[derive(Template, WebTemplate)]
#[template(path = "fake/message.html")]
struct MessagePage {
    title: String,
    message: String,
}

struct HiddenField {
    name: &'static str,
    value: String,
}

struct UserChoice {
    sub: &'static str,
    name: String,
    email: &'static str,
    kind: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "fake/login.html")]
struct LoginPage {
    client_id: String,
    scope: String,
    hidden: Vec<HiddenField>,
    users: Vec<UserChoice>,
}

/// An HTML page with the headers a login page needs.
fn page(status: StatusCode, body: impl IntoResponse) -> Response {
    let mut resp = (status, body).into_response();
    no_store(&mut resp);
    let h = resp.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action *; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

fn message(status: StatusCode, title: &str, message: impl Into<String>) -> Response {
    page(
        status,
        MessagePage {
            title: title.to_owned(),
            message: message.into(),
        },
    )
}

/// `GET /_fake/static/fake.css`.
pub(crate) async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../templates/fake/fake.css"),
    )
        .into_response()
}

/// `GET /`: says what this is.
pub(crate) async fn home(State(shared): State<Arc<Shared>>) -> Response {
    message(
        StatusCode::OK,
        "Filevine DEMO stand-in",
        format!(
            "This server imitates Filevine Identity and the Filevine API gateway for tests and demos. \
             Discovery: {}/.well-known/openid-configuration",
            shared.issuer
        ),
    )
}

// ---------------------------------------------------------------- discovery

/// `GET /.well-known/openid-configuration`.
pub(crate) async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    let iss = &shared.issuer;
    let claimed = lock(&shared.hostile)
        .discovery_issuer
        .clone()
        .unwrap_or_else(|| iss.clone());
    Json(json!({
        "issuer": claimed,
        "authorization_endpoint": format!("{iss}/connect/authorize"),
        "token_endpoint": format!("{iss}/connect/token"),
        "userinfo_endpoint": format!("{iss}/connect/userinfo"),
        "end_session_endpoint": format!("{iss}/connect/endsession"),
        "revocation_endpoint": format!("{iss}/connect/revocation"),
        "jwks_uri": format!("{iss}/.well-known/openid-configuration/jwks"),
        "scopes_supported": SUPPORTED_SCOPES,
        "claims_supported": [
            "sub", "name", "given_name", "family_name", "preferred_username", "email", "email_verified",
            "auth_time", "nonce", "azp"
        ],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "personal_access_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": !lock(&shared.hostile).iss_unadvertised,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": false,
        "request_parameter_supported": false,
    }))
    .into_response()
}

/// `GET /.well-known/openid-configuration/jwks`.
pub(crate) async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared
        .jwks_fetches
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let jwks = lock(&shared.keys).jwks();
    Json(jwks).into_response()
}

// ---------------------------------------------------------------- authorize

/// A checked authorization request.
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
}

/// Why an authorization request failed: shown as a page (client or redirect URI not
/// trustworthy) or sent back to the client.
enum AuthFailure {
    Page(String),
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// `redirect_uri` with `params` and `iss` added to its query.
fn redirect_with(issuer: &str, redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    match url::Url::parse(redirect_uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
                q.append_pair("iss", issuer);
            }
            redirect(u.as_str())
        }
        Err(_) => message(
            StatusCode::BAD_REQUEST,
            "Invalid redirect URI",
            "The registered redirect URI is not a URL.",
        ),
    }
}

fn failure_response(shared: &Shared, f: AuthFailure) -> Response {
    match f {
        AuthFailure::Page(msg) => message(StatusCode::BAD_REQUEST, "Sign-in request refused", msg),
        AuthFailure::Redirect {
            redirect_uri,
            state,
            error,
            description,
        } => {
            let mut params = vec![
                ("error", error),
                ("error_description", description.as_str()),
            ];
            if let Some(s) = state.as_deref() {
                params.push(("state", s));
            }
            redirect_with(&shared.issuer, &redirect_uri, &params)
        }
    }
}

/// Check an authorization request the way IdentityServer does: client and redirect URI first
/// (failures never redirect), then everything else (failures go back to the client).
fn check_authorize(shared: &Shared, p: &[(String, String)]) -> Result<AuthRequest, AuthFailure> {
    let get = |name: &str| single(p, name).map_err(AuthFailure::Page);
    let client_id =
        get("client_id")?.ok_or_else(|| AuthFailure::Page("client_id is missing.".into()))?;
    let client = shared
        .client(client_id)
        .ok_or_else(|| AuthFailure::Page(format!("Unknown client: {client_id}")))?;
    let redirect_uri =
        get("redirect_uri")?.ok_or_else(|| AuthFailure::Page("redirect_uri is missing.".into()))?;
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(AuthFailure::Page(format!(
            "redirect_uri {redirect_uri} is not registered for client {client_id}."
        )));
    }
    let state = get("state")?.map(str::to_owned);
    let fail = |error: &'static str, description: String| AuthFailure::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error,
        description,
    };
    let redirect_get = |name: &str| single(p, name).map_err(|e| fail("invalid_request", e));
    match redirect_get("response_type")? {
        Some("code") => {}
        Some(other) => {
            return Err(fail(
                "unsupported_response_type",
                format!("response_type {other} is not supported; use code"),
            ))
        }
        None => return Err(fail("invalid_request", "response_type is missing".into())),
    }
    if let Some(mode) = redirect_get("response_mode")? {
        if mode != "query" {
            return Err(fail(
                "invalid_request",
                format!("response_mode {mode} is not supported; use query"),
            ));
        }
    }
    let scope = redirect_get("scope")?.unwrap_or("");
    if !has_scope(scope, "openid") {
        return Err(fail("invalid_scope", "scope must contain openid".into()));
    }
    if let Some(bad) = unknown_scope(scope) {
        return Err(fail(
            "invalid_scope",
            format!("scope {bad} is not allowed for this client"),
        ));
    }
    let challenge = redirect_get("code_challenge")?.ok_or_else(|| {
        fail(
            "invalid_request",
            "code_challenge is required (PKCE)".into(),
        )
    })?;
    match redirect_get("code_challenge_method")? {
        Some("S256") => {}
        Some(other) => {
            return Err(fail(
                "invalid_request",
                format!("code_challenge_method {other} is not allowed; use S256"),
            ))
        }
        None => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method is required and must be S256".into(),
            ))
        }
    }
    if challenge.len() != 43 || !pkce_chars_ok(challenge) {
        return Err(fail(
            "invalid_request",
            "code_challenge must be a base64url SHA-256 (43 characters)".into(),
        ));
    }
    let nonce = redirect_get("nonce")?.map(str::to_owned);
    Ok(AuthRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scope: scope.to_owned(),
        state,
        nonce,
        code_challenge: challenge.to_owned(),
    })
}

fn user_kind(u: &DemoUser) -> &'static str {
    match u.user_type {
        4 => "service account",
        _ => "firm user",
    }
}

/// `GET /connect/authorize`: the login page (or an error).
pub(crate) async fn authorize_page(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = pairs(query.unwrap_or_default().as_bytes());
    let req = match check_authorize(&shared, &p) {
        Ok(r) => r,
        Err(f) => return failure_response(&shared, f),
    };
    let mut hidden = vec![
        HiddenField {
            name: "client_id",
            value: req.client_id.clone(),
        },
        HiddenField {
            name: "redirect_uri",
            value: req.redirect_uri.clone(),
        },
        HiddenField {
            name: "response_type",
            value: "code".into(),
        },
        HiddenField {
            name: "scope",
            value: req.scope.clone(),
        },
        HiddenField {
            name: "code_challenge",
            value: req.code_challenge.clone(),
        },
        HiddenField {
            name: "code_challenge_method",
            value: "S256".into(),
        },
    ];
    if let Some(s) = &req.state {
        hidden.push(HiddenField {
            name: "state",
            value: s.clone(),
        });
    }
    if let Some(n) = &req.nonce {
        hidden.push(HiddenField {
            name: "nonce",
            value: n.clone(),
        });
    }
    let users = data::DEMO_USERS
        .iter()
        .map(|u| UserChoice {
            sub: u.sub,
            name: u.name(),
            email: u.email,
            kind: user_kind(u),
        })
        .collect();
    page(
        StatusCode::OK,
        LoginPage {
            client_id: req.client_id,
            scope: req.scope,
            hidden,
            users,
        },
    )
}

/// `POST /connect/authorize`: the user picked (or cancelled); issue a code.
pub(crate) async fn authorize_submit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let p = pairs(&body);
    let req = match check_authorize(&shared, &p) {
        Ok(r) => r,
        Err(f) => return failure_response(&shared, f),
    };
    let mut params: Vec<(&str, &str)> = Vec::new();
    if single(&p, "action").ok().flatten() == Some("cancel") {
        params.push(("error", "access_denied"));
        params.push(("error_description", "The user cancelled the sign-in"));
        if let Some(s) = req.state.as_deref() {
            params.push(("state", s));
        }
        return redirect_with(&shared.issuer, &req.redirect_uri, &params);
    }
    let Some(user) = single(&p, "user")
        .ok()
        .flatten()
        .and_then(data::user_by_sub)
    else {
        return message(
            StatusCode::BAD_REQUEST,
            "Sign-in request refused",
            "Pick one of the demo users.",
        );
    };
    let code = random_token("fvac_");
    lock(&shared.grants).codes.insert(
        code.clone(),
        CodeGrant {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: req.code_challenge.clone(),
            nonce: req.nonce.clone(),
            scope: req.scope.clone(),
            user,
            auth_time: shared.unix_now(),
            expires_at: shared.now() + CODE_TTL,
        },
    );
    shared.remember_secret(&code);
    params.push(("code", &code));
    if let Some(s) = req.state.as_deref() {
        params.push(("state", s));
    }
    redirect_with(&shared.issuer, &req.redirect_uri, &params)
}

// ---------------------------------------------------------------- client authentication

/// Authenticate the client by `client_secret_basic` or `client_secret_post` (one, not both).
fn authenticate_client<'a>(
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
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    exp: u64,
    iat: u64,
    auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    email: &'a str,
    email_verified: bool,
    name: String,
    given_name: &'a str,
    family_name: &'a str,
    preferred_username: &'a str,
}

pub(crate) fn id_token(
    shared: &Shared,
    client_id: &str,
    user: &DemoUser,
    auth_time: u64,
    nonce: Option<&str>,
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
        email: user.email,
        email_verified: !lock(&shared.hostile).emails_unverified,
        name: user.name(),
        given_name: user.first_name,
        family_name: user.last_name,
        preferred_username: user.username,
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
        "refresh_token" => super::refresh_grant::refresh_grant(&shared, client, &p).await,
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

fn code_grant(
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
    let id = id_token(
        shared,
        &client.client_id,
        grant.user,
        grant.auth_time,
        grant.nonce.as_deref(),
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
        lock(&shared.grants).refresh.insert(
            refresh.clone(),
            RefreshGrant {
                client_id: client.client_id.clone(),
                user: grant.user,
                scope: grant.scope.clone(),
                auth_time: grant.auth_time,
                family: rand::random(),
            },
        );
        shared.remember_secret(&refresh);
        body["refresh_token"] = Value::String(refresh);
    }
    Ok(token_ok(body))
}

fn pat_grant(
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
    let user = shared
        .pats
        .iter()
        .find(|(pat, _)| ct_eq(&pat.token, token))
        .map(|(_, u)| *u)
        .ok_or_else(|| invalid_grant("the personal access token is unknown, revoked or expired"))?;
    let (access, expires_in) = shared.issue_access_token(&client.client_id, user, &scope);
    Ok(token_ok(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    })))
}

// ---------------------------------------------------------------- userinfo

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `GET|POST /connect/userinfo`.
pub(crate) async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let challenge = |status: StatusCode, error: &str, d: &str| {
        let mut r = oauth_error(status, error, d);
        if let Ok(v) = HeaderValue::from_str(&format!(
            "Bearer error=\"{error}\", error_description=\"{d}\""
        )) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    };
    if lock(&shared.hostile).userinfo_down {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let Some(token) = bearer(&headers) else {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    };
    let Some((user, scope)) = shared.live_access(token) else {
        return challenge(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token is expired, revoked or unknown",
        );
    };
    if !has_scope(&scope, "openid") {
        return challenge(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the access token lacks the openid scope",
        );
    }
    shared
        .userinfo_calls
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let sub = lock(&shared.hostile)
        .userinfo_sub
        .clone()
        .unwrap_or_else(|| user.sub.to_owned());
    token_ok(json!({
        "sub": sub,
        "name": user.name(),
        "given_name": user.first_name,
        "family_name": user.last_name,
        "preferred_username": user.username,
        "email": user.email,
    }))
}

// ---------------------------------------------------------------- end_session

/// `GET /connect/endsession` (RP-initiated logout).
pub(crate) async fn end_session(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = pairs(query.unwrap_or_default().as_bytes());
    lock(&shared.end_sessions).push(p.clone());
    let refuse = |msg: String| message(StatusCode::BAD_REQUEST, "Sign-out request refused", msg);
    let get = |name: &str| single(&p, name);
    let (hint, post_logout, state, client_param) = match (
        get("id_token_hint"),
        get("post_logout_redirect_uri"),
        get("state"),
        get("client_id"),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        _ => return refuse("A parameter is repeated.".into()),
    };
    let mut client_id = client_param.map(str::to_owned);
    if let Some(hint) = hint {
        shared.remember_secret(hint);
        let kid = jsonwebtoken::decode_header(hint).ok().and_then(|h| h.kid);
        let key = lock(&shared.keys).find(kid.as_deref());
        let mut validation = jsonwebtoken::Validation::new(key.alg);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.set_issuer(&[&shared.issuer]);
        validation.required_spec_claims.clear();
        let claims = match jsonwebtoken::decode::<Value>(hint, &key.decoding, &validation) {
            Ok(d) => d.claims,
            Err(e) => {
                return refuse(format!(
                    "id_token_hint is not an ID token from this provider ({e})."
                ))
            }
        };
        let aud = match &claims["aud"] {
            Value::String(s) => Some(s.clone()),
            Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
            _ => None,
        };
        match (&client_id, aud) {
            (Some(c), Some(a)) if *c != a => {
                return refuse("client_id does not match the id_token_hint audience.".into())
            }
            (_, Some(a)) => client_id = Some(a),
            _ => {}
        }
    }
    let Some(uri) = post_logout else {
        return message(
            StatusCode::OK,
            "Signed out",
            "You are signed out of the Filevine demo.",
        );
    };
    let Some(client) = client_id.as_deref().and_then(|c| shared.client(c)) else {
        return refuse(
            "post_logout_redirect_uri needs an id_token_hint (or client_id) naming a registered client."
                .into(),
        );
    };
    if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
        return refuse(format!(
            "post_logout_redirect_uri {uri} is not registered for client {}.",
            client.client_id
        ));
    }
    match url::Url::parse(uri) {
        Ok(mut u) => {
            if let Some(s) = state {
                u.query_pairs_mut().append_pair("state", s);
            }
            redirect(u.as_str())
        }
        Err(_) => refuse("the registered post_logout_redirect_uri is not a URL.".into()),
    }
}

// ---------------------------------------------------------------- revocation

/// `POST /connect/revocation` (RFC 7009): always 200 once the client is authenticated.
pub(crate) async fn revocation(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = pairs(&body);
    let client = match authenticate_client(&shared, &headers, &p) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let token = match param(&p, "token") {
        Ok(t) => t,
        Err(r) => return r,
    };
    shared.remember_secret(token);
    shared.lab.revocations.fetch_add(1, Ordering::SeqCst);
    if shared.lab.revocation_down.load(Ordering::SeqCst) {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the revocation endpoint is down (simulated outage)",
        );
    }
    let mut grants = lock(&shared.grants);
    if grants
        .access
        .get(token)
        .is_some_and(|g| g.client_id == client.client_id)
    {
        grants.access.remove(token);
    }
    if grants
        .refresh
        .get(token)
        .is_some_and(|g| g.client_id == client.client_id)
    {
        grants.refresh.remove(token);
    }
    StatusCode::OK.into_response()
}
