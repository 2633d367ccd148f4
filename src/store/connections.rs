//! Named connections ([`crate::connections`]): one row per connection holding its settings,
//! its sealed secret (never the secret itself), the last four characters shown on the page,
//! and its status; plus the audit log of who changed which connection when (never a secret).
//!
//! Every column type is one both dialects read the same (`BIGINT` is an integer to SQLite
//! too), so one schema text serves both; only the audit log's generated id differs.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

/// A stored connection. `sealed_secret` is sealed with the connection's purpose and bound to
/// its row (see [`crate::connections::secret_row`]), so it opens nowhere else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionRow {
    /// The row's identity, made when the connection is created and kept by every save: what
    /// outlives a name (feed keys are bound to it, so a new connection of a removed one's name
    /// inherits nothing). Empty in a row not yet stored.
    pub id: String,
    pub name: String,
    pub environment: String,
    /// `pat` or `refresh_token`.
    pub auth: String,
    pub concurrency: i64,
    pub borrow_from: Option<String>,
    pub sealed_secret: Option<String>,
    pub last4: String,
    pub email: String,
    pub verified_name: Option<String>,
    /// `untested`, `ok`, `needs_authorization` or `unreachable`.
    pub status: String,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub updated_by: String,
    pub updated_at: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: i64,
    pub who: String,
    pub connection: String,
    pub what: String,
}

const COLUMNS: &str = "id, name, environment, auth, concurrency, borrow_from, sealed_secret,
    last4, email, verified_name, status, last_success_at, last_error, last_error_at, updated_by,
    updated_at";

/// Builds a [`ConnectionRow`] from a row of either backend.
macro_rules! from_row {
    ($r:expr) => {
        ConnectionRow {
            id: $r.get("id"),
            name: $r.get("name"),
            environment: $r.get("environment"),
            auth: $r.get("auth"),
            concurrency: $r.get("concurrency"),
            borrow_from: $r.get("borrow_from"),
            sealed_secret: $r.get("sealed_secret"),
            last4: $r.get("last4"),
            email: $r.get("email"),
            verified_name: $r.get("verified_name"),
            status: $r.get("status"),
            last_success_at: $r.get("last_success_at"),
            last_error: $r.get("last_error"),
            last_error_at: $r.get("last_error_at"),
            updated_by: $r.get("updated_by"),
            updated_at: $r.get("updated_at"),
        }
    };
}

/// The insert shared by [`Db::connection_put`] and [`Db::connection_insert_new`]. An update
/// never changes `id`: the row keeps its identity.
const INSERT: &str = "INSERT INTO fv_connections (name, environment, auth, concurrency,
    borrow_from, sealed_secret, last4, email, verified_name, status, last_success_at,
    last_error, last_error_at, updated_by, updated_at, id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";

/// A new row identity. The prefix and `_` keep it apart from every connection name (a slug
/// of letters, digits and `-`), so no name can pass for an id.
fn new_id() -> String {
    format!("conn_{}", uuid::Uuid::new_v4().simple())
}

impl Db {
    /// Every stored connection, by name.
    pub async fn connections_list(&self) -> Result<Vec<ConnectionRow>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM fv_connections ORDER BY name");
        Ok(on_db!(self, &sql, [], fetch_all, |rows| rows
            .into_iter()
            .map(|r| from_row!(r))
            .collect())?)
    }

    /// One stored connection.
    pub async fn connection_get(&self, name: &str) -> Result<Option<ConnectionRow>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM fv_connections WHERE name = $1");
        Ok(on_db!(self, &sql, [name], fetch_optional, |r| r
            .map(|r| from_row!(r)))?)
    }

    /// Creates or replaces a connection (a new one gets a new identity; a replaced one keeps
    /// its own).
    pub async fn connection_put(&self, row: &ConnectionRow) -> Result<(), DbError> {
        let sql = format!(
            "{INSERT} ON CONFLICT (name) DO UPDATE SET environment = excluded.environment,
            auth = excluded.auth, concurrency = excluded.concurrency,
            borrow_from = excluded.borrow_from, sealed_secret = excluded.sealed_secret,
            last4 = excluded.last4, email = excluded.email,
            verified_name = excluded.verified_name, status = excluded.status,
            last_success_at = excluded.last_success_at, last_error = excluded.last_error,
            last_error_at = excluded.last_error_at, updated_by = excluded.updated_by,
            updated_at = excluded.updated_at"
        );
        self.connection_insert(&sql, row).await?;
        Ok(())
    }

    /// Creates a connection unless one of that name exists; whether it did. Used by the
    /// one-time move of the old integration PAT, which every replica may attempt at once.
    pub async fn connection_insert_new(&self, row: &ConnectionRow) -> Result<bool, DbError> {
        let sql = format!("{INSERT} ON CONFLICT (name) DO NOTHING");
        Ok(self.connection_insert(&sql, row).await? == 1)
    }

    async fn connection_insert(&self, sql: &str, row: &ConnectionRow) -> Result<u64, DbError> {
        Ok(on_db!(
            self,
            sql,
            [
                &row.name,
                &row.environment,
                &row.auth,
                row.concurrency,
                &row.borrow_from,
                &row.sealed_secret,
                &row.last4,
                &row.email,
                &row.verified_name,
                &row.status,
                row.last_success_at,
                &row.last_error,
                row.last_error_at,
                &row.updated_by,
                row.updated_at,
                if row.id.is_empty() {
                    new_id()
                } else {
                    row.id.clone()
                },
            ],
            execute,
            |r| r.rows_affected()
        )?)
    }

    /// Records what the last use of a connection found: `success_at` for a success,
    /// `error` (with `at`) for a failure. The other side is kept, so the page shows both.
    pub async fn connection_set_status(
        &self,
        name: &str,
        status: &str,
        success_at: Option<i64>,
        error: Option<(&str, i64)>,
    ) -> Result<(), DbError> {
        const SQL: &str = "UPDATE fv_connections SET status = $1,
            last_success_at = COALESCE($2, last_success_at),
            last_error = COALESCE($3, last_error),
            last_error_at = COALESCE($4, last_error_at) WHERE name = $5";
        let (message, at) = error.map_or((None, None), |(m, at)| (Some(m), Some(at)));
        on_db!(
            self,
            SQL,
            [status, success_at, message, at, name],
            execute,
            |_| ()
        )?;
        Ok(())
    }

    /// Deletes a connection; whether one was there.
    pub async fn connection_delete(&self, name: &str) -> Result<bool, DbError> {
        const SQL: &str = "DELETE FROM fv_connections WHERE name = $1";
        Ok(on_db!(self, SQL, [name], execute, |r| r.rows_affected())? == 1)
    }

    /// Appends to the audit log. `what` must never hold a secret.
    pub async fn audit_add(&self, entry: &AuditRow) -> Result<(), DbError> {
        const SQL: &str =
            "INSERT INTO fv_connection_audit (at, who, connection, what) VALUES ($1, $2, $3, $4)";
        on_db!(
            self,
            SQL,
            [entry.at, &entry.who, &entry.connection, &entry.what],
            execute,
            |_| ()
        )?;
        Ok(())
    }

    /// The newest `limit` audit entries, newest first.
    pub async fn audit_recent(&self, limit: i64) -> Result<Vec<AuditRow>, DbError> {
        const SQL: &str = "SELECT at, who, connection, what FROM fv_connection_audit
            ORDER BY id DESC LIMIT $1";
        Ok(on_db!(self, SQL, [limit], fetch_all, |rows| rows
            .into_iter()
            .map(|r| AuditRow {
                at: r.get("at"),
                who: r.get("who"),
                connection: r.get("connection"),
                what: r.get("what"),
            })
            .collect())?)
    }
}
