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

mod authorize;
mod pages;
mod session;
mod token;

pub(crate) use authorize::*;
use pages::*;

/// A page with the login page's headers (for the back-channel sign-out page).
pub(crate) fn html_page(status: StatusCode, body: impl IntoResponse) -> Response {
    page(status, body)
}

/// The stand-in's message page.
pub(crate) fn html_message(status: StatusCode, title: &str, text: String) -> Response {
    message(status, title, text)
}
pub(crate) use session::*;
pub(crate) use token::*;

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
pub(super) const CODE_TTL: Duration = Duration::from_secs(600);
/// Lifetime of an ID token.
pub(super) const ID_TOKEN_TTL: u64 = 3600;

// ---------------------------------------------------------------- helpers

/// Decoded `application/x-www-form-urlencoded` pairs.
pub(super) fn pairs(raw: &[u8]) -> Vec<(String, String)> {
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

pub(super) fn no_store(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A 302 to `location`.
pub(super) fn redirect(location: &str) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    no_store(&mut resp);
    resp
}

/// Constant-time string equality (hashes first, so lengths leak nothing either).
pub(super) fn ct_eq(a: &str, b: &str) -> bool {
    let ha = Sha256::digest(a.as_bytes());
    let hb = Sha256::digest(b.as_bytes());
    ha.ct_eq(&hb).into()
}

/// `application/x-www-form-urlencoded` decoding of one component ('+' is a space), as
/// RFC 6749 2.3.1 asks for the client id and secret in HTTP Basic.
pub(super) fn form_decode(s: &str) -> Option<String> {
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

pub(super) fn unknown_scope(scope: &str) -> Option<&str> {
    scopes(scope).find(|s| !SUPPORTED_SCOPES.contains(s))
}

/// A base64url string of 43 to 128 characters (PKCE verifier) or exactly 43 (S256 challenge).
pub(super) fn pkce_chars_ok(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `GET /_fake/static/fake.css`.
pub(crate) async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../templates/fake/fake.css"),
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
    let mut document = json!({
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
            "auth_time", "nonce", "azp", "sid"
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
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "request_parameter_supported": false,
    });
    if lock(&shared.hostile).revocation_unadvertised {
        let fields = document.as_object_mut().expect("an object");
        fields.remove("revocation_endpoint");
        fields.remove("revocation_endpoint_auth_methods_supported");
    }
    Json(document).into_response()
}

/// `GET /.well-known/openid-configuration/jwks`.
pub(crate) async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared
        .jwks_fetches
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let jwks = lock(&shared.keys).jwks();
    Json(jwks).into_response()
}
