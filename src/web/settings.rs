//! `GET/POST /settings/connections`: the named connections, for admins. The old
//! `/settings/integration` answers 303 to it (its saved PAT became the connection `default`).
//!
//! The form's field names are an interface (operators script it): `name`, `environment`,
//! `auth`, `pat`, `email`, `concurrency`, `borrow_from`, and the button `action` = `verify`,
//! `save`, `save_authorize`, `test`, `remove`, `live_on`, `live_off` (plus `cancel`); a
//! connection's own card adds
//! `mode=edit`, so its existing name is not a duplicate. A PAT is Verified (exchange + who it
//! acts as; the email must match), then waits sealed in the *session* (never echoed into the
//! page) until Save posts the same fields with `pat` empty; a Save that carries the PAT
//! verifies and saves at once. Every rule lives in [`crate::connections`].

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Extension,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{
    confirm::{confirmed, ConfirmPage},
    csrf_form::CsrfForm,
    extract::SignedIn,
    no_access::Admin,
    settings_view as view,
    templates::Chrome,
};
use crate::web::error::AppError;
use crate::{
    auth::{flow, session::PendingJar},
    connections::{
        service::ConnectionError, AuthKind, Draft, FormError, SaveOutcome, TestOutcome,
        VerifiedDraft,
    },
    state::AppState,
};

pub(super) const PATH: &str = "/settings/connections";

/// The page's form: every button posts here with its `action`.
#[derive(Deserialize)]
pub struct ConnectionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    environment: String,
    #[serde(default)]
    auth: String,
    #[serde(default)]
    pat: Option<SecretString>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    concurrency: String,
    #[serde(default)]
    borrow_from: String,
    #[serde(default)]
    pat_expires: String,
    /// `yes` once the admin confirmed a removal on the confirmation page.
    #[serde(default)]
    confirm: String,
}

impl ConnectionForm {
    fn draft(&self) -> Draft {
        Draft {
            name: self.name.trim().to_owned(),
            environment: self.environment.trim().to_owned(),
            auth: self.auth.trim().to_owned(),
            email: self.email.trim().to_owned(),
            concurrency: self.concurrency.trim().to_owned(),
            borrow_from: self.borrow_from.trim().to_owned(),
            editing: self.mode == "edit",
            pat_expires: self.pat_expires.trim().to_owned(),
        }
    }

    fn pat(&self) -> Option<SecretString> {
        let pat = self.pat.as_ref()?.expose_secret().trim().to_owned();
        (!pat.is_empty()).then(|| SecretString::from(pat))
    }
}

/// Why a POST did not go through: a refusal to show next to the fields, or a failure of the
/// app itself (database, session) for the error page.
enum Failure {
    Refused(ConnectionError),
    App(AppError),
}

impl From<ConnectionError> for Failure {
    fn from(e: ConnectionError) -> Self {
        match e {
            ConnectionError::Db(db) => Failure::App(db.into()),
            other => Failure::Refused(other),
        }
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

/// `GET /settings/integration` and its POST: the page moved.
pub async fn moved() -> Redirect {
    Redirect::to(PATH)
}

/// `GET /settings/connections`.
pub async fn page(
    State(state): State<AppState>,
    Admin(signed): Admin,
) -> Result<Response, AppError> {
    let flash = view::take_flash(&signed).await?;
    Ok(view::render(&state, &signed, flash, None)
        .await?
        .into_response())
}

/// `POST /settings/connections`.
pub async fn submit(
    State(state): State<AppState>,
    Extension(pending): Extension<PendingJar>,
    Admin(signed): Admin,
    CsrfForm(form): CsrfForm<ConnectionForm>,
) -> Result<Response, AppError> {
    let by = signed.user.audit_name();
    let result = match form.action.as_str() {
        "verify" => verify(&state, &signed, &form).await,
        "save_authorize" if is_refresh_token(&form) => {
            authorize(&state, &pending, &form, &by).await
        }
        "save" | "save_authorize" => save(&state, &signed, &form, &by).await,
        "test" => return test(&state, &signed, form.name.trim()).await,
        "remove" if !confirmed(&form.confirm) => ask_remove(&state, &signed, &form, &by).await,
        "remove" => remove(&state, &signed, form.name.trim(), &by).await,
        "live_on" | "live_off" => {
            let on = form.action == "live_on";
            return super::settings_live::toggle(&state, &signed, form.name.trim(), on, &by).await;
        }
        "cancel" => {
            view::remove_pending(&signed).await?;
            return Ok(Redirect::to(PATH).into_response());
        }
        _ => return Err(AppError::BadRequest("Unknown action.")),
    };
    match result {
        Ok(response) => Ok(response),
        Err(Failure::App(e)) => Err(e),
        Err(Failure::Refused(e)) => {
            tracing::info!(error = %e, "connection form refused");
            let field = match &e {
                ConnectionError::Form(f) => f.field,
                _ => "pat",
            };
            let message = match &e {
                ConnectionError::Verify(crate::service_account::VerifyError::Gateway(g)) => {
                    format!("{e} {}", g.user_message().1)
                }
                _ => e.to_string(),
            };
            let typed = view::Typed {
                draft: form.draft(),
                field,
                message,
            };
            let page = view::render(&state, &signed, None, Some(typed)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

fn pat_missing() -> Failure {
    Failure::Refused(
        FormError {
            field: "pat",
            message: "Paste the service account's personal access token.".into(),
        }
        .into(),
    )
}

/// The first press of Remove only asks: what the removal stops, and the button that does it.
/// A connection that cannot be removed (unknown, or set in the environment) is refused at once.
async fn ask_remove(
    state: &AppState,
    signed: &SignedIn,
    form: &ConnectionForm,
    by: &str,
) -> Result<Response, Failure> {
    let name = form.name.trim().to_owned();
    let removable = state
        .connections
        .get(&name)
        .await
        .map_err(ConnectionError::from)?
        .is_some_and(|c| !c.read_only);
    if !removable {
        return remove(state, signed, &name, by).await;
    }
    let page = ConfirmPage {
        chrome: Chrome::new(&state.settings, Some(&signed.user)),
        title: format!("Remove the connection {name}?"),
        consequence: format!(
            "Background work, exports and feeds through {name} stop, its feed keys are \
             revoked and its stored credential is deleted. Saving it again later makes new \
             feed keys necessary."
        ),
        action_path: PATH,
        fields: vec![
            ("csrf", signed.user.csrf.clone()),
            ("action", "remove".to_owned()),
            ("name", name.clone()),
        ],
        yes_label: "Remove",
        back_href: format!("{PATH}#connection-{name}"),
    };
    Ok(page.into_response())
}

async fn remove(
    state: &AppState,
    signed: &SignedIn,
    name: &str,
    by: &str,
) -> Result<Response, Failure> {
    state.connections.remove(name, by).await?;
    view::remove_pending(signed).await?;
    let message = format!("The connection `{name}` was removed.");
    Ok(view::flash(signed, view::Flash::ok(message)).await?)
}

async fn verify(
    state: &AppState,
    signed: &SignedIn,
    form: &ConnectionForm,
) -> Result<Response, Failure> {
    let draft = form.draft();
    refuse_refresh_token(&draft)?;
    let pat = form.pat().ok_or_else(pat_missing)?;
    let verified = state.connections.verify(draft, pat).await?;
    view::keep_pending(state, signed, &verified).await?;
    Ok(Redirect::to(PATH).into_response())
}

/// Save: with a PAT in the form, verify and save at once; without, the verified PAT waiting
/// for this name (verified again unless the draft is the one it was verified for), or (a
/// connection's own card) its settings alone.
async fn save(
    state: &AppState,
    signed: &SignedIn,
    form: &ConnectionForm,
    by: &str,
) -> Result<Response, Failure> {
    let draft = form.draft();
    // A refresh-token connection's own card may change its settings; creating one (or giving
    // it new tokens) is Save & authorize.
    if !draft.editing || form.pat().is_some() {
        refuse_refresh_token(&draft)?;
    }
    let connections = &state.connections;
    let pending = view::load_pending(state, signed).await?;
    let outcome = if let Some(pat) = form.pat() {
        let verified = connections.verify(draft, pat).await?;
        connections.save_verified(verified, by).await?
    } else if let Some(p) = pending.filter(|p| p.draft.name == draft.name) {
        // The verification holds for the draft it was made for: a changed environment, email,
        // concurrency or lender is verified again with the waiting PAT.
        let pat = SecretString::from(p.pat);
        let verified = if p.draft == draft {
            VerifiedDraft {
                draft,
                pat,
                verified: p.verified,
                verified_at: p.verified_at,
            }
        } else {
            connections.verify(draft, pat).await?
        };
        connections.save_verified(verified, by).await?
    } else if draft.editing {
        connections.save_settings(&draft, by).await?
    } else {
        let e = FormError {
            field: "pat",
            message: "Nothing to save: verify a PAT first (a verification is kept for 15 minutes)."
                .into(),
        };
        return Err(Failure::Refused(e.into()));
    };
    view::remove_pending(signed).await?;
    let message = match outcome {
        SaveOutcome::Created(n) => format!(
            "Saved. The connection `{n}` was created. {}",
            crate::web::dashboard::trend::first_snapshot_note(
                state.settings.service_account.snapshot_every
            )
        ),
        SaveOutcome::Updated(n) => format!("Saved. The connection `{n}` was updated."),
    };
    Ok(view::flash(signed, view::Flash::ok(message)).await?)
}

fn is_refresh_token(form: &ConnectionForm) -> bool {
    AuthKind::parse(&form.auth) == Some(AuthKind::RefreshToken)
}

/// A refresh-token connection is saved only with Save & authorize; Verify is for PATs.
fn refuse_refresh_token(draft: &Draft) -> Result<(), ConnectionError> {
    if AuthKind::parse(&draft.auth) == Some(AuthKind::RefreshToken) {
        return Err(FormError {
            field: "auth",
            message: "A refresh-token connection is saved with Save & authorize: you then sign in to Filevine as the user it acts as.".into(),
        }
        .into());
    }
    Ok(())
}

/// Save & authorize of a refresh-token connection: saves the draft, then answers 303 to the
/// provider's authorization endpoint (the form posts to a new window), with a pending login
/// marked as this connection's authorization.
async fn authorize(
    state: &AppState,
    pending: &PendingJar,
    form: &ConnectionForm,
    by: &str,
) -> Result<Response, Failure> {
    let name = state
        .connections
        .save_for_authorization(&form.draft(), by)
        .await?;
    let environment = state
        .connections
        .get(name.as_str())
        .await
        .map_err(AppError::from)?
        .map(|c| c.environment)
        .unwrap_or_default();
    let env = state
        .environments
        .get(&environment)
        .ok_or_else(|| AppError::UnknownEnvironment(format!("The connection `{name}` is for the environment `{environment}`, which this app does not serve.")))?;
    let extra = state
        .connections
        .live_scopes_of(name.as_str())
        .await
        .map_err(AppError::from)?;
    let url =
        flow::start_connection_authorization(env, pending, &state.cipher, name.as_str(), &extra)
            .await
            .map_err(AppError::from)?;
    Ok(Redirect::to(url.as_str()).into_response())
}

/// A live check of one connection.
async fn test(state: &AppState, signed: &SignedIn, name: &str) -> Result<Response, AppError> {
    let message = match state.connections.test(name).await? {
        TestOutcome::NothingToTest => {
            view::Flash::problem(format!("There is no usable connection `{name}` to test."))
        }
        TestOutcome::Works(v) => view::Flash::ok(format!(
            "The connection works: `{name}` acts as {}; the current token is valid until {}.",
            v.name,
            state.settings.time_zone.moment(v.token_valid_until).exact
        )),
        TestOutcome::Fails(status, e) => view::Flash::problem(format!(
            "The connection test failed (`{name}`, now {}): {e}",
            status.as_str()
        )),
        TestOutcome::Refused(status, e) => view::Flash::problem(format!(
            "The connection test failed (`{name}`, now {}): {e}",
            status.as_str()
        )),
    };
    view::flash(signed, message).await
}
