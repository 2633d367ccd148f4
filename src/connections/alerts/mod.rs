//! Alerts to the admins: a connection turned broken, recovered, or is still broken a day
//! later, and the test alert an admin sends from the connections page. By email
//! (`FV_SMTP_URL`, to `FV_ADMIN_EMAILS`) and by a JSON POST (`FV_ALERT_WEBHOOK_URL`, a
//! Slack/Teams-compatible `text`); both optional.
//!
//! Every alert goes through the outbox table first ([`crate::store::OutboxRow`], one row per
//! channel) and is delivered from there by [`Alerts::spawn_delivery`] (woken at once, and
//! every [`POLL`] on the app clock), so a channel that is down is logged and retried with a
//! growing pause while the checks go on, and nothing is lost in a restart.
//!
//! Messages are built from the connection's name, environment and email and the check's
//! reason, never from a secret.

mod deliver;

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

use super::Connection;
use crate::{
    config::AlertSettings,
    store::{Db, DbError},
    util::{backoff::step, Clock},
};

pub use deliver::{Channels, DeliveryError};

/// How often the outbox is looked at when nothing woke the worker.
pub const POLL: Duration = Duration::from_secs(30);

/// One message, for every channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub subject: String,
    pub body: String,
}

/// See the module docs.
pub struct Alerts {
    db: Db,
    clock: Clock,
    channels: Channels,
    /// Where an admin fixes a connection, named in every message.
    page_url: String,
    wake: Notify,
}

impl Alerts {
    /// The channels `settings` turns on; `page_url` is the connections page's address.
    pub fn new(settings: &AlertSettings, db: Db, clock: Clock, page_url: String) -> Arc<Self> {
        Arc::new(Self {
            db,
            clock,
            channels: Channels::new(settings),
            page_url,
            wake: Notify::new(),
        })
    }

    /// The channels on (`email`, `webhook`), for `check` and the page.
    pub fn channels_on(&self) -> Vec<&'static str> {
        self.channels.names()
    }

    /// `c` turned broken for `reason` at `since`.
    pub async fn broken(&self, c: &Connection, reason: &str, since: i64) -> Result<(), DbError> {
        let subject = format!("Connection {} is broken", c.name);
        let body = format!(
            "The Filevine connection \"{}\" (environment {}) stopped working at {}.\n\n{}\n\nBackground work through it (snapshots, feeds) is paused and resumes by itself once it is fixed.\n\nConnections: {}",
            c.name,
            c.environment,
            moment(since),
            reason,
            self.page_url
        );
        self.send(Alert { subject, body }).await
    }

    /// `c` is still broken a day (or more) after the last alert.
    pub async fn still_broken(
        &self,
        c: &Connection,
        reason: &str,
        since: i64,
    ) -> Result<(), DbError> {
        let subject = format!("Reminder: connection {} is still broken", c.name);
        let body = format!(
            "The Filevine connection \"{}\" (environment {}) has been broken since {}.\n\n{}\n\nBackground work through it stays paused until it is fixed.\n\nConnections: {}",
            c.name,
            c.environment,
            moment(since),
            reason,
            self.page_url
        );
        self.send(Alert { subject, body }).await
    }

    /// `c` works again.
    pub async fn recovered(&self, c: &Connection) -> Result<(), DbError> {
        let subject = format!("Connection {} recovered", c.name);
        let body = format!(
            "The Filevine connection \"{}\" (environment {}) works again as of {}. Paused background work has resumed; nothing more to do.\n\nConnections: {}",
            c.name,
            c.environment,
            moment(self.clock.now_unix()),
            self.page_url
        );
        self.send(Alert { subject, body }).await
    }

    /// A credential expires soon (or has): `sentence` says what, when and what to do.
    pub async fn expiring(&self, what: &str, sentence: &str) -> Result<(), DbError> {
        let subject = format!("{what} expires soon");
        let body = format!("{sentence}\n\nConnections: {}", self.page_url);
        self.send(Alert { subject, body }).await
    }

    /// The test alert an admin asked for; `false` when no channel is on.
    pub async fn test(&self, by: &str) -> Result<bool, DbError> {
        if self.channels.names().is_empty() {
            return Ok(false);
        }
        let body = format!(
            "This is a test alert from fv-partner-app, sent by {by} at {}. Alerts about connections that break, recover or stay broken arrive like this one.\n\nConnections: {}",
            moment(self.clock.now_unix()),
            self.page_url
        );
        self.send(Alert {
            subject: "Test alert".into(),
            body,
        })
        .await?;
        Ok(true)
    }

    /// Queues `alert` on every channel that is on and wakes the delivery.
    async fn send(&self, alert: Alert) -> Result<(), DbError> {
        let now = self.clock.now_unix();
        for channel in self.channels.names() {
            let subject = format!("[fv-partner-app] {}", alert.subject);
            self.db
                .outbox_put(channel, (&subject, &alert.body), now)
                .await?;
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Delivers every due alert once (claimed one by one, so replicas share the work); a
    /// failure is logged and the row is due again after a growing pause. Returns how many
    /// were delivered.
    pub async fn deliver_due(&self) -> Result<usize, DbError> {
        let now = self.clock.now_unix();
        let mut sent = 0;
        for row in self.db.outbox_due(now).await? {
            if !self.db.outbox_claim(&row, now + CLAIM_SECS).await? {
                continue;
            }
            match self
                .channels
                .deliver(&row.channel, &row.subject, &row.body)
                .await
            {
                Ok(()) => {
                    self.db.outbox_sent(&row.id, now).await?;
                    crate::metrics::alert_delivery(&row.channel, "sent");
                    tracing::info!(channel = %row.channel, subject = %row.subject, "alert sent");
                    sent += 1;
                }
                Err(e) => {
                    let next = now + retry_pause(row.attempts);
                    crate::metrics::alert_delivery(&row.channel, "failed");
                    tracing::warn!(channel = %row.channel, attempt = row.attempts + 1, error = %e, retry_in_s = next - now, "alert delivery failed; it will be retried");
                    self.db.outbox_failed(&row.id, next, &e.to_string()).await?;
                }
            }
        }
        Ok(sent)
    }

    /// Starts the delivery worker (nothing to start when no channel is on).
    pub fn spawn_delivery(self: Arc<Self>) {
        if self.channels.names().is_empty() {
            tracing::info!("alerts are off: set FV_SMTP_URL or FV_ALERT_WEBHOOK_URL");
            return;
        }
        tokio::spawn(async move {
            loop {
                if let Err(e) = self.deliver_due().await {
                    tracing::warn!(error = %e, "could not read the alert outbox");
                }
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = self.clock.sleep(POLL) => {}
                }
            }
        });
    }
}

/// How long a claimed delivery is another process's to retry if this one dies.
const CLAIM_SECS: i64 = 120;

/// The pause after failed attempt number `attempts + 1`: 30 s, doubled, at most an hour (the
/// app's backoff schedule without jitter: the time is stored and shown).
fn retry_pause(attempts: i64) -> i64 {
    let attempt = attempts.clamp(0, 16) as u32;
    step(Duration::from_secs(30), Duration::from_secs(3600), attempt).as_secs() as i64
}

/// A moment as `2026-12-08 14:05 UTC`.
fn moment(unix: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(fmt).ok())
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(super::retry_pause(0), 30);
        assert_eq!(super::retry_pause(1), 60);
        assert_eq!(super::retry_pause(6), 1920);
        assert_eq!(super::retry_pause(7), 3600);
        assert_eq!(super::retry_pause(40), 3600);
    }
}
