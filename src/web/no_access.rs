//! Admin pages: the [`Admin`] extractor, and what a signed-in user who is not one of this
//! app's administrators meets there instead: words for a firm user (ask your administrator), no
//! form. How administrators are chosen (`FV_ADMIN_EMAILS`) is for the operator: it goes to the
//! log and the docs, not here.

use axum::{extract::FromRequestParts, http::request::Parts, response::IntoResponse};

use super::{error::AppError, extract::SignedIn};
use crate::{
    auth::{
        policy::{admin_status, AdminStatus},
        session::SessionUser,
    },
    state::AppState,
};

/// A signed-in administrator (see [`crate::auth::policy`]). Handlers of admin pages take this
/// instead of [`SignedIn`], so none of them asks the rule by hand and none can forget to. Anyone
/// else signed in gets [`AppError::Forbidden`]; nobody signed in goes to login.
pub struct Admin(pub SignedIn);

impl FromRequestParts<AppState> for Admin {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed = SignedIn::from_request_parts(parts, state).await?;
        match refusal(state, &signed.user) {
            None => Ok(Admin(signed)),
            Some(message) => Err(AppError::Forbidden(message).into_response()),
        }
    }
}

/// Why `user` may not use an admin page, in words for them; `None` for an admin. A listed user
/// whose email Filevine did not confirm is told so (and the log says which source was
/// missing), since "ask your administrator" would send them in circles.
fn refusal(state: &AppState, user: &SessionUser) -> Option<String> {
    match admin_status(&state.settings.service_account, user) {
        AdminStatus::Admin => None,
        AdminStatus::Unconfirmed { email, missing } => {
            tracing::warn!(sub = %user.identity.subject, %email, %missing, "a listed admin was refused: Filevine did not confirm the email");
            Some(format!("Filevine did not confirm your email address ({email}), so this app cannot treat you as an administrator. Ask your Filevine account administrator to verify it, then sign out and sign in again."))
        }
        AdminStatus::NotListed => {
            tracing::info!(
                sub = %user.identity.subject,
                "non-admin refused on an admin page (administrators are the emails in FV_ADMIN_EMAILS)"
            );
            Some("Only this app's administrators can see and change these settings. If you need them, ask your administrator to give you access.".to_owned())
        }
    }
}
