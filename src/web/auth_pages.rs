//! Login, callback, logout and the signed-out landing. Each handler extracts, calls one
//! service from [`crate::auth::flow`], and redirects or renders.

use std::collections::HashMap;

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    response::{IntoResponse, Redirect, Response},
    Extension,
};
use tower_sessions::Session;

use super::{
    csrf_form::{CsrfForm, TokenOnly},
    env_choice,
    templates::{Chrome, SignedOutPage},
};
use crate::web::error::AppError;
use crate::{
    auth::{
        flow::{self, CallbackQuery, FinishDeps},
        session::PendingJar,
        ReturnTo,
    },
    state::AppState,
};

/// `GET /auth/login?env=ca&return_to=/path`: 303 to that environment's authorization
/// endpoint. With several environments and no `env`, the chooser page instead (200); the
/// environment chosen is remembered in a plain cookie that pre-selects it next time.
pub async fn login(
    State(state): State<AppState>,
    Extension(pending): Extension<PendingJar>,
    headers: axum::http::HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let return_to = ReturnTo::parse_or_root(query.get("return_to").map(String::as_str));
    let envs = &state.environments;
    let env = match query
        .get("env")
        .map(String::as_str)
        .filter(|e| !e.is_empty())
    {
        Some(name) => envs.get(name).ok_or_else(|| {
            AppError::UnknownEnvironment(format!(
                "There is no Filevine environment called “{}” here. Choose one of: {}.",
                crate::telemetry::Bounded(name),
                envs.names().join(", ")
            ))
        })?,
        None if envs.several() => {
            let last = env_choice::last(&headers);
            return Ok(env_choice::page(&state, &return_to, last.as_deref()).into_response());
        }
        None => envs.default_env(),
    };
    let url = flow::start_login(env, &pending, &state.cipher, return_to).await?;
    crate::metrics::login_started();
    let mut response = Redirect::to(url.as_str()).into_response();
    if envs.several() {
        env_choice::remember(&mut response, &env.name, state.https);
    }
    Ok(response)
}

/// The callback at the path of `FV_REDIRECT_URI`.
pub async fn callback(
    State(state): State<AppState>,
    Extension(pending): Extension<PendingJar>,
    session: Session,
    headers: axum::http::HeaderMap,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = query.map(|Query(q)| q).unwrap_or_else(|e| {
        // The rejection quotes the query: attacker-controlled text, escaped and cut.
        tracing::warn!(error = %crate::telemetry::Bounded(&e.to_string()), "unreadable callback query");
        CallbackQuery::default()
    });
    let deps = FinishDeps {
        environments: &state.environments,
        vault: &state.vault,
        cipher: &state.cipher,
        pending: &pending,
        db: &state.db,
        browser: crate::auth::sessions::browser::describe(
            headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok()),
        ),
    };
    let finished = flow::finish_login(deps, &session, query).await;
    crate::metrics::login_finished(finished.as_ref().err().map(|e| e.reason()));
    match finished? {
        flow::Finished::SignedIn(location) => Ok(Redirect::to(&location).into_response()),
        flow::Finished::Connection(done) => {
            super::settings_view::authorized(&state, &session, &done).await
        }
    }
}

/// `POST /auth/logout`: CSRF-checked; ends the local session, then RP-initiated logout.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    form: Option<CsrfForm<TokenOnly>>,
) -> Result<Response, AppError> {
    // Nobody is signed in: nothing to protect, nothing to end at the provider.
    if form.is_none() {
        return Ok(
            Redirect::to(state.settings.oidc.post_logout_redirect_uri.path()).into_response(),
        );
    }
    let stored_id = session.id().map(|id| super::live::stored_id(&state, &id));
    let location = flow::logout(&state.environments, &state.vault, &session).await?;
    if let Some(id) = stored_id {
        state.live.session_ended(&id);
    }
    Ok(Redirect::to(&location).into_response())
}

/// The landing at the path of `FV_POST_LOGOUT_REDIRECT_URI`.
pub async fn signed_out(State(state): State<AppState>) -> SignedOutPage {
    SignedOutPage {
        chrome: Chrome::new(&state.settings, None),
    }
}
