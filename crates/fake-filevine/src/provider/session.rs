//! Userinfo, end-session (RP-initiated logout) and revocation: what the provider does with a
//! token once issued.

#![allow(clippy::result_large_err)]

use super::*;

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
    let delay = lock(&shared.hostile).userinfo_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
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
    let mut body = serde_json::to_value(super::token::UserClaims::of(&shared, user))
        .unwrap_or_else(|_| json!({}));
    body["sub"] = json!(sub);
    token_ok(body)
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
        shared.keep_refresh(&grants);
    }
    StatusCode::OK.into_response()
}
