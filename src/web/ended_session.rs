//! A session whose sign-in is over ends for real. When the refresh token is refused (or the
//! tokens are gone or unreadable), the page sends the user to sign in again; without this
//! layer the session record stayed, so the home page still showed them signed in (name, Log
//! out) with no tokens behind it. The error marks its response with [`EndThisSession`] and
//! this layer, inside the session layer, flushes the session: its record and its index row
//! go (through [`crate::auth::sessions::IndexedStore`]) and the cookie is cleared.

use axum::{extract::Request, middleware::Next, response::Response};
use tower_sessions::Session;

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
