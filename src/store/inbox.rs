//! The webhook inbox: every accepted Filevine delivery, written before the sender is answered,
//! so a delivery that got a 2xx survives a crash and is applied after the restart. A row is
//! `pending` until the worker applies it ([`Db::inbox_mark_applied`] moves it on exactly once,
//! whichever replica asks first), or is stored already settled as `ignored_event` (a type the
//! app does not use) or `unserved_org` (no user or connection of this app is in that org),
//! kept so a duplicate of it is still recognised and the refusals can be counted.
//!
//! Duplicates are refused by the database, so two replicas handed one delivery cannot both
//! store it: the token's `jti` is unique per environment, and a body is unique per environment,
//! org and day (plus a look back over the previous 24 hours across the day's boundary).
//!
//! Also here: the orgs this app serves ([`Db::served_org_note`]), recorded when a user signs
//! in to one, so a delivery for an org nobody here works in is recognised.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

const DAY: i64 = 86_400;

/// A delivery to store.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    pub environment: &'a str,
    pub org_id: i64,
    pub jti: Option<&'a str>,
    /// Hex SHA-256 of the body as received.
    pub body_hash: &'a str,
    /// `Object.Event`, e.g. `Project.PhaseChanged` (bounded by the receiver).
    pub event: &'a str,
    pub project_id: Option<i64>,
    pub body: &'a str,
    pub received_at: i64,
    /// `pending`, `ignored_event` or `unserved_org`.
    pub outcome: &'a str,
}

/// A stored delivery as the worker and tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub id: i64,
    pub environment: String,
    pub org_id: i64,
    pub event: String,
    pub project_id: Option<i64>,
    pub outcome: String,
    pub received_at: i64,
}

/// The columns of an [`InboxRow`], in the order the readers select them.
const ROW_COLUMNS: &str = "id, environment, org_id, event, project_id, outcome, received_at";

/// Reads an [`InboxRow`] from a row of either backend (a macro: the row types differ).
macro_rules! inbox_row {
    ($r:expr) => {
        InboxRow {
            id: $r.get("id"),
            environment: $r.get("environment"),
            org_id: $r.get("org_id"),
            event: $r.get("event"),
            project_id: $r.get("project_id"),
            outcome: $r.get("outcome"),
            received_at: $r.get("received_at"),
        }
    };
}

impl Db {
    /// Stores `d` unless it is a duplicate (same `jti` in its environment, or the same body
    /// for the same environment and org within a day). Returns the new row's id, `None` for a
    /// duplicate.
    pub async fn inbox_insert(&self, d: &NewDelivery<'_>) -> Result<Option<i64>, DbError> {
        const SQL: &str = "INSERT INTO fv_webhook_inbox
            (environment, org_id, jti, body_hash, day, event, project_id, body, received_at, outcome)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
            WHERE NOT EXISTS (SELECT 1 FROM fv_webhook_inbox WHERE environment = $1
                AND org_id = $2 AND body_hash = $4 AND received_at > $11)
            ON CONFLICT DO NOTHING
            RETURNING id";
        let day = d.received_at.div_euclid(DAY);
        Ok(on_db!(
            self,
            SQL,
            [
                d.environment,
                d.org_id,
                d.jti,
                d.body_hash,
                day,
                d.event,
                d.project_id,
                d.body,
                d.received_at,
                d.outcome,
                d.received_at - DAY,
            ],
            fetch_optional,
            |r| r.map(|r| r.get::<i64, _>("id"))
        )?)
    }

    /// Up to `limit` pending deliveries, oldest first.
    pub async fn inbox_pending(&self, limit: i64) -> Result<Vec<InboxRow>, DbError> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM fv_webhook_inbox
            WHERE outcome = 'pending' ORDER BY id LIMIT $1"
        );
        Ok(on_db!(self, &sql, [limit], fetch_all, |rows| rows
            .into_iter()
            .map(|r| inbox_row!(r))
            .collect())?)
    }

    /// Marks a pending delivery applied. True for exactly one caller, whatever the replicas.
    pub async fn inbox_mark_applied(&self, id: i64, now: i64) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE fv_webhook_inbox SET outcome = 'applied', applied_at = $2
            WHERE id = $1 AND outcome = 'pending'";
        Ok(on_db!(self, SQL, [id, now], execute, |d| d
            .rows_affected()
            == 1)?)
    }

    /// How many deliveries wait to be applied.
    pub async fn inbox_depth(&self) -> Result<i64, DbError> {
        const SQL: &str = "SELECT COUNT(*) AS n FROM fv_webhook_inbox WHERE outcome = 'pending'";
        Ok(on_db!(self, SQL, [], fetch_one, |r| r.get::<i64, _>("n"))?)
    }

    /// The most recent `limit` deliveries of `environment`, newest first (for tests and
    /// operators' eyes; bodies are left out).
    pub async fn inbox_recent(
        &self,
        environment: &str,
        limit: i64,
    ) -> Result<Vec<InboxRow>, DbError> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM fv_webhook_inbox
            WHERE environment = $1 ORDER BY id DESC LIMIT $2"
        );
        Ok(on_db!(
            self,
            &sql,
            [environment, limit],
            fetch_all,
            |rows| rows.into_iter().map(|r| inbox_row!(r)).collect()
        )?)
    }

    /// Drops settled deliveries received before `before` (pending ones always stay).
    pub async fn inbox_purge(&self, before: i64) -> Result<u64, DbError> {
        const SQL: &str =
            "DELETE FROM fv_webhook_inbox WHERE received_at < $1 AND outcome <> 'pending'";
        Ok(on_db!(self, SQL, [before], execute, |d| d.rows_affected())?)
    }

    /// Records that this app serves `org_id` of `environment` (a user signed in to it).
    pub async fn served_org_note(
        &self,
        environment: &str,
        org_id: i64,
        now: i64,
    ) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_served_orgs (environment, org_id, seen_at)
            VALUES ($1, $2, $3)
            ON CONFLICT (environment, org_id) DO UPDATE SET seen_at = excluded.seen_at";
        on_db!(self, SQL, [environment, org_id, now], execute, |_| ())?;
        Ok(())
    }

    /// Whether `org_id` of `environment` was served since `since`.
    pub async fn served_org(
        &self,
        environment: &str,
        org_id: i64,
        since: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "SELECT 1 AS one FROM fv_served_orgs
            WHERE environment = $1 AND org_id = $2 AND seen_at >= $3";
        Ok(on_db!(
            self,
            SQL,
            [environment, org_id, since],
            fetch_optional,
            |r| r.is_some()
        )?)
    }
}
