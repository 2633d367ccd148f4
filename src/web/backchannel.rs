//! `POST /auth/backchannel-logout`: the provider's server-to-server call (OpenID Connect
//! Back-Channel Logout 1.0). It takes no cookie and no CSRF token (the logout token's
//! signature is the authentication), answers 200 with `Cache-Control: no-store`, or 400
//! with a JSON error; never a 500 (a database failure is a 400 the provider may retry, and
//! is logged).

use axum::{
    extract::{rejection::FormRejection, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Form, Json,
};

use crate::{
    auth::sessions::backchannel::{self, BackchannelError},
    state::AppState,
};

/// The form the provider posts.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LogoutForm {
    pub logout_token: Option<String>,
}

/// The handler: extract, call [`backchannel::logout`], answer.
pub async fn logout(
    State(state): State<AppState>,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let token = form.ok().and_then(|Form(f)| f.logout_token);
    let result = backchannel::logout(
        &state.environments,
        &state.db,
        &state.vault,
        token.as_deref(),
    )
    .await;
    let mut response = match result {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => {
            if let BackchannelError::Db(db) = &e {
                tracing::error!(error = %db, "back-channel logout could not reach the database");
            } else {
                tracing::warn!(reason = %e, "back-channel logout refused");
            }
            let description = match &e {
                BackchannelError::Db(_) => {
                    "the logout could not be processed; try again".to_owned()
                }
                other => other.to_string(),
            };
            let body = serde_json::json!({
                "error": "invalid_request",
                "error_description": description,
            });
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
