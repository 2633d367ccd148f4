//! `GET /account/sessions` + `POST`: the signed-in user's sessions, and signing out one of the
//! others or all of them (CSRF-checked; the form names sessions by opaque handles, see
//! [`crate::auth::sessions::listing`]).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};

use super::{csrf_form::CsrfForm, extract::SignedIn, templates::Chrome};
use crate::{
    auth::{
        session,
        sessions::listing::{self, ListingError, Target},
    },
    state::AppState,
    store::HashedIds,
    util::dates::Shown,
    web::error::AppError,
};

const PATH: &str = "/account/sessions";

/// One row of the page.
pub struct SessionRow {
    pub handle: String,
    pub current: bool,
    pub browser: String,
    pub started: Shown,
    pub last_seen: String,
}

/// The page.
#[derive(Template, WebTemplate)]
#[template(path = "account_sessions.html")]
pub struct SessionsPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub sessions: Vec<SessionRow>,
    pub others: usize,
    pub notice: Option<String>,
}

/// Last use, as coarse as it is recorded (the session writes it at most once a minute).
fn coarse_ago(now: i64, then: i64) -> String {
    match (now - then).max(0) {
        s if s < 120 => "in the last few minutes".to_owned(),
        s if s < 3600 => format!("about {} minutes ago", s / 60),
        s if s < 2 * 86400 => format!("about {} hours ago", s / 3600),
        s => format!("about {} days ago", s / 86400),
    }
}

/// `GET /account/sessions`.
pub async fn page(State(state): State<AppState>, signed: SignedIn) -> Result<Response, AppError> {
    let notice: Option<String> = session::take_once(&signed.session, NOTICE_KEY).await?;
    let now = state.clock.now_unix();
    let viewer = listing::Viewer {
        user: &signed.user,
        stored_id: signed.session.id().map(|id| {
            HashedIds::new((), &state.settings.db.secret_key)
                .stored_id(&id)
                .to_string()
        }),
        lifetime: state.settings.session.absolute_timeout,
    };
    let sessions: Vec<SessionRow> = listing::list(&state.db, &viewer, now)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            handle: s.handle,
            current: s.current,
            browser: s.browser.unwrap_or_else(|| "Unknown browser".to_owned()),
            started: state.settings.time_zone.moment(s.started_at),
            last_seen: coarse_ago(now, s.last_seen),
        })
        .collect();
    let others = sessions.iter().filter(|s| !s.current).count();
    Ok(SessionsPage {
        chrome: Chrome::new(&state.settings, Some(&signed.user)),
        csrf: signed.user.csrf.clone(),
        sessions,
        others,
        notice,
    }
    .into_response())
}

/// The page's forms.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SessionsForm {
    /// `sign_out` (with `session`) or `sign_out_others`.
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub session: String,
}

const NOTICE_KEY: &str = "fv.sessions.notice";

/// `POST /account/sessions`: CSRF-checked, then back to the page with what happened.
pub async fn submit(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(form): CsrfForm<SessionsForm>,
) -> Result<Response, AppError> {
    let target = match form.action.as_str() {
        "sign_out" => Target::One(&form.session),
        "sign_out_others" => Target::AllOthers,
        _ => return Err(AppError::BadRequest("unknown action")),
    };
    let now = state.clock.now_unix();
    let ended = listing::sign_out(
        &state.db,
        &state.vault,
        &state.environments,
        &signed.user,
        target,
        now,
    )
    .await;
    let revoked = state
        .environments
        .get(&signed.user.environment)
        .is_some_and(|env| env.oidc.can_revoke());
    let notice = match ended {
        Ok(n) => signed_out_notice(n, revoked),
        Err(ListingError::UnknownHandle) => {
            return Err(AppError::BadRequest(
                "that session is not one of yours, or has already ended",
            ))
        }
        Err(ListingError::Db(e)) => return Err(e.into()),
    };
    signed.session.insert(NOTICE_KEY, notice).await?;
    Ok(Redirect::to(PATH).into_response())
}

/// What the page says after ending `n` sessions. Without a revocation endpoint at the
/// provider, their refresh tokens are deleted here but stay valid at Filevine until they
/// expire: someone ending a session they suspect was stolen should know that.
fn signed_out_notice(n: usize, revoked: bool) -> String {
    let ended = if n == 1 {
        "1 session signed out.".to_owned()
    } else {
        format!("{n} sessions signed out.")
    };
    if revoked || n == 0 {
        ended
    } else {
        format!("{ended} The provider offers no token revocation: signed out of this app, not at Filevine.")
    }
}
