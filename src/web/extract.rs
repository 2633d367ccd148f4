//! Extractors: the signed-in user (or a redirect to login) and the optional user.

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{request::Parts, Method},
    response::{IntoResponse, Redirect, Response},
};
use std::sync::Arc;

use tower_sessions::Session;

use crate::{
    auth::{session, Environment, ReturnTo, SessionUser},
    state::AppState,
    web::error::{login_link, AppError},
};

/// A signed-in user. Requests without one are sent to login, remembering where they were
/// going; sessions past their absolute lifetime or idle for longer than the idle timeout are
/// ended first. The idle expiry slides: each request counts as use (written at most once a
/// minute, see [`session::still_active`]).
pub struct SignedIn {
    pub session: Session,
    pub user: SessionUser,
    /// The session's environment: its provider and gateway are the only ones this user's
    /// requests reach. A session of an environment no longer served is ended.
    pub env: Arc<Environment>,
}

impl SignedIn {
    /// Saves changes made to `self.user`.
    pub async fn save(&self) -> Result<(), AppError> {
        Ok(session::update_user(&self.session, &self.user).await?)
    }
}

/// Where the current request was going, if it is safe to come back to.
pub fn here(parts: &Parts) -> ReturnTo {
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .filter(|_| parts.method == Method::GET);
    ReturnTo::parse_or_root(target)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| AppError::Internal(msg.to_owned()).into_response())?;
        let user = session::current_user(&session)
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        let to_login = |rt: ReturnTo| Redirect::to(&login_link(&rt)).into_response();
        let Some(user) = user else {
            return Err(to_login(here(parts)));
        };
        // Both lifetimes on the app's clock (tests shift it); tower-sessions' own expiry runs
        // on the system clock and is only the backstop (see `web::router`).
        let now = state.clock.now_unix();
        let limits = &state.settings.session;
        let env = state.environments.get(&user.environment).cloned();
        let ended = if env.is_none() {
            Some("the session's environment is no longer served (FV_ENVIRONMENTS)")
        } else if now - user.login_at > limits.absolute_timeout.as_secs() as i64 {
            Some("session reached its absolute lifetime")
        } else if !session::still_active(&session, &user, now, limits.idle_timeout)
            .await
            .map_err(|e| AppError::from(e).into_response())?
        {
            Some("session idle for longer than FV_SESSION_IDLE_MINUTES")
        } else {
            None
        };
        let (None, Some(env)) = (ended, env) else {
            let why = ended.unwrap_or_default();
            tracing::info!(sub = %user.identity.subject, why, "signed out");
            let _ = state.vault.remove(&user.vault_id).await;
            let _ = session::end(&session).await;
            return Err(to_login(here(parts)));
        };
        crate::telemetry::note_user(&parts.extensions, &user.identity.subject, user.current_org);
        Ok(SignedIn { session, user, env })
    }
}

impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Response> {
        match <SignedIn as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(s) => Ok(Some(s)),
            Err(r) if r.status().is_redirection() => Ok(None),
            Err(r) => Err(r),
        }
    }
}
