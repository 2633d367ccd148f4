//! Live updates through a connection: a Filevine webhook subscription for the connection's
//! org, pointing at `FV_PUBLIC_URL` + [`WEBHOOK_PATH`], for the project events the app uses
//! ([`LIVE_EVENTS`], looked up in Filevine's catalogue by object and type: the ids are
//! Filevine's, never guessed).
//!
//! What the admin wants is stored first (`on`/`off`), then Filevine is asked, by one caller at
//! a time per connection whichever replica it runs on (a lease on the row: two admins
//! pressing at once make one subscription); a call that fails (401, 403, 429, 5xx, no answer)
//! leaves its plain-words reason on the row for the card, and
//! [`ConnectionsService::reconcile_live`] tries again after [`RETRY_EVERY`], then after twice
//! as long at each further failure up to [`RETRY_AT_MOST`] (a 403 that stays is not asked
//! every minute forever; the card says when the next try is). At start and every
//! [`RECONCILE_EVERY`] it checks every subscription. Reconciling also re-creates a
//! subscription Filevine no longer has and moves one whose endpoint differs from
//! `FV_PUBLIC_URL`. A connection with live updates on asks for the `filevine.v2.webhooks`
//! scope with its token (see `apply_row`).

use std::time::Duration;

use super::{
    live_calls::{subscribe, unsubscribe},
    service::ConnectionsService,
    Connection,
};
use crate::{
    filevine::{webhooks::WEBHOOKS_SCOPE, AuthedError, GatewayError},
    store::{DbError, LiveSubscriptionRow},
};

/// Where Filevine posts deliveries, under `FV_PUBLIC_URL`.
pub const WEBHOOK_PATH: &str = "/webhooks/filevine";
/// The events subscribed to: what changes a project's figures.
pub const LIVE_EVENTS: [(&str, &str); 7] = [
    ("Project", "Created"),
    ("Project", "Updated"),
    ("Project", "PhaseChanged"),
    ("Project", "Archived"),
    ("Project", "Deleted"),
    ("Project_Member", "Added"),
    ("Project_Member", "Removed"),
];
/// Reconcile interval while every subscription is as wanted.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(3600);
/// Retry interval after a subscription call failed once (doubled at each further failure).
pub const RETRY_EVERY: Duration = Duration::from_secs(60);
/// The longest wait between automatic retries.
pub const RETRY_AT_MOST: Duration = Duration::from_secs(3600);
/// How long a caller may hold a row's lease while it talks to Filevine.
const LEASE: Duration = Duration::from_secs(60);
/// The subscription's name at Filevine.
pub(super) const SUBSCRIPTION_NAME: &str = "fv-partner-app live updates";
/// What the card says while the connection itself is broken.
const PAUSED: &str = "Paused while this connection is broken (see its health); resumes by itself once it works again.";

/// Why live updates could not even be asked for.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("Live updates need FV_PUBLIC_URL: set it to the https address the world reaches this app at (Filevine posts to it + /webhooks/filevine), then restart.")]
    NoPublicUrl,
    #[error("There is no connection `{0}`.")]
    NoConnection(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What a live_on or live_off did at Filevine.
pub enum LiveOutcome {
    Done,
    /// Another request (here or on another replica) is talking to Filevine for this
    /// connection right now: what it does shows on the card.
    Busy,
    /// Stored; Filevine's side failed and will be retried. The reason, in plain words.
    Owed(String),
}

/// What a card shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveState {
    Off,
    On,
    /// Wanted on, not subscribed yet (a call failed; retried).
    Subscribing,
    /// Wanted off, the delete failed (retried).
    Unsubscribing,
}

impl LiveState {
    pub fn of(row: Option<&LiveSubscriptionRow>) -> Self {
        match row {
            None => LiveState::Off,
            Some(r)
                if r.wanted == "on" && r.subscription_id.is_some() && r.last_error.is_none() =>
            {
                LiveState::On
            }
            Some(r) if r.wanted == "on" => LiveState::Subscribing,
            Some(r) if r.subscription_id.is_some() => LiveState::Unsubscribing,
            Some(_) => LiveState::Off,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Off => "off",
            LiveState::On => "on",
            LiveState::Subscribing => "subscribing (retrying)",
            LiveState::Unsubscribing => "unsubscribing (retrying)",
        }
    }
}

/// A failed subscription call, in words an admin can act on (never a token).
pub(super) fn plain<E: std::fmt::Display>(e: &AuthedError<E>) -> String {
    match e {
        AuthedError::Token(t) => format!("The connection has no token: {t}"),
        AuthedError::Gateway(GatewayError::Forbidden(m)) if m.contains(WEBHOOKS_SCOPE) => format!(
            "This connection's token lacks the {WEBHOOKS_SCOPE} scope, so Filevine refuses webhook subscriptions. Ask Filevine to allow {WEBHOOKS_SCOPE} for this app's client; a refresh-token connection then needs Save & authorize again (which asks for it)."
        ),
        AuthedError::Gateway(GatewayError::Unauthorized) => {
            "Filevine refused the connection's token (401): press Test; retried automatically."
                .into()
        }
        AuthedError::Gateway(GatewayError::RateLimited { .. }) => {
            "Filevine is rate-limiting this app (429): retried automatically.".into()
        }
        AuthedError::Gateway(g @ GatewayError::Server { status, .. }) => {
            format!("Filevine's gateway failed ({status}): retried automatically. {g}")
        }
        AuthedError::Gateway(g) => format!("{} Retried automatically.", g.user_message().1),
    }
}

impl ConnectionsService {
    /// Where Filevine should post deliveries, when `FV_PUBLIC_URL` is set.
    pub fn webhook_endpoint(&self) -> Option<String> {
        let base = self.public_url.as_ref()?;
        Some(format!(
            "{}{WEBHOOK_PATH}",
            base.as_str().trim_end_matches('/')
        ))
    }

    /// The scopes connection `name`'s authorization must ask for beyond `FV_SCOPES`: the
    /// webhooks scope while its live updates are on (or a subscription is still to delete).
    pub async fn live_scopes_of(&self, name: &str) -> Result<Vec<String>, DbError> {
        let Some(c) = self.get(name).await? else {
            return Ok(Vec::new());
        };
        let row = self.db.live_subscription(&c.id).await?;
        let wanted = row.is_some_and(|r| r.wanted == "on" || r.subscription_id.is_some());
        Ok(if wanted {
            vec![WEBHOOKS_SCOPE.to_owned()]
        } else {
            Vec::new()
        })
    }

    /// Every connection's live-updates row.
    pub async fn live_rows(&self) -> Result<Vec<LiveSubscriptionRow>, DbError> {
        self.db.live_subscriptions().await
    }

    /// Turns live updates on for `name`: stored as wanted, then subscribed.
    pub async fn live_on(&self, name: &str, by: &str) -> Result<LiveOutcome, LiveError> {
        let endpoint = self.webhook_endpoint().ok_or(LiveError::NoPublicUrl)?;
        let c = self.live_connection(name).await?;
        // Stored first, so the token source asks for the webhooks scope from now on.
        self.want(&c, "on").await?;
        self.refresh_live().await?;
        let outcome = self.sync_leased(&c, &endpoint, |_| true).await?;
        let what = match &outcome {
            LiveOutcome::Done => format!("turned live updates on (webhooks to {endpoint})"),
            LiveOutcome::Busy => "turned live updates on (another request was at it)".into(),
            LiveOutcome::Owed(_) => "turned live updates on (Filevine not reached yet)".into(),
        };
        self.audit(name, by, &what).await?;
        Ok(outcome)
    }

    /// Turns live updates off for `name`: the subscription is deleted at Filevine.
    pub async fn live_off(&self, name: &str, by: &str) -> Result<LiveOutcome, LiveError> {
        let c = self.live_connection(name).await?;
        if self.db.live_subscription(&c.id).await?.is_none() {
            return Ok(LiveOutcome::Done);
        }
        self.want(&c, "off").await?;
        let endpoint = self.webhook_endpoint().unwrap_or_default();
        let outcome = self.sync_leased(&c, &endpoint, |_| true).await?;
        self.audit(name, by, "turned live updates off").await?;
        Ok(outcome)
    }

    /// Stores what the admin wants of `c`'s live updates (nothing Filevine said is touched).
    async fn want(&self, c: &Connection, wanted: &str) -> Result<(), DbError> {
        let row = LiveSubscriptionRow {
            connection_id: c.id.clone(),
            connection: c.name.to_string(),
            environment: c.environment.clone(),
            wanted: wanted.into(),
            updated_at: self.clock.now_unix(),
            ..Default::default()
        };
        self.db.live_subscription_want(&row).await
    }

    /// Takes `c`'s row's lease, reads the row afresh (another caller may just have
    /// subscribed) and, when `due` still holds of it, makes Filevine match it.
    /// [`LiveOutcome::Busy`] when another caller holds the lease.
    async fn sync_leased(
        &self,
        c: &Connection,
        endpoint: &str,
        due: impl Fn(&LiveSubscriptionRow) -> bool,
    ) -> Result<LiveOutcome, DbError> {
        let now = self.clock.now_unix();
        let until = now + LEASE.as_secs() as i64;
        if !self.db.live_subscription_lease(&c.id, now, until).await? {
            return Ok(LiveOutcome::Busy);
        }
        let Some(mut row) = self.db.live_subscription(&c.id).await? else {
            return Ok(LiveOutcome::Done);
        };
        if !due(&row) {
            // Done meanwhile by whoever held the lease before: written back as read.
            self.db.live_subscription_put(&row).await?;
            return Ok(LiveOutcome::Done);
        }
        self.sync(c, &mut row, endpoint).await
    }

    /// Before connection `c` is removed: deletes its subscription (one try: its token goes
    /// with it) and forgets its row. Returns the failure to report, if any.
    pub(super) async fn live_forget(&self, c: &Connection) -> Result<Option<String>, DbError> {
        let Some(mut row) = self.db.live_subscription(&c.id).await? else {
            return Ok(None);
        };
        row.wanted = "off".into();
        let outcome = self.sync(c, &mut row, "").await?;
        self.db.live_subscription_delete(&c.id).await?;
        Ok(match outcome {
            LiveOutcome::Done | LiveOutcome::Busy => None,
            LiveOutcome::Owed(why) => Some(why),
        })
    }

    /// Makes every subscription what its row wants (see the module docs); unless `full`, only
    /// those whose last call failed and whose retry is due. Returns whether a call is still
    /// owed.
    pub async fn reconcile_live(&self, full: bool) -> Result<bool, DbError> {
        let rows = self.db.live_subscriptions().await?;
        let connections = self.list().await?;
        let endpoint = self.webhook_endpoint();
        let mut owed = false;
        let now = self.clock.now_unix();
        let due = |row: &LiveSubscriptionRow| {
            full || (row.last_error.is_some() && row.retry_at.is_none_or(|t| t <= now))
        };
        for row in rows {
            if !due(&row) {
                continue;
            }
            let Some(c) = connections.iter().find(|c| c.id == row.connection_id) else {
                self.db.live_subscription_delete(&row.connection_id).await?;
                continue;
            };
            let Some(endpoint) = endpoint.as_deref().or((row.wanted == "off").then_some("")) else {
                tracing::warn!(connection = %c.name, "live updates are on but FV_PUBLIC_URL is not set: the subscription is left as it is");
                continue;
            };
            // Another replica (or an admin's press) working on the same row does this one.
            if let LiveOutcome::Owed(why) = self.sync_leased(c, endpoint, due).await? {
                tracing::warn!(connection = %c.name, reason = %why, "a webhook subscription call failed; it will be retried");
                owed = true;
            }
        }
        Ok(owed)
    }

    async fn live_connection(&self, name: &str) -> Result<Connection, LiveError> {
        self.get(name)
            .await?
            .ok_or_else(|| LiveError::NoConnection(name.to_owned()))
    }

    /// Asks Filevine for what `row` wants, then stores the row (with the failure, if any).
    async fn sync(
        &self,
        c: &Connection,
        row: &mut LiveSubscriptionRow,
        endpoint: &str,
    ) -> Result<LiveOutcome, DbError> {
        let now = self.clock.now_unix();
        let result = match self.gateway_for(c).await? {
            // A broken connection's calls would only fail: paused, retried with the others.
            _ if c.needs_authorization() => Err(PAUSED.to_owned()),
            None => Err("The connection has no usable secret: save it again.".to_owned()),
            Some(gw) if row.wanted == "on" => subscribe(&gw, row, endpoint).await,
            Some(gw) => unsubscribe(&gw, row).await,
        };
        row.updated_at = now;
        let outcome = match result {
            Ok(()) => {
                row.last_error = None;
                row.last_error_at = None;
                row.failures = 0;
                row.retry_at = None;
                LiveOutcome::Done
            }
            Err(why) => {
                row.last_error = Some(why.clone());
                row.last_error_at = Some(now);
                row.failures += 1;
                row.retry_at = Some(now + retry_after(row.failures).as_secs() as i64);
                LiveOutcome::Owed(why)
            }
        };
        if row.wanted == "off" && row.subscription_id.is_none() {
            self.db.live_subscription_delete(&row.connection_id).await?;
            // Its token stops asking for the webhooks scope.
            self.refresh_live().await?;
        } else {
            self.db.live_subscription_put(row).await?;
        }
        Ok(outcome)
    }
}

/// The wait before the next automatic try after `failures` failed calls in a row:
/// [`RETRY_EVERY`], doubled at each further failure, at most [`RETRY_AT_MOST`] (the app's
/// backoff schedule without jitter: the time is stored and shown on the card).
pub fn retry_after(failures: i64) -> Duration {
    let doublings = u32::try_from(failures.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    crate::util::backoff::step(RETRY_EVERY, RETRY_AT_MOST, doublings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        let mins: Vec<u64> = (1..=8).map(|f| retry_after(f).as_secs() / 60).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(retry_after(i64::MAX), RETRY_AT_MOST);
    }
}
