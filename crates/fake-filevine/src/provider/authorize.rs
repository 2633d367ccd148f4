//! `GET/POST /connect/authorize`: the authorization request's checks, the login page and the
//! redirect back with a code (or an error, where the spec says the client may be told).

#![allow(clippy::result_large_err)]

use super::*;

// ---------------------------------------------------------------- authorize

/// A checked authorization request.
pub(super) struct AuthRequest {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) scope: String,
    pub(super) state: Option<String>,
    pub(super) nonce: Option<String>,
    pub(super) code_challenge: String,
}

/// Why an authorization request failed: shown as a page (client or redirect URI not
/// trustworthy) or sent back to the client.
pub(super) enum AuthFailure {
    Page(String),
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// `redirect_uri` with `params` and `iss` added to its query.
pub(super) fn redirect_with(issuer: &str, redirect_uri: &str, params: &[(&str, &str)]) -> Response {
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

pub(super) fn failure_response(shared: &Shared, f: AuthFailure) -> Response {
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
pub(super) fn check_authorize(
    shared: &Shared,
    p: &[(String, String)],
) -> Result<AuthRequest, AuthFailure> {
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

pub(super) fn user_kind(u: &DemoUser) -> &'static str {
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
    let scope = lock(&shared.hostile).granted(&req.scope);
    lock(&shared.grants).codes.insert(
        code.clone(),
        CodeGrant {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: req.code_challenge.clone(),
            nonce: req.nonce.clone(),
            scope,
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
