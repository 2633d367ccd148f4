//! Login, callback, logout and the signed-out landing. Each handler extracts, calls one
//! service from [`crate::auth::flow`], and redirects or renders.

use std::collections::HashMap;

use axum::{
    extract::{
        rejection::{FormRejection, QueryRejection},
        Query, State,
    },
    response::{IntoResponse, Redirect, Response},
    Extension, Form,
};
use tower_sessions::Session;

use super::templates::{Chrome, SignedOutPage};
use crate::web::error::AppError;
use crate::{
    auth::{
        flow::{self, CallbackQuery, FinishDeps},
        session::{self, PendingJar},
        ReturnTo,
    },
    state::AppState,
};

/// `GET /auth/login?return_to=/path`: 303 to the provider's authorization endpoint.
pub async fn login(
    State(state): State<AppState>,
    Extension(pending): Extension<PendingJar>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let return_to = ReturnTo::parse_or_root(query.get("return_to").map(String::as_str));
    let url = flow::start_login(&state.oidc, &pending, &state.cipher, return_to).await?;
    crate::metrics::login_started();
    Ok(Redirect::to(url.as_str()).into_response())
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
        oidc: &state.oidc,
        vault: &state.vault,
        gateway: state.gateway.as_ref(),
        cipher: &state.cipher,
        pending: &pending,
        db: &state.db,
        environment: state.settings.oidc.region.as_str(),
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

/// The logout form's body.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /auth/logout`: CSRF-checked; ends the local session, then RP-initiated logout.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, AppError> {
    let csrf = form.map(|Form(f)| f.csrf).unwrap_or_default();
    match session::current_user(&session).await? {
        Some(user) if !user.csrf_matches(&csrf) => return Err(AppError::Csrf),
        // Nobody is signed in: nothing to protect, nothing to end at the provider.
        None => {
            return Ok(
                Redirect::to(state.settings.oidc.post_logout_redirect_uri.path()).into_response(),
            )
        }
        Some(_) => {}
    }
    let location = flow::logout(
        &state.oidc,
        &state.vault,
        &session,
        &state.settings.oidc.post_logout_redirect_uri,
    )
    .await?;
    Ok(Redirect::to(&location).into_response())
}

/// The landing at the path of `FV_POST_LOGOUT_REDIRECT_URI`.
pub async fn signed_out(State(state): State<AppState>) -> SignedOutPage {
    SignedOutPage {
        chrome: Chrome::new(&state.settings, None),
    }
}
