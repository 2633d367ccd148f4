//! Feed keys ([`crate::reporting::feeds`]): one row per key with its name, the connection (by
//! name, and the identity of its row, which a new connection of the same name does not share)
//! and org it reads through, its fixed filters (a query string), the SHA-256 of the key (never the
//! key: a copy of the database opens no feed), who made it, when it was last used and whether
//! it was revoked.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

/// A stored feed key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedKeyRow {
    /// Public id (for the revoke button), not the key.
    pub id: String,
    pub name: String,
    pub connection: String,
    /// The identity of the connection's row when the key was made
    /// ([`crate::store::ConnectionRow::id`]): the key reads only through that very row.
    pub connection_id: String,
    pub org_id: i64,
    /// The fixed filters, as a query string (`q=..&archived=1&created_since=..`).
    pub filters: String,
    /// Hex SHA-256 of the key.
    pub key_hash: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, name, connection, connection_id, org_id, filters, key_hash,
    created_by, created_at, last_used_at, revoked_at";

macro_rules! from_row {
    ($r:expr) => {
        FeedKeyRow {
            id: $r.get("id"),
            name: $r.get("name"),
            connection: $r.get("connection"),
            connection_id: $r.get("connection_id"),
            org_id: $r.get("org_id"),
            filters: $r.get("filters"),
            key_hash: $r.get("key_hash"),
            created_by: $r.get("created_by"),
            created_at: $r.get("created_at"),
            last_used_at: $r.get("last_used_at"),
            revoked_at: $r.get("revoked_at"),
        }
    };
}

impl Db {
    /// Stores a new feed key.
    pub async fn feed_key_insert(&self, row: &FeedKeyRow) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_feed_keys (id, name, connection, org_id, filters,
            key_hash, created_by, created_at, last_used_at, revoked_at, connection_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        on_db!(
            self,
            SQL,
            [
                &row.id,
                &row.name,
                &row.connection,
                row.org_id,
                &row.filters,
                &row.key_hash,
                &row.created_by,
                row.created_at,
                row.last_used_at,
                row.revoked_at,
                &row.connection_id
            ],
            execute,
            |_| ()
        )?;
        Ok(())
    }

    /// Every feed key, newest first (revoked ones too: the page shows them as revoked).
    pub async fn feed_keys_list(&self) -> Result<Vec<FeedKeyRow>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM fv_feed_keys ORDER BY created_at DESC, id");
        Ok(on_db!(self, &sql, [], fetch_all, |rows| rows
            .into_iter()
            .map(|r| from_row!(r))
            .collect())?)
    }

    /// The live (not revoked) key whose hash is `key_hash`.
    pub async fn feed_key_by_hash(&self, key_hash: &str) -> Result<Option<FeedKeyRow>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM fv_feed_keys WHERE key_hash = $1 AND revoked_at IS NULL"
        );
        Ok(on_db!(self, &sql, [key_hash], fetch_optional, |r| r
            .map(|r| from_row!(r)))?)
    }

    /// Records a use of key `id` at `at`.
    pub async fn feed_key_used(&self, id: &str, at: i64) -> Result<(), DbError> {
        const SQL: &str = "UPDATE fv_feed_keys SET last_used_at = $1 WHERE id = $2";
        on_db!(self, SQL, [at, id], execute, |_| ())?;
        Ok(())
    }

    /// Revokes key `id`; `false` when there is no such live key.
    pub async fn feed_key_revoke(&self, id: &str, at: i64) -> Result<bool, DbError> {
        const SQL: &str =
            "UPDATE fv_feed_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
        Ok(on_db!(self, SQL, [at, id], execute, |r| r.rows_affected() > 0)?)
    }

    /// Revokes every live key of the connection row `connection_id`; how many.
    pub async fn feed_keys_revoke_of(&self, connection_id: &str, at: i64) -> Result<u64, DbError> {
        const SQL: &str = "UPDATE fv_feed_keys SET revoked_at = $1
            WHERE connection_id = $2 AND revoked_at IS NULL";
        Ok(on_db!(self, SQL, [at, connection_id], execute, |r| r
            .rows_affected())?)
    }
}
