//! The web layer's one error type. Every failure becomes a friendly page that says what
//! happened and what to do; the details (never a secret) go to the log with a reference the
//! user can quote.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use super::error_chrome::ErrorPageParts;
use super::templates::Chrome;
use crate::{
    auth::{LoginError, RefreshError, ReturnTo, VaultError},
    filevine::{AuthedError, GatewayError},
};

/// A failed request, by what the user should do next.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The login flow failed; the user can start again.
    #[error(transparent)]
    Login(#[from] LoginError),
    /// A gateway call failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The session's tokens are gone or the refresh token was refused: sign in again and come
    /// back to `return_to`.
    #[error("session ended: {reason}")]
    SignInAgain { return_to: ReturnTo, reason: String },
    /// The access token ended and the session holds no refresh token (the client was not
    /// granted `offline_access`): the user must sign in again, and is told why.
    #[error("access token expired and no refresh token was granted")]
    NoRefreshToken { return_to: ReturnTo },
    /// The provider could not refresh tokens right now; the session is kept.
    #[error("provider unavailable: {0}")]
    ProviderUnavailable(String),
    /// A POST without the session's CSRF token.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// A signed-in user on a page that is not for them (an admin page, see
    /// [`super::no_access::Admin`]); the message tells them why in their words. Logged where
    /// the rule decided, with the reason the user is not told.
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A filter that cannot mean anything (a date not written `yyyy-mm-dd`): a 400 whose link
    /// `keep` is the same view with every other filter kept, so nothing typed is lost.
    #[error("bad filter: {message}")]
    BadFilter { message: String, keep: String },
    /// `GET /auth/login?env=` naming an environment this app does not serve: a 400 that lists
    /// the ones it does (the text is escaped and bounded) and links to the chooser.
    #[error("unknown environment: {0}")]
    UnknownEnvironment(String),
    /// Too many login starts, callbacks or POSTs from one client address
    /// ([`super::rate_limit`]): try again in this many seconds (also sent as `Retry-After`).
    #[error("rate limited for {0} s")]
    TooManyRequests(u64),
    /// The request did not produce an answer within the limit ([`super::ops`]).
    #[error("request timed out")]
    TimedOut,
    /// The user already runs as many exports as one person may at once.
    #[error("too many exports at once ({0} running)")]
    TooManyExports(usize),
    /// The database failed (down, slow, full). Handlers use `?` on store calls: wrapping
    /// every one in `.map_err(..)` would only be noise, and this one mapping decides what the
    /// user sees (a retry page, never the database's message).
    #[error("database: {0}")]
    Db(#[from] crate::store::DbError),
    /// The session store (the same database) failed reading or writing the session.
    #[error("session store: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// Maps a failed authenticated gateway call: a lost session signs in again and comes back
    /// to `return_to`; a gateway failure is shown as one.
    pub fn from_authed(e: AuthedError<VaultError>, return_to: ReturnTo) -> Self {
        match e {
            AuthedError::Token(v) => AppError::from_vault(v, return_to),
            AuthedError::Gateway(g) => AppError::Gateway(g),
        }
    }

    /// Maps a vault failure: a refused refresh ends the session, an outage does not.
    pub fn from_vault(e: VaultError, return_to: ReturnTo) -> Self {
        match e {
            VaultError::Refresh(RefreshError::NoRefreshToken) => {
                AppError::NoRefreshToken { return_to }
            }
            VaultError::Refresh(r) if !r.ends_session() => {
                AppError::ProviderUnavailable(r.to_string())
            }
            VaultError::Refresh(r) => AppError::SignInAgain {
                return_to,
                reason: r.to_string(),
            },
            VaultError::Missing => AppError::SignInAgain {
                return_to,
                reason: "no tokens".into(),
            },
            // Sealed with another key (a demo restart makes a new one, or FV_SECRET_KEY was
            // rotated): those tokens are gone for good; signing in again is the fix.
            VaultError::Crypto(e) => AppError::SignInAgain {
                return_to,
                reason: format!("stored tokens unreadable: {e}"),
            },
            // One refresh answers many requests, so its database error is shared: only the
            // last holder gets the original.
            VaultError::Db(e) => AppError::Db(std::sync::Arc::try_unwrap(e).unwrap_or_else(|e| {
                crate::store::DbError::Query(tower_sessions_sqlx_store::sqlx::Error::Protocol(
                    e.to_string(),
                ))
            })),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            AppError::Login(LoginError::Session(_)) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Login(LoginError::Gateway(_)) => StatusCode::BAD_GATEWAY,
            AppError::Login(_) => StatusCode::BAD_REQUEST,
            AppError::Gateway(e) => Self::gateway_status(e),
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Db(_) | AppError::Session(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::SignInAgain { .. } => StatusCode::SEE_OTHER,
            AppError::NoRefreshToken { .. } => StatusCode::UNAUTHORIZED,
            AppError::ProviderUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Csrf | AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadRequest(_)
            | AppError::BadFilter { .. }
            | AppError::UnknownEnvironment(_) => StatusCode::BAD_REQUEST,
            AppError::TooManyExports(_) | AppError::TooManyRequests(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::TimedOut => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl AppError {
    /// The HTTP status a failed gateway call shows with (also inside the dashboard, which
    /// renders a failed list in its own page).
    pub fn gateway_status(e: &GatewayError) -> StatusCode {
        match e {
            GatewayError::Unauthorized => StatusCode::UNAUTHORIZED,
            GatewayError::Forbidden(_) => StatusCode::FORBIDDEN,
            GatewayError::NotFound => StatusCode::NOT_FOUND,
            GatewayError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_GATEWAY,
        }
    }
}

impl IntoResponse for AppError {
    /// Logs the error (escaped and bounded: a provider's `error=` or a rejection's text is
    /// attacker-controlled) with a reference the page shows, then renders the page.
    fn into_response(self) -> Response {
        use crate::telemetry::Bounded;
        let status = self.status();
        let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        match &self {
            AppError::Login(e) => {
                tracing::warn!(reference, reason = e.reason(), error = %Bounded(&e.to_string()), "login failed")
            }
            // Logged (or counted) where they were decided: a flood of 429s is a metric, not
            // a log line each.
            AppError::NotFound
            | AppError::Forbidden(_)
            | AppError::TooManyRequests(_)
            | AppError::TimedOut => {}
            e if status.is_server_error() => {
                tracing::error!(reference, error = %Bounded(&e.to_string()), "request failed")
            }
            e => tracing::warn!(reference, error = %Bounded(&e.to_string()), "request refused"),
        }
        let try_again = Some(("/auth/login".to_owned(), "Try again".to_owned()));
        let (title, message, action): (&str, String, Option<(String, String)>) = match &self {
            AppError::SignInAgain { return_to, .. } => {
                let mut to_login = Redirect::to(&login_link(return_to)).into_response();
                to_login
                    .extensions_mut()
                    .insert(super::ended_session::EndThisSession);
                return to_login;
            }
            AppError::Login(e) => {
                let (t, m) = e.user_message();
                (t, m, try_again)
            }
            AppError::NoRefreshToken { return_to } => (
                "Your Filevine sign-in has ended",
                "Your access to Filevine expired, and this app was not allowed to renew it (Filevine did not grant the offline_access scope). Sign in again to continue where you were.".into(),
                Some((login_link(return_to), "Sign in again".to_owned())),
            ),
            AppError::Gateway(e) => {
                let (t, m) = e.user_message();
                let action = match e {
                    GatewayError::Unauthorized => try_again.clone(),
                    // Reloading a project that is not there brings nothing: back to the list.
                    GatewayError::NotFound => {
                        Some(("/projects".to_owned(), "Back to Projects".to_owned()))
                    }
                    _ => Some(("".to_owned(), "Try again".to_owned())),
                };
                (t, m, action)
            }
            AppError::ProviderUnavailable(_) => (
                "Filevine is not answering right now",
                "We could not renew your Filevine sign-in because the identity service did not answer. You are still signed in; try again in a moment.".into(),
                Some(("".to_owned(), "Try again".to_owned())),
            ),
            AppError::Csrf => (
                "This form has expired",
                "The page you submitted from is out of date or came from another site. Go back, reload the page and try again.".into(),
                None,
            ),
            AppError::Forbidden(message) => {
                ("Only administrators can change this", message.clone(), None)
            }
            AppError::NotFound => (
                "Page not found",
                "There is nothing at this address. It may have moved, or the link was mistyped.".into(),
                Some(("/projects".to_owned(), "Go to your projects".to_owned())),
            ),
            AppError::BadRequest(m) => ("That request did not make sense", (*m).to_owned(), None),
            AppError::BadFilter { message, keep } => (
                "That date filter did not make sense",
                format!("{message}. Your other filters are kept in the link below."),
                Some((keep.clone(), "Show the list without that date".to_owned())),
            ),
            AppError::UnknownEnvironment(message) => (
                "There is no such Filevine environment here",
                message.clone(),
                Some(("/auth/login".to_owned(), "Choose where to sign in".to_owned())),
            ),
            AppError::TooManyExports(n) => (
                "Your other exports are still running",
                format!("You already have {n} exports downloading, as many as one person may run at once (so everyone's dashboard stays quick). Wait for one to finish, then try again."),
                Some(("".to_owned(), "Try again".to_owned())),
            ),
            AppError::TooManyRequests(seconds) => (
                "Too many requests from your address",
                format!("Try again in {seconds} seconds."),
                None,
            ),
            AppError::TimedOut => (
                "That took too long",
                "The request took too long. Try again in a moment.".into(),
                Some(("".to_owned(), "Try again".to_owned())),
            ),
            AppError::Db(_) | AppError::Session(_) => (
                "The app's database is not answering",
                "Nothing was lost, and you are still signed in. Try again in a moment; if it persists, give the reference below to your administrator.".into(),
                Some(("".to_owned(), "Try again".to_owned())),
            ),
            AppError::Internal(_) => (
                "Something went wrong on our side",
                "The app hit an unexpected problem. Try again; if it persists, give the reference below to your administrator.".into(),
                None,
            ),
        };
        // An empty href is a same-document reference: the link reloads the page that failed.
        let parts = ErrorPageParts {
            title: title.to_owned(),
            message,
            action,
            // Nothing failed on a missing page or a refused admin page: no reference to quote.
            reference: (status != StatusCode::NOT_FOUND && !matches!(self, AppError::Forbidden(_)))
                .then_some(reference),
        };
        // Anonymous here; `error_chrome` renders it again in the reader's own layout.
        let mut response = (status, parts.clone().page(Chrome::anonymous())).into_response();
        response.extensions_mut().insert(parts);
        let retry_after = match self {
            AppError::TooManyExports(_) => Some(10),
            AppError::TooManyRequests(seconds) => Some(seconds),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

/// `/auth/login?return_to=...` for a page to come back to.
pub fn login_link(return_to: &ReturnTo) -> String {
    format!(
        "/auth/login?return_to={}",
        url::form_urlencoded::byte_serialize(return_to.as_str().as_bytes()).collect::<String>()
    )
}
