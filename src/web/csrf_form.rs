//! [`CsrfForm`]: a form body that only reaches a handler when it carries the signed-in
//! session's CSRF token, so no handler compares tokens by hand and none can forget to.

use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request},
    response::{IntoResponse, Response},
    Form,
};
use serde::de::DeserializeOwned;
use tower_sessions::Session;

use super::error::AppError;
use crate::{
    auth::{session, SessionUser},
    state::AppState,
};

/// The form `T` of a POST whose `csrf` field matches the session's token (compared in constant
/// time by [`SessionUser::csrf_matches`]). `T` need not declare `csrf`. A missing or foreign
/// token, a body that is no form at all (a cross-site `text/plain` post) and a request with
/// nobody signed in are all [`AppError::Csrf`]: none of them can be shown to come from this
/// app's own page.
pub struct CsrfForm<T>(pub T);

/// A form with no fields besides its token (logout, the test alert).
#[derive(Debug, Default, serde::Deserialize)]
pub struct TokenOnly {}

/// Reads the body and checks it against `user` (if anyone is signed in).
async fn read<T: DeserializeOwned>(
    req: Request,
    state: &AppState,
) -> Result<(Option<SessionUser>, Option<T>, String), Response> {
    let (mut parts, body) = req.into_parts();
    let session = Session::from_request_parts(&mut parts, state)
        .await
        .map_err(|(_, msg)| AppError::Internal(msg.to_owned()).into_response())?;
    let user = session::current_user(&session)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
        .await
        .map_err(|_| AppError::BadRequest("The form could not be read.").into_response())?;
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let form = Form::<T>::from_request(Request::from_parts(parts, Body::from(bytes)), state)
        .await
        .ok()
        .map(|Form(f)| f);
    Ok((user, form, token))
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        match <Self as OptionalFromRequest<AppState>>::from_request(req, state).await? {
            Some(form) => Ok(form),
            None => Err(AppError::Csrf.into_response()),
        }
    }
}

/// `Option<CsrfForm<T>>`: `None` when nobody is signed in (there is nothing a forged form could
/// act as, so e.g. logout just lands), the same refusal as [`CsrfForm`] otherwise.
impl<T: DeserializeOwned + Send> OptionalFromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Option<Self>, Response> {
        let (user, form, token) = read::<T>(req, state).await?;
        let Some(user) = user else {
            return Ok(None);
        };
        match form {
            Some(form) if user.csrf_matches(&token) => Ok(Some(CsrfForm(form))),
            _ => Err(AppError::Csrf.into_response()),
        }
    }
}
