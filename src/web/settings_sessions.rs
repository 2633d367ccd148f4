//! `GET /settings/sessions` + `POST`: for admins, active sessions per environment and "end
//! all sessions of" an email, audited. Anyone else gets 403.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use super::{csrf_form::CsrfForm, extract::SignedIn, no_access::Admin, templates::Chrome};
use crate::{
    auth::{session, sessions::admin},
    state::AppState,
    web::error::AppError,
};

const PATH: &str = "/settings/sessions";
const NOTICE_KEY: &str = "fv.admin_sessions.notice";

/// The page.
#[derive(Template, WebTemplate)]
#[template(path = "settings_sessions.html")]
pub struct AdminSessionsPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub counts: Vec<(String, usize)>,
    pub notice: Option<String>,
    /// Why the email was refused, shown on the form (as the other forms do), and what was typed.
    pub error: Option<String>,
    pub typed: String,
}

/// The page for `signed`, with `notice` and no error.
async fn render(
    state: &AppState,
    signed: &SignedIn,
    notice: Option<String>,
) -> Result<AdminSessionsPage, AppError> {
    let counts = admin::counts(&state.db, state.clock.now_unix()).await?;
    Ok(AdminSessionsPage {
        chrome: Chrome::new(&state.settings, Some(&signed.user)),
        csrf: signed.user.csrf.clone(),
        counts,
        notice,
        error: None,
        typed: String::new(),
    })
}

/// `GET /settings/sessions`.
pub async fn page(
    State(state): State<AppState>,
    Admin(signed): Admin,
) -> Result<Response, AppError> {
    let notice: Option<String> = session::take_once(&signed.session, NOTICE_KEY).await?;
    Ok(render(&state, &signed, notice).await?.into_response())
}

/// The form.
#[derive(Debug, Default, serde::Deserialize)]
pub struct EndAllForm {
    #[serde(default)]
    pub email: String,
}

/// `POST /settings/sessions`: CSRF-checked, admins only.
pub async fn submit(
    State(state): State<AppState>,
    Admin(signed): Admin,
    CsrfForm(form): CsrfForm<EndAllForm>,
) -> Result<Response, AppError> {
    let email = form.email.trim();
    if email.is_empty() || !email.contains('@') || email.chars().any(char::is_whitespace) {
        tracing::info!(
            typed_len = email.len(),
            "end all sessions refused: not an email"
        );
        let mut page = render(&state, &signed, None).await?;
        page.error =
            Some("Enter the email address the person signs in with, like jane@firm.com.".into());
        page.typed = email.chars().take(320).collect();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let by = signed.user.audit_name();
    let now = state.clock.now_unix();
    let ended = admin::end_all_of(
        &state.db,
        &state.vault,
        &state.environments,
        email,
        &by,
        now,
    )
    .await?;
    signed
        .session
        .insert(NOTICE_KEY, format!("Ended {ended} session(s) of {email}."))
        .await?;
    Ok(Redirect::to(PATH).into_response())
}
