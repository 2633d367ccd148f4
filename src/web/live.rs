//! `GET /projects/live`: Server-Sent Events for the signed-in session's org. An event
//! `projects-changed` (data `{"projects": N}`) when a webhook delivery for that org was applied,
//! a heartbeat comment every 15 s, and the end of the stream when the session ends (at once
//! on sign-out here, [`crate::live::stream`]). Without a session or an org it answers 204, which tells an
//! `EventSource` not to reconnect (a redirect to the login page would start a login per retry).

use std::convert::Infallible;

use axum::{
    extract::State,
    http::StatusCode,
    response::{
        sse::{Event, Sse},
        IntoResponse, Response,
    },
};
use futures::StreamExt;

use super::extract::SignedIn;
use crate::{
    auth::sessions::record_exists,
    live::stream::{events, LiveEvent},
    state::AppState,
    store::HashedIds,
};

/// The handler: extract, call [`events`], render each as an SSE event.
pub async fn stream(State(state): State<AppState>, signed: Option<SignedIn>) -> Response {
    let Some((signed, org_id)) = signed.and_then(|s| s.user.current_org.map(|o| (s, o))) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let Some(stored_id) = signed.session.id().map(|id| stored_id(&state, &id)) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let ends_at = signed.user.login_at + state.settings.session.absolute_timeout.as_secs() as i64;
    let (db, clock, id) = (state.db.clone(), state.clock.clone(), stored_id.clone());
    let still_signed_in = move || {
        let (db, clock, id) = (db.clone(), clock.clone(), id.clone());
        async move {
            if clock.now_unix() > ends_at {
                return false;
            }
            // A database hiccup keeps the stream open; the next heartbeat asks again.
            record_exists(&db, &id).await.unwrap_or(true)
        }
    };
    let environment = signed.env.name.clone();
    let live = events(
        &state.live,
        state.clock.clone(),
        (environment, org_id),
        stored_id,
        still_signed_in,
    );
    let sse = live.map(|e| {
        Ok::<_, Infallible>(match e {
            LiveEvent::Changed { projects } => Event::default()
                .event("projects-changed")
                .data(format!("{{\"projects\":{projects}}}")),
            LiveEvent::Heartbeat => Event::default().comment("heartbeat"),
        })
    });
    Sse::new(sse).into_response()
}

/// The id a session is stored under (the table's, not the cookie's): what
/// [`crate::live::LiveHub::session_ended`] names.
pub fn stored_id(state: &AppState, id: &tower_sessions::session::Id) -> String {
    HashedIds::new((), &state.settings.db.secret_key)
        .stored_id(id)
        .to_string()
}
