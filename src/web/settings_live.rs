//! "Live updates" on a connection's card of `/settings/connections`: the buttons
//! `action=live_on` / `action=live_off` (with the card's `csrf` and `name`) and what the card
//! shows (the subscription's state, its last failure, the last delivery, refused deliveries).
//! The rules are in [`crate::connections::live_updates`].

use axum::response::Response;

use super::{extract::SignedIn, settings_view as view};
use crate::{
    connections::live_updates::{LiveError, LiveOutcome, LiveState},
    state::AppState,
    store::LiveSubscriptionRow,
    util::dates::{Shown, Zone},
    web::error::AppError,
};

/// The live-updates part of a card.
pub struct LiveView {
    pub state: &'static str,
    pub on: bool,
    pub endpoint: Option<String>,
    pub error: Option<String>,
    pub error_at: Option<Shown>,
    /// When the next automatic try after a failure is due.
    pub retry_at: Option<Shown>,
    pub last_delivery: Option<Shown>,
    pub refused: i64,
}

impl LiveView {
    /// The view of connection `id` among `rows`.
    pub fn of(id: &str, rows: &[LiveSubscriptionRow], zone: &Zone) -> Self {
        let row = rows.iter().find(|r| r.connection_id == id);
        let state = LiveState::of(row);
        LiveView {
            state: state.as_str(),
            on: matches!(state, LiveState::On | LiveState::Subscribing),
            endpoint: row.and_then(|r| r.endpoint.clone()),
            error: row.and_then(|r| r.last_error.clone()),
            error_at: row.and_then(|r| r.last_error_at).map(|t| zone.moment(t)),
            retry_at: row
                .filter(|r| r.last_error.is_some())
                .and_then(|r| r.retry_at)
                .map(|t| zone.moment(t)),
            last_delivery: row.and_then(|r| r.last_delivery_at).map(|t| zone.moment(t)),
            refused: row.map_or(0, |r| r.refused_deliveries),
        }
    }
}

/// `action=live_on` or `action=live_off` (the caller checked CSRF and admin rights).
pub async fn toggle(
    state: &AppState,
    signed: &SignedIn,
    name: &str,
    on: bool,
    by: &str,
) -> Result<Response, AppError> {
    let result = if on {
        state.connections.live_on(name, by).await
    } else {
        state.connections.live_off(name, by).await
    };
    let message = match result {
        Ok(LiveOutcome::Done) if on => view::Flash::ok(format!(
            "Live updates are on for `{name}`: Filevine posts project changes to this app."
        )),
        Ok(LiveOutcome::Done) => view::Flash::ok(format!("Live updates are off for `{name}`.")),
        Ok(LiveOutcome::Busy) => view::Flash::ok(format!(
            "Live updates of `{name}` are being changed by another request right now; its result shows here in a moment."
        )),
        Ok(LiveOutcome::Owed(why)) => {
            tracing::info!(connection = name, reason = %why, "a webhook subscription call failed");
            view::Flash::problem(format!(
                "Filevine did not take the change yet (`{name}`): {why}"
            ))
        }
        Err(LiveError::Db(e)) => return Err(e.into()),
        Err(refused) => {
            tracing::info!(connection = name, reason = %refused, "live updates refused");
            view::Flash::problem(refused.to_string())
        }
    };
    view::flash(signed, message).await
}
