//! Connection health ([`crate::connections::health`]): each connection's current verdict
//! (`ok`, `degraded`, `broken`, since when, why), its last [`CHECKS_KEPT`] checks, which
//! replica claimed the current interval's check, and which state was last alerted. The claim
//! and the alert marks are single conditional writes, so of several replicas exactly one
//! checks a connection per interval and exactly one sends each alert.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

/// Checks kept per connection.
pub const CHECKS_KEPT: i64 = 50;

/// A connection's current verdict. `health` is `untested` until its first check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthRow {
    pub connection: String,
    pub health: String,
    pub reason: String,
    /// Unix seconds since the health is what it is.
    pub since: i64,
    /// Unix seconds of the last check (0: never).
    pub checked_at: i64,
    /// The state last alerted (`ok` or `broken`) and when.
    pub alerted: String,
    pub alerted_at: i64,
}

/// One check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckRow {
    pub checked_at_ms: i64,
    pub health: String,
    pub reason: String,
}

const COLUMNS: &str = "connection, health, reason, since, checked_at, alerted, alerted_at";

/// A row of `fv_connection_health` (a macro: the row type differs per backend).
macro_rules! health_row {
    ($r:expr) => {
        HealthRow {
            connection: $r.get("connection"),
            health: $r.get("health"),
            reason: $r.get("reason"),
            since: $r.get("since"),
            checked_at: $r.get("checked_at"),
            alerted: $r.get("alerted"),
            alerted_at: $r.get("alerted_at"),
        }
    };
}

impl Db {
    /// Claims the check of `connection` at `now` unless a process claimed it after
    /// `not_before`: one atomic upsert, so of replicas ticking together one gets `true`.
    pub async fn health_claim(
        &self,
        connection: &str,
        now: i64,
        not_before: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "INSERT INTO fv_connection_health
            (connection, health, reason, since, checked_at, claimed_at, alerted, alerted_at)
            VALUES ($1, 'untested', '', $2, 0, $2, 'ok', 0)
            ON CONFLICT (connection) DO UPDATE SET claimed_at = excluded.claimed_at
            WHERE fv_connection_health.claimed_at <= $3";
        let n = on_db!(self, SQL, [connection, now, not_before], execute, |r| r
            .rows_affected())?;
        Ok(n == 1)
    }

    /// Records a check: the verdict (its `since` kept while the health stays the same) and
    /// the check itself, keeping the last [`CHECKS_KEPT`].
    pub async fn health_record(
        &self,
        connection: &str,
        (health, reason): (&str, &str),
        at_ms: i64,
    ) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_connection_health
            (connection, health, reason, since, checked_at, claimed_at, alerted, alerted_at)
            VALUES ($1, $2, $3, $4, $4, 0, 'ok', 0)
            ON CONFLICT (connection) DO UPDATE SET
            since = CASE WHEN fv_connection_health.health = excluded.health
                THEN fv_connection_health.since ELSE excluded.since END,
            health = excluded.health, reason = excluded.reason,
            checked_at = excluded.checked_at";
        const CHECK: &str =
            "INSERT INTO fv_health_checks (id, connection, checked_at_ms, health, reason)
            VALUES ($1, $2, $3, $4, $5)";
        const TRIM: &str = "DELETE FROM fv_health_checks WHERE connection = $1 AND id NOT IN
            (SELECT id FROM fv_health_checks WHERE connection = $1
             ORDER BY checked_at_ms DESC, id DESC LIMIT $2)";
        let at = at_ms / 1000;
        on_db!(self, SQL, [connection, health, reason, at], execute, |_| ())?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        on_db!(
            self,
            CHECK,
            [id, connection, at_ms, health, reason],
            execute,
            |_| ()
        )?;
        on_db!(self, TRIM, [connection, CHECKS_KEPT], execute, |_| ())?;
        Ok(())
    }

    /// The verdict of `connection`, if it was ever checked or claimed.
    pub async fn health_get(&self, connection: &str) -> Result<Option<HealthRow>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM fv_connection_health WHERE connection = $1");
        Ok(on_db!(
            self,
            sql.as_str(),
            [connection],
            fetch_optional,
            |r| r.map(|r| health_row!(r))
        )?)
    }

    /// The last `limit` checks of `connection`, newest first.
    pub async fn health_checks(
        &self,
        connection: &str,
        limit: i64,
    ) -> Result<Vec<CheckRow>, DbError> {
        const SQL: &str = "SELECT checked_at_ms, health, reason FROM fv_health_checks
            WHERE connection = $1 ORDER BY checked_at_ms DESC, id DESC LIMIT $2";
        Ok(on_db!(self, SQL, [connection, limit], fetch_all, |rows| {
            rows.into_iter()
                .map(|r| CheckRow {
                    checked_at_ms: r.get("checked_at_ms"),
                    health: r.get("health"),
                    reason: r.get("reason"),
                })
                .collect()
        })?)
    }

    /// Marks `to` (`broken` or `ok`) as alerted for `connection` unless it already is: `true`
    /// for the one caller that should send the alert.
    pub async fn health_mark_alerted(
        &self,
        connection: &str,
        to: &str,
        now: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE fv_connection_health SET alerted = $2, alerted_at = $3
            WHERE connection = $1 AND alerted <> $2";
        let n = on_db!(self, SQL, [connection, to, now], execute, |r| r
            .rows_affected())?;
        Ok(n == 1)
    }

    /// Marks the expiry alert of `subject` expiring `on` at `threshold` days as sent: `true`
    /// for the one caller that should send it.
    pub async fn expiry_mark(
        &self,
        (subject, on): (&str, &str),
        threshold: i64,
        now: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "INSERT INTO fv_expiry_alerts (subject, expires_on, threshold, sent_at)
            VALUES ($1, $2, $3, $4) ON CONFLICT (subject, expires_on, threshold) DO NOTHING";
        let n = on_db!(self, SQL, [subject, on, threshold, now], execute, |r| r
            .rows_affected())?;
        Ok(n == 1)
    }

    /// Sets (or, with `None`, forgets) when `subject` expires (`YYYY-MM-DD`).
    pub async fn credential_expiry_set(
        &self,
        subject: &str,
        expires_on: Option<&str>,
    ) -> Result<(), DbError> {
        const SET: &str = "INSERT INTO fv_credential_expiry (subject, expires_on) VALUES ($1, $2)
            ON CONFLICT (subject) DO UPDATE SET expires_on = excluded.expires_on";
        const FORGET: &str = "DELETE FROM fv_credential_expiry WHERE subject = $1";
        match expires_on {
            Some(on) => on_db!(self, SET, [subject, on], execute, |_| ())?,
            None => on_db!(self, FORGET, [subject], execute, |_| ())?,
        }
        Ok(())
    }

    /// Every `(subject, expires_on)` known.
    pub async fn credential_expiries(&self) -> Result<Vec<(String, String)>, DbError> {
        const SQL: &str = "SELECT subject, expires_on FROM fv_credential_expiry ORDER BY subject";
        Ok(on_db!(self, SQL, [], fetch_all, |rows| rows
            .into_iter()
            .map(|r| (r.get("subject"), r.get("expires_on")))
            .collect())?)
    }

    /// Moves the last alert of a still broken `connection` to `now` if it was sent at or
    /// before `not_after`: `true` for the one caller that should send the reminder.
    pub async fn health_mark_reminded(
        &self,
        connection: &str,
        now: i64,
        not_after: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE fv_connection_health SET alerted_at = $2
            WHERE connection = $1 AND alerted = 'broken' AND alerted_at <= $3";
        let n = on_db!(self, SQL, [connection, now, not_after], execute, |r| r
            .rows_affected())?;
        Ok(n == 1)
    }
}
