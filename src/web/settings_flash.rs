//! The one-time message of `/settings/connections`: left by a POST in the session, shown by
//! the next GET (so a reload does not post again), green for a confirmation and red for a
//! problem.

use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{extract::SignedIn, settings::PATH};
use crate::{auth::session, web::error::AppError};

const FLASH_KEY: &str = "fv.settings_flash";

/// The message left by the last POST: a confirmation ("Saved.", green) or a problem (a failed
/// Test, red), so a failure never looks like a success or a success like a warning.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub text: String,
    pub ok: bool,
}

impl Flash {
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ok: true,
        }
    }
    pub fn problem(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ok: false,
        }
    }
}

/// The message left by the last POST, once (one of an older version reads as nothing).
pub async fn take_flash(signed: &SignedIn) -> Result<Option<Flash>, AppError> {
    Ok(
        session::take_once::<serde_json::Value>(&signed.session, FLASH_KEY)
            .await?
            .and_then(|v| serde_json::from_value(v).ok()),
    )
}

/// Remembers `message` for the next GET and redirects there (so a reload does not post again).
pub async fn flash(signed: &SignedIn, message: Flash) -> Result<Response, AppError> {
    signed.session.insert(FLASH_KEY, message).await?;
    Ok(axum::response::Redirect::to(PATH).into_response())
}
