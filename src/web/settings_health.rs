//! The health part of `/settings/connections`: each card's status, since when, why (with
//! what to do) and its last checks, the alert channels that are on, and
//! `POST /settings/connections/test-alert`, which sends a test alert (admins only, CSRF).

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};

use super::{
    csrf_form::{CsrfForm, TokenOnly},
    no_access::Admin,
    settings_flash::flash,
    settings_flash::Flash,
};
use crate::{
    state::AppState,
    util::dates::{Shown, Zone},
    web::error::AppError,
};

/// The test alert's route.
pub const TEST_ALERT_PATH: &str = "/settings/connections/test-alert";

/// One connection's health on its card.
pub struct HealthCard {
    /// `ok`, `degraded`, `broken`, or `untested` before the first check.
    pub status: String,
    pub since: Option<Shown>,
    pub reason: String,
    pub checks: Vec<CheckView>,
}

/// One past check.
pub struct CheckView {
    pub at: Shown,
    pub status: String,
    pub reason: String,
}

/// The health of connection `name`, as its card shows it.
pub async fn card(state: &AppState, name: &str, zone: &Zone) -> Result<HealthCard, AppError> {
    let (row, checks) = state.health.card(name).await?;
    let row = row.filter(|r| r.checked_at > 0);
    Ok(HealthCard {
        status: row
            .as_ref()
            .map_or_else(|| "untested".to_owned(), |r| r.health.clone()),
        since: row.as_ref().map(|r| zone.moment(r.since)),
        reason: row.map(|r| r.reason).unwrap_or_default(),
        checks: checks
            .into_iter()
            .map(|c| CheckView {
                at: zone.moment(c.checked_at_ms / 1000),
                status: c.health,
                reason: c.reason,
            })
            .collect(),
    })
}

/// The alert channels that are on, for the page.
pub fn channels(state: &AppState) -> Vec<&'static str> {
    state.health.alerts().channels_on()
}

/// `POST /settings/connections/test-alert`.
pub async fn test_alert(
    State(state): State<AppState>,
    Admin(signed): Admin,
    _: CsrfForm<TokenOnly>,
) -> Result<Response, AppError> {
    let by = signed.user.audit_name();
    let message = if state.health.alerts().test(&by).await? {
        tracing::info!(%by, "test alert queued");
        Flash::ok(format!(
            "Test alert sent ({}). If it does not arrive within a minute, look for `alert delivery failed` in the app's log.",
            channels(&state).join(" and ")
        ))
    } else {
        Flash::problem("No alert channel is configured: set FV_SMTP_URL (with FV_ALERT_FROM and FV_ADMIN_EMAILS) or FV_ALERT_WEBHOOK_URL.")
    };
    Ok(flash(&signed, message).await?.into_response())
}
