//! The page a signed-in user who is not one of this app's administrators meets on an admin
//! page: words for a firm user (ask your administrator), no form. How administrators are
//! chosen (`FV_ADMIN_EMAILS`) is for the operator: it goes to the log and the docs, not here.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::templates::{Chrome, ErrorPage};
use crate::{
    auth::{
        policy::{admin_status, AdminStatus},
        session::SessionUser,
    },
    state::AppState,
};

/// The friendly 403. A listed user whose email Filevine did not confirm is told so (and the
/// log says which source was missing), since "ask your administrator" would send them in
/// circles.
pub fn forbidden(state: &AppState, user: &SessionUser) -> Response {
    let message = match admin_status(&state.settings.service_account, user) {
        AdminStatus::Unconfirmed { email, missing } => {
            tracing::warn!(sub = %user.identity.subject, %email, %missing, "a listed admin was refused: Filevine did not confirm the email");
            format!("Filevine did not confirm your email address ({email}), so this app cannot treat you as an administrator. Ask your Filevine account administrator to verify it, then sign out and sign in again.")
        }
        _ => {
            tracing::info!(
                sub = %user.identity.subject,
                "non-admin refused on an admin page (administrators are the emails in FV_ADMIN_EMAILS)"
            );
            "Only this app's administrators can see and change these settings. If you need them, ask your administrator to give you access.".to_owned()
        }
    };
    let page = ErrorPage {
        chrome: Chrome::new(&state.settings, Some(user)),
        title: "Only administrators can change this".into(),
        message,
        action: None,
        reference: None,
    };
    (StatusCode::FORBIDDEN, page).into_response()
}
