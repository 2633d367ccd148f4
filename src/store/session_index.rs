//! The index from a user to their sessions, and the replay cache of back-channel logout
//! tokens.
//!
//! tower-sessions keys its rows by (a hash of) the session id only, so "every session of this
//! user" or "the session the provider calls `sid`" cannot be asked of it. One row here per
//! signed-in session answers both. It is written when a session is created at sign-in and
//! deleted when the session is (logout, back-channel logout, sign-out elsewhere, an admin's
//! "end all sessions of"); rows of sessions that expired are skipped by every reader and
//! purged with the vault. Nothing is written on an ordinary signed-in request.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

/// One signed-in session as the index knows it. `stored_id` is the id the session table
/// holds (a keyed hash of the cookie's id, never the cookie itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionIndexRow {
    pub stored_id: String,
    pub environment: String,
    pub subject: String,
    pub sid: Option<String>,
    /// Lower-cased, for the admins' "end all sessions of".
    pub email: Option<String>,
    pub vault_id: String,
    /// Unix seconds of sign-in.
    pub started_at: i64,
    /// "Firefox on Linux": parsed at sign-in, never the raw header.
    pub browser: Option<String>,
    /// Unix seconds after which the session cannot exist any more (its absolute lifetime).
    pub expires_at: i64,
}

const COLUMNS: &str =
    "stored_id, environment, subject, sid, email, vault_id, started_at, browser, expires_at";

/// Reads a [`SessionIndexRow`] from either backend's row (a macro: the row types differ).
macro_rules! index_row {
    ($r:expr) => {
        SessionIndexRow {
            stored_id: $r.get("stored_id"),
            environment: $r.get("environment"),
            subject: $r.get("subject"),
            sid: $r.get("sid"),
            email: $r.get("email"),
            vault_id: $r.get("vault_id"),
            started_at: $r.get("started_at"),
            browser: $r.get("browser"),
            expires_at: $r.get("expires_at"),
        }
    };
}

impl Db {
    /// Indexes a session just created at sign-in (or replaces the row of that stored id).
    pub async fn session_index_put(&self, row: &SessionIndexRow) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_session_index
            (stored_id, environment, subject, sid, email, vault_id, started_at, browser, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (stored_id) DO UPDATE SET environment = excluded.environment,
                subject = excluded.subject, sid = excluded.sid, email = excluded.email,
                vault_id = excluded.vault_id, started_at = excluded.started_at,
                browser = excluded.browser, expires_at = excluded.expires_at";
        self.session_index_write(SQL, row).await.map(drop)
    }

    /// Indexes the session `row` names only if its record is still stored: a page that finds
    /// its own session unindexed must not index one that has just been ended (that would be a
    /// row naming nothing, listed as live). Returns whether it was written.
    pub async fn session_index_put_if_live(&self, row: &SessionIndexRow) -> Result<bool, DbError> {
        // PostgreSQL: the record is locked while the row goes in, so a concurrent end either
        // comes first (no row) or waits and then deletes this row too.
        let source = match self {
            Db::Sqlite(_) => format!(
                "WHERE EXISTS (SELECT 1 FROM {} WHERE id = $1)",
                super::sessions::SQLITE_TABLE
            ),
            Db::Postgres(_) => format!(
                "FROM {} WHERE id = $1 FOR SHARE",
                super::sessions::POSTGRES_TABLE
            ),
        };
        let sql = format!(
            "INSERT INTO fv_session_index ({COLUMNS})
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 {source}
             ON CONFLICT (stored_id) DO NOTHING"
        );
        Ok(self.session_index_write(&sql, row).await? == 1)
    }

    /// Runs `sql` with `row`'s columns as `$1`..`$9` (in [`COLUMNS`] order, the email
    /// lower-cased); returns how many rows it wrote.
    async fn session_index_write(&self, sql: &str, row: &SessionIndexRow) -> Result<u64, DbError> {
        let email = row.email.as_ref().map(|e| e.to_lowercase());
        Ok(on_db!(
            self,
            sql,
            [
                &row.stored_id,
                &row.environment,
                &row.subject,
                &row.sid,
                &email,
                &row.vault_id,
                row.started_at,
                &row.browser,
                row.expires_at
            ],
            execute,
            |done| done.rows_affected()
        )?)
    }

    /// Forgets the session whose table id is `stored_id`.
    pub async fn session_index_delete(&self, stored_id: &str) -> Result<(), DbError> {
        const SQL: &str = "DELETE FROM fv_session_index WHERE stored_id = $1";
        Ok(on_db!(self, SQL, [stored_id], execute, |_| ())?)
    }

    /// The live sessions of `subject` in `environment`, oldest first.
    pub async fn sessions_of_subject(
        &self,
        environment: &str,
        subject: &str,
        now: i64,
    ) -> Result<Vec<SessionIndexRow>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM fv_session_index
             WHERE environment = $1 AND subject = $2 AND expires_at >= $3
             ORDER BY started_at, stored_id"
        );
        Ok(on_db!(
            self,
            &sql,
            [environment, subject, now],
            fetch_all,
            |rows| rows.iter().map(|r| index_row!(r)).collect()
        )?)
    }

    /// The live sessions the provider calls `sid` in `environment`.
    pub async fn sessions_of_sid(
        &self,
        environment: &str,
        sid: &str,
        now: i64,
    ) -> Result<Vec<SessionIndexRow>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM fv_session_index
             WHERE environment = $1 AND sid = $2 AND expires_at >= $3"
        );
        Ok(on_db!(
            self,
            &sql,
            [environment, sid, now],
            fetch_all,
            |rows| rows.iter().map(|r| index_row!(r)).collect()
        )?)
    }

    /// The live sessions of whoever signed in with `email` (any case), in every environment.
    pub async fn sessions_of_email(
        &self,
        email: &str,
        now: i64,
    ) -> Result<Vec<SessionIndexRow>, DbError> {
        let sql =
            format!("SELECT {COLUMNS} FROM fv_session_index WHERE email = $1 AND expires_at >= $2");
        Ok(on_db!(
            self,
            &sql,
            [email.trim().to_lowercase(), now],
            fetch_all,
            |rows| rows.iter().map(|r| index_row!(r)).collect()
        )?)
    }

    /// Every live session row (the admins' counts; a firm has hundreds, not millions).
    pub async fn sessions_all(&self, now: i64) -> Result<Vec<SessionIndexRow>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM fv_session_index WHERE expires_at >= $1 ORDER BY environment"
        );
        Ok(on_db!(self, &sql, [now], fetch_all, |rows| rows
            .iter()
            .map(|r| index_row!(r))
            .collect())?)
    }

    /// Purges rows of sessions past their absolute lifetime, and spent `jti`s that could no
    /// longer be accepted anyway.
    pub async fn session_index_delete_expired(&self, now: i64) -> Result<u64, DbError> {
        const SQL: &str = "DELETE FROM fv_session_index WHERE expires_at < $1";
        const JTI: &str = "DELETE FROM fv_logout_jti WHERE expires_at < $1";
        let n = on_db!(self, SQL, [now], execute, |d| d.rows_affected())?;
        let m = on_db!(self, JTI, [now], execute, |d| d.rows_affected())?;
        Ok(n + m)
    }

    /// Records a logout token's `jti` as spent. Returns false when it already was (a replay):
    /// the primary key decides, so two replicas given the same token cannot both accept it.
    pub async fn logout_jti_spend(
        &self,
        issuer: &str,
        jti: &str,
        keep_until: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "INSERT INTO fv_logout_jti (issuer, jti, expires_at) VALUES ($1, $2, $3)
            ON CONFLICT (issuer, jti) DO NOTHING";
        Ok(on_db!(
            self,
            SQL,
            [issuer, jti, keep_until],
            execute,
            |d| d.rows_affected() == 1
        )?)
    }
}
