//! The pending-login cookie: a login in flight (PKCE verifier, `state`, `nonce`, return path)
//! travels sealed in a short-lived cookie of its own instead of a stored session, so an
//! anonymous `GET /auth/login` costs no database row (a flood of them used to write one each).
//!
//! The middleware opens the cookie into a [`PendingJar`] for the handlers (through
//! [`crate::auth::session::push_pending`] and [`crate::auth::session::take_pending`]), and
//! writes it back when they changed it: sealed with AES-GCM under the app's key, `HttpOnly`,
//! `SameSite=Lax` (it must come back on the provider's redirect), `Secure` and `__Host-` under
//! https, and gone after [`PENDING_LOGIN_TTL`].

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

use crate::{
    auth::{oidc::PENDING_LOGIN_TTL, session::PendingJar},
    crypto::Cipher,
};

/// Name of the cookie; `__Host-` under https, like the session cookie.
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-fv_login"
    } else {
        "fv_login"
    }
}

/// What the middleware needs.
#[derive(Clone)]
pub struct PendingCookie {
    pub cipher: Cipher,
    pub https: bool,
}

/// Opens the cookie for the handlers and writes it back when they changed it.
pub async fn layer(State(cfg): State<PendingCookie>, mut req: Request, next: Next) -> Response {
    let name = cookie_name(cfg.https);
    let sealed = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned());
    let jar = PendingJar::open(sealed.as_deref(), &cfg.cipher);
    req.extensions_mut().insert(jar.clone());
    let mut response = next.run(req).await;
    if let Some(value) = jar.sealed_if_changed(&cfg.cipher) {
        let max_age = if value.is_empty() {
            0
        } else {
            PENDING_LOGIN_TTL.as_secs()
        };
        let secure = if cfg.https { "; Secure" } else { "" };
        let cookie =
            format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}
