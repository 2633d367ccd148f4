//! The alert outbox ([`crate::connections::alerts`]): every alert is written here first, one
//! row per channel, and delivered from here, so a channel that is down is retried (with a
//! growing pause) without holding up the checks, and an alert survives a restart. A delivery
//! is claimed with a conditional write, so two replicas never send the same row.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

/// One alert for one channel. Holds no secret (the messages are built without any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: String,
    /// `email` or `webhook`.
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub attempts: i64,
    /// Unix seconds when the next delivery may be tried.
    pub next_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

macro_rules! outbox_row {
    ($r:expr) => {
        OutboxRow {
            id: $r.get("id"),
            channel: $r.get("channel"),
            subject: $r.get("subject"),
            body: $r.get("body"),
            created_at: $r.get("created_at"),
            attempts: $r.get("attempts"),
            next_at: $r.get("next_at"),
            sent_at: $r.get("sent_at"),
            last_error: $r.get("last_error"),
        }
    };
}

const COLUMNS: &str =
    "id, channel, subject, body, created_at, attempts, next_at, sent_at, last_error";

impl Db {
    /// Queues an alert for `channel`, due now.
    pub async fn outbox_put(
        &self,
        channel: &str,
        (subject, body): (&str, &str),
        now: i64,
    ) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_alert_outbox
            (id, channel, subject, body, created_at, attempts, next_at)
            VALUES ($1, $2, $3, $4, $5, 0, $5)";
        let id = uuid::Uuid::new_v4().simple().to_string();
        on_db!(
            self,
            SQL,
            [id, channel, subject, body, now],
            execute,
            |_| ()
        )?;
        Ok(())
    }

    /// Unsent alerts due at `now`, oldest first.
    pub async fn outbox_due(&self, now: i64) -> Result<Vec<OutboxRow>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM fv_alert_outbox WHERE sent_at IS NULL AND next_at <= $1
             ORDER BY created_at, id LIMIT 100"
        );
        Ok(on_db!(self, sql.as_str(), [now], fetch_all, |rows| rows
            .into_iter()
            .map(|r| outbox_row!(r))
            .collect())?)
    }

    /// Every alert, newest first (the page and the tests).
    pub async fn outbox_recent(&self, limit: i64) -> Result<Vec<OutboxRow>, DbError> {
        let sql =
            format!("SELECT {COLUMNS} FROM fv_alert_outbox ORDER BY created_at DESC, id LIMIT $1");
        Ok(on_db!(self, sql.as_str(), [limit], fetch_all, |rows| rows
            .into_iter()
            .map(|r| outbox_row!(r))
            .collect())?)
    }

    /// Claims `row` for one delivery attempt by moving its `next_at` to `until` (when another
    /// process may try it, should this one die): `true` for the one claimer.
    pub async fn outbox_claim(&self, row: &OutboxRow, until: i64) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE fv_alert_outbox SET next_at = $1
            WHERE id = $2 AND next_at = $3 AND sent_at IS NULL";
        let n = on_db!(self, SQL, [until, &row.id, row.next_at], execute, |r| r
            .rows_affected())?;
        Ok(n == 1)
    }

    /// Records a delivery.
    pub async fn outbox_sent(&self, id: &str, now: i64) -> Result<(), DbError> {
        const SQL: &str = "UPDATE fv_alert_outbox SET sent_at = $1, attempts = attempts + 1,
            last_error = NULL WHERE id = $2";
        on_db!(self, SQL, [now, id], execute, |_| ())?;
        Ok(())
    }

    /// Records a failed attempt; the next one is due at `next_at`.
    pub async fn outbox_failed(&self, id: &str, next_at: i64, error: &str) -> Result<(), DbError> {
        const SQL: &str = "UPDATE fv_alert_outbox SET attempts = attempts + 1, next_at = $1,
            last_error = $2 WHERE id = $3";
        on_db!(self, SQL, [next_at, error, id], execute, |_| ())?;
        Ok(())
    }
}
