//! [`HealthService`]: runs the checks (now, or on the schedule), records them, and decides
//! which alert a check calls for.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{Health, Verdict};
use crate::{
    connections::{
        alerts::Alerts, AuthKind, Connection, ConnectionGateway, ConnectionsService, Status,
    },
    filevine::{AuthedError, GatewayError, OrgContext},
    store::{CheckRow, Db, DbError, HealthRow, CHECKS_KEPT},
    util::{backoff::Backoff, Clock},
};

/// Tries of a check whose failure is passing (the gateway client repeats GETs on its own too).
const TRIES: u32 = 3;
/// Pause before the second try; doubled before each next one.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// A reminder goes out when the last alert of a still broken connection is this old.
const REMINDER_AFTER: i64 = 24 * 3600;
/// The first scheduled round comes this long after start (lets the server come up first).
const FIRST_ROUND: Duration = Duration::from_secs(20);

/// One connection's check.
#[derive(Clone, Debug)]
pub struct Checked {
    pub name: String,
    pub environment: String,
    pub verdict: Verdict,
}

/// A refresh-token connection saved but never authorized yet (its admin is signing in at
/// Filevine): not in service, so neither checked nor alerted about.
fn awaiting_first_authorization(c: &Connection) -> bool {
    c.auth == AuthKind::RefreshToken && !c.has_secret && c.last_success_at.is_none()
}

/// See the module docs of [`super`].
pub struct HealthService {
    connections: Arc<ConnectionsService>,
    db: Db,
    clock: Clock,
    every: Duration,
    alerts: Arc<Alerts>,
    /// Credentials with a known expiry date.
    expiring: Vec<super::Expiring>,
    /// The org and user each connection's `Users/Me` is asked in, learnt from its first
    /// `GetUserOrgsWithToken` and forgotten at any failure.
    contexts: Mutex<HashMap<String, OrgContext>>,
}

impl HealthService {
    pub fn new(
        connections: Arc<ConnectionsService>,
        db: Db,
        clock: Clock,
        (every, expiring): (Duration, Vec<super::Expiring>),
        alerts: Arc<Alerts>,
    ) -> Arc<Self> {
        Arc::new(Self {
            connections,
            db,
            clock,
            every,
            alerts,
            expiring,
            contexts: Mutex::new(HashMap::new()),
        })
    }

    /// Where alerts go.
    pub fn alerts(&self) -> &Arc<Alerts> {
        &self.alerts
    }

    /// The banners the connections page shows today: credentials expiring within 30 days.
    pub async fn expiry_banners(&self) -> Result<Vec<String>, DbError> {
        let today = self.clock.now_utc().date();
        Ok(self
            .expiring()
            .await?
            .iter()
            .filter(|e| e.banner(today))
            .map(|e| e.sentence(today))
            .collect())
    }

    /// The client secret's date and those of the connections' PATs.
    async fn expiring(&self) -> Result<Vec<super::Expiring>, DbError> {
        let mut all = self.expiring.clone();
        let dates = self.db.credential_expiries().await?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        for c in self.connections.list().await? {
            let subject = super::Expiring::pat_subject(c.name.as_str());
            let on = dates.iter().find(|(s, _)| *s == subject);
            if let Some(on) = on.and_then(|(_, d)| time::Date::parse(d, format).ok()) {
                all.push(super::Expiring::pat(c.name.as_str(), &c.email, on));
            }
        }
        Ok(all)
    }

    /// Sends the expiry alert each credential has reached today, once (whichever replica or
    /// command gets there first).
    pub async fn warn_expiring(&self) -> Result<(), DbError> {
        let today = self.clock.now_utc().date();
        let now = self.clock.now_unix();
        for e in &self.expiring().await? {
            let Some(threshold) = e.threshold(today) else {
                continue;
            };
            let on = e.on.to_string();
            if self
                .db
                .expiry_mark((&e.subject, &on), threshold, now)
                .await?
            {
                tracing::warn!(subject = %e.subject, expires_on = %on, "a credential expires soon");
                self.alerts.expiring(&e.what, &e.sentence(today)).await?;
            }
        }
        Ok(())
    }

    /// Checks every connection now (or only `name`), recording each.
    pub async fn check_now(&self, name: Option<&str>) -> Result<Vec<Checked>, DbError> {
        let mut all = self.connections.list().await?;
        all.retain(|c| !awaiting_first_authorization(c));
        if let Some(name) = name {
            all.retain(|c| c.name.as_str() == name);
        }
        let mut out = Vec::new();
        for c in &all {
            out.push(Checked {
                name: c.name.to_string(),
                environment: c.environment.clone(),
                verdict: self.check(c).await?,
            });
        }
        Ok(out)
    }

    /// Checks `c`, records the verdict and sends the alert it calls for.
    pub async fn check(&self, c: &Connection) -> Result<Verdict, DbError> {
        let verdict = self.probe(c).await;
        self.record(c, &verdict).await?;
        Ok(verdict)
    }

    /// The stored verdict of `name` and its last checks, newest first.
    pub async fn card(&self, name: &str) -> Result<(Option<HealthRow>, Vec<CheckRow>), DbError> {
        let row = self.db.health_get(name).await?;
        let checks = self.db.health_checks(name, CHECKS_KEPT).await?;
        Ok((row, checks))
    }

    /// The check itself: a failure that may pass ([`Self::ask`]) is tried again after a
    /// growing pause.
    async fn probe(&self, c: &Connection) -> Verdict {
        if !c.has_secret {
            return Verdict::unusable(c);
        }
        let gw = match self.connections.gateway_for(c).await {
            Ok(Some(gw)) => gw,
            Ok(None) => return Verdict::unusable(c),
            Err(e) => return Verdict::degraded(format!("The database did not answer ({e}).")),
        };
        let mut pause = Backoff::new(FIRST_PAUSE, FIRST_PAUSE * 4);
        let mut tries = 0;
        loop {
            tries += 1;
            let (verdict, passing) = match self.ask(c, &gw).await {
                Ok(()) => return Verdict::ok(),
                Err(e) => e,
            };
            if !passing || tries >= TRIES {
                return verdict;
            }
            tracing::debug!(connection = %c.name, reason = %verdict.reason, "health check failed; trying again");
            tokio::time::sleep(pause.next_wait()).await;
        }
    }

    /// A token and one `Users/Me` (the first time, `GetUserOrgsWithToken` names the org). A
    /// failure comes with whether it may pass: a degraded one, or a gateway 401/403, which
    /// is broken only when it persists (one can race a token being refreshed).
    async fn ask(&self, c: &Connection, gw: &ConnectionGateway) -> Result<(), (Verdict, bool)> {
        let name = c.name.to_string();
        let known = self.context(&name);
        let result = match known {
            Some(ctx) => gw.me(ctx).await.map(|_| ()),
            None => match gw.user_orgs().await {
                Ok(info) => match info.orgs.first() {
                    Some(org) => {
                        let ctx = OrgContext {
                            org_id: org.org_id,
                            user_id: info.user.user_id.native,
                        };
                        self.remember(&name, Some(ctx));
                        gw.me(ctx).await.map(|_| ())
                    }
                    None => return Err((Verdict::broken(
                        "The connection's account belongs to no Filevine organization. Ask a Filevine Account Admin to add the service account to the organization.",
                    ), false)),
                },
                Err(e) => Err(e),
            },
        };
        result.map_err(|e| {
            self.remember(&name, None);
            let verdict = Verdict::of_failure(c, &e);
            let refused = matches!(
                e,
                AuthedError::Gateway(GatewayError::Unauthorized | GatewayError::Forbidden(_))
            );
            let passing = refused || verdict.health == Health::Degraded;
            (verdict, passing)
        })
    }

    fn context(&self, name: &str) -> Option<OrgContext> {
        let map = self.contexts.lock().unwrap_or_else(|p| p.into_inner());
        map.get(name).copied()
    }

    fn remember(&self, name: &str, ctx: Option<OrgContext>) {
        let mut map = self.contexts.lock().unwrap_or_else(|p| p.into_inner());
        match ctx {
            Some(ctx) => map.insert(name.to_owned(), ctx),
            None => map.remove(name),
        };
    }

    /// Stores the verdict, sets the connection's status (which the jobs read) and the metrics,
    /// and sends the alert the change calls for (once, whichever replica gets there first).
    async fn record(&self, c: &Connection, v: &Verdict) -> Result<(), DbError> {
        let name = c.name.as_str();
        let now_ms = self.clock.now().duration_since(std::time::UNIX_EPOCH);
        let now_ms = now_ms.unwrap_or_default().as_millis() as i64;
        let now = now_ms / 1000;
        let before = self.db.health_get(name).await?;
        self.db
            .health_record(name, (v.health.as_str(), &v.reason), now_ms)
            .await?;
        crate::metrics::connection_checked(name, &c.environment, v.health.as_str());
        match v.health {
            Health::Ok => self.connections.record_ok(name).await?,
            Health::Degraded => {
                self.connections
                    .record_error(name, Status::Unreachable, &v.reason)
                    .await?
            }
            Health::Broken => {
                self.connections
                    .record_error(name, Status::NeedsAuthorization, &v.reason)
                    .await?
            }
        }
        let since = before
            .filter(|b| b.health == v.health.as_str())
            .map_or(now, |b| b.since);
        match v.health {
            Health::Broken if self.db.health_mark_alerted(name, "broken", now).await? => {
                tracing::warn!(connection = name, reason = %v.reason, "connection broken");
                self.alerts.broken(c, &v.reason, since).await?;
            }
            Health::Broken
                if self
                    .db
                    .health_mark_reminded(name, now, now - REMINDER_AFTER)
                    .await? =>
            {
                self.alerts.still_broken(c, &v.reason, since).await?;
            }
            Health::Ok if self.db.health_mark_alerted(name, "ok", now).await? => {
                tracing::info!(connection = name, "connection recovered");
                self.alerts.recovered(c).await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The connections this process checks at this tick: those no process checked or claimed
    /// within the last half interval (one atomic claim each, so replicas ticking together
    /// check each connection once).
    async fn due(&self) -> Vec<Connection> {
        let now = self.clock.now_unix();
        let half = (self.every.as_secs() / 2) as i64;
        let Ok(all) = self.connections.list().await else {
            return Vec::new();
        };
        let mut due = Vec::new();
        for c in all.into_iter().filter(|c| !awaiting_first_authorization(c)) {
            match self.db.health_claim(c.name.as_str(), now, now - half).await {
                Ok(true) => due.push(c),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, connection = %c.name, "could not claim a health check")
                }
            }
        }
        due
    }

    /// Starts the scheduled checks: a round every `FV_HEALTH_MINUTES` on the app clock (so a
    /// test that moves the clock makes one due at once). A connection's failed check, or a
    /// database error, never stops the round or the loop.
    pub fn spawn(self: Arc<Self>) {
        tokio::spawn(async move {
            self.clock.sleep(FIRST_ROUND).await;
            loop {
                let started = self.clock.now_unix();
                for c in self.due().await {
                    if let Err(e) = self.check(&c).await {
                        tracing::warn!(error = %e, connection = %c.name, "could not record a health check");
                    }
                }
                if let Err(e) = self.warn_expiring().await {
                    tracing::warn!(error = %e, "could not send the expiry alerts");
                }
                let spent = self.clock.now_unix().saturating_sub(started).max(0) as u64;
                let rest = self.every.saturating_sub(Duration::from_secs(spent));
                self.clock.sleep(rest).await;
            }
        });
    }
}
