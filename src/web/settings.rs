//! `GET/POST /settings/integration`: the service-account (PAT) connection, for admins.
//!
//! The flow is Verify, then Save. Verify exchanges the pasted PAT and checks who it acts as;
//! the verified PAT then waits sealed in the *session* (never echoed into the page), and Save
//! moves it, sealed, into the `fv_integration` table and makes it the app's current PAT.
//! A PAT from `FV_PAT` is shown as configured and cannot be changed here.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{rejection::FormRejection, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{
    extract::SignedIn,
    templates::{Chrome, ErrorPage},
};
use crate::web::error::AppError;
use crate::{
    auth::{policy::is_admin, SessionUser},
    service_account::{format_unix, TestOutcome, Verified, VerifiedPat, VerifyError},
    state::AppState,
};

const PENDING_KEY: &str = "fv.pat_pending";
const FLASH_KEY: &str = "fv.settings_flash";
const PENDING_PURPOSE: &str = "pat-pending";
/// How long a verified PAT waits in the session for Save.
const PENDING_TTL_SECS: i64 = 900;
const PATH: &str = "/settings/integration";

/// A verified PAT waiting for Save, sealed in the session.
#[derive(Serialize, Deserialize)]
struct PendingPat {
    pat: String,
    email: String,
    verified: Verified,
    verified_at: i64,
}

/// The stored connection as the page shows it.
pub struct StoredView {
    pub last4: String,
    pub email: String,
    pub verified_name: Option<String>,
    pub verified_at: Option<String>,
    pub token_valid_until: Option<String>,
    pub last_error: Option<String>,
    pub updated_by: String,
    pub readable: bool,
}

/// A verification result waiting for Save.
pub struct PendingView {
    pub email: String,
    pub name: String,
    pub user_type: String,
    pub orgs: Vec<String>,
    pub token_valid_until: String,
    pub scopes: String,
    pub warnings: Vec<String>,
}

/// `FV_PAT` as the page shows it.
pub struct EnvView {
    pub last4: String,
    pub email: Option<String>,
}

/// The settings page.
#[derive(Template, WebTemplate)]
#[template(path = "settings_integration.html")]
pub struct IntegrationPage {
    pub chrome: Chrome,
    pub csrf: String,
    /// Demo mode made the demo user admin because `FV_ADMIN_EMAILS` is empty.
    pub demo_admin: bool,
    pub env: Option<EnvView>,
    pub stored: Option<StoredView>,
    pub pending: Option<PendingView>,
    pub flash: Option<String>,
    pub error: Option<String>,
    pub email_value: String,
}

/// The page's form: every button posts here with its `action`.
#[derive(Deserialize)]
pub struct IntegrationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    pat: Option<SecretString>,
    #[serde(default)]
    email: String,
}

/// `GET /settings/integration`.
pub async fn page(State(state): State<AppState>, signed: SignedIn) -> Result<Response, AppError> {
    if !is_admin(&state.settings.service_account, &signed.user) {
        return Ok(forbidden(&state, &signed.user));
    }
    let flash: Option<String> = signed.session.remove(FLASH_KEY).await?;
    let page = render(&state, &signed, flash, None, String::new()).await?;
    Ok(page.into_response())
}

/// `POST /settings/integration`: `action` is `verify`, `save`, `cancel`, `remove` or `test`.
pub async fn submit(
    State(state): State<AppState>,
    signed: SignedIn,
    form: Result<Form<IntegrationForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(form) = form.map_err(|_| AppError::BadRequest("The form could not be read."))?;
    if !signed.user.csrf_matches(&form.csrf) {
        return Err(AppError::Csrf);
    }
    if !is_admin(&state.settings.service_account, &signed.user) {
        return Ok(forbidden(&state, &signed.user));
    }
    let service = &state.integration;
    match form.action.as_str() {
        "test" => test_connection(&state, &signed).await,
        _ if service.from_environment() => Err(AppError::BadRequest(
            "The PAT comes from FV_PAT in the environment; change it there and restart.",
        )),
        "verify" => verify_pat(&state, &signed, form).await,
        "save" => save(&state, &signed).await,
        "cancel" => {
            remove_pending(&signed).await?;
            Ok(Redirect::to(PATH).into_response())
        }
        "remove" => {
            service.remove(&admin_name(&signed)).await?;
            remove_pending(&signed).await?;
            flash(&signed, "The service-account connection was removed.").await
        }
        _ => Err(AppError::BadRequest("Unknown action.")),
    }
}

/// Who made a change, for the stored row and the log.
fn admin_name(signed: &SignedIn) -> String {
    let user = &signed.user;
    user.identity
        .email
        .clone()
        .unwrap_or_else(|| user.display_name())
}

async fn verify_pat(
    state: &AppState,
    signed: &SignedIn,
    form: IntegrationForm,
) -> Result<Response, AppError> {
    let email = form.email.trim().to_owned();
    let pat = form
        .pat
        .map(|p| p.expose_secret().trim().to_owned())
        .filter(|p| !p.is_empty());
    let problem = match (&pat, email.contains('@')) {
        (None, _) => Some("Paste the service account's personal access token.".to_owned()),
        (_, false) => Some("Enter the service account's email address.".to_owned()),
        _ => None,
    };
    let Some(pat) = pat.filter(|_| problem.is_none()) else {
        let page = render(state, signed, None, problem, email).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    match state
        .integration
        .verify(SecretString::from(pat), &email)
        .await
    {
        Ok(verified) => {
            let pending = PendingPat {
                pat: verified.pat.expose_secret().to_owned(),
                email: verified.email,
                verified: verified.verified,
                verified_at: verified.verified_at,
            };
            let sealed =
                state
                    .cipher
                    .seal_json(PENDING_PURPOSE, &[&signed.user.vault_id], &pending);
            signed.session.insert(PENDING_KEY, sealed).await?;
            Ok(Redirect::to(PATH).into_response())
        }
        Err(e) => {
            tracing::warn!(error = %e, "PAT verification failed");
            let message = match &e {
                VerifyError::Gateway(g) => format!("{} {}", e, g.user_message().1),
                _ => e.to_string(),
            };
            let page = render(state, signed, None, Some(message), email).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn save(state: &AppState, signed: &SignedIn) -> Result<Response, AppError> {
    let Some(pending) = load_pending(state, signed).await? else {
        let message =
            "Nothing to save: verify a PAT first (a verification is kept for 15 minutes).";
        let page = render(state, signed, None, Some(message.into()), String::new()).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let verified = VerifiedPat {
        pat: SecretString::from(pending.pat),
        email: pending.email,
        verified: pending.verified,
        verified_at: pending.verified_at,
    };
    state
        .integration
        .save(verified, &admin_name(signed))
        .await?;
    remove_pending(signed).await?;
    flash(
        signed,
        "Saved. The app now uses this service account for background work.",
    )
    .await
}

/// Checks the current connection (stored or `FV_PAT`) end to end.
async fn test_connection(state: &AppState, signed: &SignedIn) -> Result<Response, AppError> {
    let message = match state.integration.test().await? {
        TestOutcome::NothingToTest => "There is no connection to test.".to_owned(),
        TestOutcome::Works(v) => format!(
            "The connection works: it acts as {}; the current token is valid until {}.",
            v.name,
            format_unix(v.token_valid_until)
        ),
        TestOutcome::Fails(e) => format!("The connection test failed: {e}"),
    };
    flash(signed, &message).await
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    flash: Option<String>,
    error: Option<String>,
    email_value: String,
) -> Result<IntegrationPage, AppError> {
    let settings = &state.settings;
    let status = state.integration.status().await?;
    let env = status.env_last4.map(|last4| EnvView {
        last4,
        email: settings.service_account.email.clone(),
    });
    let stored = status.stored.map(|(r, readable)| StoredView {
        readable,
        last4: r.last4,
        email: r.email,
        verified_name: r.verified_name,
        verified_at: r.verified_at.map(format_unix),
        token_valid_until: r.token_valid_until.map(format_unix),
        last_error: r.last_error,
        updated_by: r.updated_by,
    });
    let pending = load_pending(state, signed).await?.map(|p| PendingView {
        user_type: p.verified.user_type_name().to_owned(),
        email: p.email,
        name: p.verified.name,
        orgs: p
            .verified
            .orgs
            .iter()
            .map(|(id, name)| format!("{name} (#{id})"))
            .collect(),
        token_valid_until: format_unix(p.verified.token_valid_until),
        scopes: p.verified.granted_scopes.join(" "),
        warnings: p.verified.warnings,
    });
    let email_value = if email_value.is_empty() {
        stored.as_ref().map(|s| s.email.clone()).unwrap_or_default()
    } else {
        email_value
    };
    Ok(IntegrationPage {
        chrome: Chrome::new(settings, Some(&signed.user)),
        csrf: signed.user.csrf.clone(),
        demo_admin: settings.demo
            && !settings
                .origins
                .get("FV_ADMIN_EMAILS")
                .is_some_and(|o| o.is_explicit()),
        env,
        stored,
        pending,
        flash,
        error,
        email_value,
    })
}

/// The verified PAT waiting in the session, if it is still fresh and opens with our key.
async fn load_pending(state: &AppState, signed: &SignedIn) -> Result<Option<PendingPat>, AppError> {
    let sealed: Option<String> = signed.session.get(PENDING_KEY).await?;
    Ok(sealed
        .and_then(|s| {
            state
                .cipher
                .open_json::<PendingPat>(PENDING_PURPOSE, &[&signed.user.vault_id], &s)
                .ok()
        })
        .filter(|p| state.clock.now_unix() - p.verified_at <= PENDING_TTL_SECS))
}

async fn remove_pending(signed: &SignedIn) -> Result<(), AppError> {
    signed.session.remove::<String>(PENDING_KEY).await?;
    Ok(())
}

/// Remembers `message` for the next GET and redirects there (so a reload does not post again).
async fn flash(signed: &SignedIn, message: &str) -> Result<Response, AppError> {
    signed.session.insert(FLASH_KEY, message).await?;
    Ok(Redirect::to(PATH).into_response())
}

/// The friendly 403 for signed-in users who are not admins: no form at all.
fn forbidden(state: &AppState, user: &SessionUser) -> Response {
    tracing::info!(sub = %user.identity.subject, "non-admin refused on the integration settings");
    let page = ErrorPage {
        chrome: Chrome::new(&state.settings, Some(user)),
        title: "Only administrators can change this".into(),
        message: "The service-account connection is managed by this app's administrators. Ask one of them to add your email to FV_ADMIN_EMAILS if you should have access.".into(),
        action: None,
        reference: None,
    };
    (StatusCode::FORBIDDEN, page).into_response()
}
