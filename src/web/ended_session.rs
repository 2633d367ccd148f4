//! A session whose sign-in is over ends for real. When the refresh token is refused (or the
//! tokens are gone or unreadable), the page sends the user to sign in again; without this
//! layer the session record stayed, so the home page still showed them signed in (name, Log
//! out) with no tokens behind it. The error marks its response with [`EndThisSession`] and
//! this layer, inside the session layer, flushes the session: its record and its index row
//! go (through [`crate::auth::sessions::IndexedStore`]) and the cookie is cleared.
//!
//! And a request whose session was ended elsewhere while it ran (its save found the record
//! gone, see [`crate::auth::sessions::index`]) is answered as signed out: [`dropped_save`].

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

use crate::auth::sessions::index::watch_saves;

/// Set on a response whose session must end (its tokens can no longer be renewed).
#[derive(Clone, Copy, Debug)]
pub struct EndThisSession;

/// Flushes the request's session when the response says so.
pub async fn layer(req: Request, next: Next) -> Response {
    let session = req.extensions().get::<Session>().cloned();
    let response = next.run(req).await;
    if response.extensions().get::<EndThisSession>().is_some() {
        if let Some(session) = session {
            match session.flush().await {
                Ok(()) => tracing::info!("session ended: its sign-in can no longer be renewed"),
                Err(e) => tracing::warn!(error = %e, "could not end a session whose sign-in ended"),
            }
        }
    }
    response
}

/// Outside the session layer: when this request's session save was dropped because the
/// session ended while the request ran, the answer becomes the signed-out one (to the home
/// page, the session cookie deleted) instead of a page of a session that no longer exists.
/// `https` picks the cookie's name and attributes, as the session layer sets them.
pub async fn dropped_save(State(https): State<bool>, req: Request, next: Next) -> Response {
    let (response, dropped) = watch_saves(next.run(req)).await;
    if !dropped {
        return response;
    }
    let name = super::session_cookie_name(https);
    let secure = if https { "; Secure" } else { "" };
    let gone = format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}");
    let mut signed_out = Redirect::to("/").into_response();
    let headers = signed_out.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&gone) {
        headers.insert(header::SET_COOKIE, v);
    }
    signed_out
}
