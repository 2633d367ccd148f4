//! The token vault table: one sealed token set per signed-in session.
//!
//! Tokens live here rather than inside the tower-sessions record because that record is
//! written back whole at the end of every request that touched it: two concurrent requests
//! would race, and a stale copy could overwrite a freshly rotated refresh token. Here every
//! write is a single-row update with a version, and the `lease_*` columns let replicas take
//! turns refreshing. Every write made under a lease is fenced: it names the lease owner and
//! reports whether a row matched, so a holder whose lease expired cannot overwrite (or
//! release) what the next holder wrote.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

pub(super) const SQLITE_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS fv_token_vault (
    id TEXT PRIMARY KEY NOT NULL,
    sealed TEXT NOT NULL,
    version INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER
)";

pub(super) const POSTGRES_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS fv_token_vault (
    id TEXT PRIMARY KEY NOT NULL,
    sealed TEXT NOT NULL,
    version BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT
)";

/// A stored, sealed token set.
#[derive(Debug, Clone)]
pub struct VaultRow {
    pub sealed: String,
    pub version: i64,
}

impl Db {
    /// Reads one vault entry.
    pub async fn vault_get(&self, id: &str) -> Result<Option<VaultRow>, DbError> {
        const SQL_LITE: &str = "SELECT sealed, version FROM fv_token_vault WHERE id = ?";
        const SQL_PG: &str = "SELECT sealed, version FROM fv_token_vault WHERE id = $1";
        let row = match self {
            Db::Sqlite(p) => sqlx::query(SQL_LITE)
                .bind(id)
                .fetch_optional(p)
                .await?
                .map(|r| VaultRow {
                    sealed: r.get(0),
                    version: r.get(1),
                }),
            Db::Postgres(p) => sqlx::query(SQL_PG)
                .bind(id)
                .fetch_optional(p)
                .await?
                .map(|r| VaultRow {
                    sealed: r.get(0),
                    version: r.get(1),
                }),
        };
        Ok(row)
    }

    /// Creates or replaces an entry; `expires_at` (unix seconds) is when it may be purged.
    pub async fn vault_put(&self, id: &str, sealed: &str, expires_at: i64) -> Result<(), DbError> {
        const SQL_LITE: &str = "INSERT INTO fv_token_vault (id, sealed, version, expires_at)
            VALUES (?, ?, 1, ?)
            ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed,
                version = fv_token_vault.version + 1, expires_at = excluded.expires_at";
        const SQL_PG: &str = "INSERT INTO fv_token_vault (id, sealed, version, expires_at)
            VALUES ($1, $2, 1, $3)
            ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed,
                version = fv_token_vault.version + 1, expires_at = excluded.expires_at";
        match self {
            Db::Sqlite(p) => {
                sqlx::query(SQL_LITE)
                    .bind(id)
                    .bind(sealed)
                    .bind(expires_at)
                    .execute(p)
                    .await?;
            }
            Db::Postgres(p) => {
                sqlx::query(SQL_PG)
                    .bind(id)
                    .bind(sealed)
                    .bind(expires_at)
                    .execute(p)
                    .await?;
            }
        };
        Ok(())
    }

    /// Removes an entry (logout, failed refresh).
    pub async fn vault_delete(&self, id: &str) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p) => {
                sqlx::query("DELETE FROM fv_token_vault WHERE id = ?")
                    .bind(id)
                    .execute(p)
                    .await?;
            }
            Db::Postgres(p) => {
                sqlx::query("DELETE FROM fv_token_vault WHERE id = $1")
                    .bind(id)
                    .execute(p)
                    .await?;
            }
        };
        Ok(())
    }

    /// Purges entries whose session can no longer exist.
    pub async fn vault_delete_expired(&self, now: i64) -> Result<u64, DbError> {
        let done = match self {
            Db::Sqlite(p) => sqlx::query("DELETE FROM fv_token_vault WHERE expires_at < ?")
                .bind(now)
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p) => sqlx::query("DELETE FROM fv_token_vault WHERE expires_at < $1")
                .bind(now)
                .execute(p)
                .await?
                .rows_affected(),
        };
        Ok(done)
    }
}

impl Db {
    /// Takes the refresh lease on a vault entry for `owner` until `until` (unix seconds), if
    /// nobody holds an unexpired one. Returns whether it was taken. A lease always expires, so a
    /// replica that dies mid-refresh blocks the others for at most the lease time.
    pub async fn vault_try_lease(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, DbError> {
        const SQL_LITE: &str = "UPDATE fv_token_vault SET lease_owner = ?, lease_until = ?
            WHERE id = ? AND (lease_owner IS NULL OR lease_until < ?)";
        const SQL_PG: &str = "UPDATE fv_token_vault SET lease_owner = $1, lease_until = $2
            WHERE id = $3 AND (lease_owner IS NULL OR lease_until < $4)";
        let n = match self {
            Db::Sqlite(p) => sqlx::query(SQL_LITE)
                .bind(owner)
                .bind(until)
                .bind(id)
                .bind(now)
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p) => sqlx::query(SQL_PG)
                .bind(owner)
                .bind(until)
                .bind(id)
                .bind(now)
                .execute(p)
                .await?
                .rows_affected(),
        };
        Ok(n == 1)
    }

    /// Extends `owner`'s lease to `until` while its refresh is still in flight. Returns
    /// whether `owner` still held it (false: it expired and someone else took it, or the row
    /// is gone).
    pub async fn vault_renew_lease(
        &self,
        id: &str,
        owner: &str,
        until: i64,
    ) -> Result<bool, DbError> {
        const SQL_LITE: &str =
            "UPDATE fv_token_vault SET lease_until = ? WHERE id = ? AND lease_owner = ?";
        const SQL_PG: &str =
            "UPDATE fv_token_vault SET lease_until = $1 WHERE id = $2 AND lease_owner = $3";
        let n = match self {
            Db::Sqlite(p) => sqlx::query(SQL_LITE)
                .bind(until)
                .bind(id)
                .bind(owner)
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p) => sqlx::query(SQL_PG)
                .bind(until)
                .bind(id)
                .bind(owner)
                .execute(p)
                .await?
                .rows_affected(),
        };
        Ok(n == 1)
    }

    /// Writes the refreshed tokens and releases `owner`'s lease in one statement (so there is
    /// no moment with new tokens and a held lease, or a free lease and old tokens), fenced:
    /// nothing is written unless `owner` still holds the lease. Returns whether it did.
    pub async fn vault_store_and_release(
        &self,
        id: &str,
        owner: &str,
        sealed: &str,
    ) -> Result<bool, DbError> {
        const SQL_LITE: &str = "UPDATE fv_token_vault SET sealed = ?, version = version + 1,
            lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?";
        const SQL_PG: &str = "UPDATE fv_token_vault SET sealed = $1, version = version + 1,
            lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_owner = $3";
        let n = match self {
            Db::Sqlite(p) => sqlx::query(SQL_LITE)
                .bind(sealed)
                .bind(id)
                .bind(owner)
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p) => sqlx::query(SQL_PG)
                .bind(sealed)
                .bind(id)
                .bind(owner)
                .execute(p)
                .await?
                .rows_affected(),
        };
        Ok(n == 1)
    }

    /// Releases `owner`'s lease without writing tokens. Returns whether `owner` held it.
    pub async fn vault_release(&self, id: &str, owner: &str) -> Result<bool, DbError> {
        const SQL_LITE: &str = "UPDATE fv_token_vault SET lease_owner = NULL, lease_until = NULL
            WHERE id = ? AND lease_owner = ?";
        const SQL_PG: &str = "UPDATE fv_token_vault SET lease_owner = NULL, lease_until = NULL
            WHERE id = $1 AND lease_owner = $2";
        let n = match self {
            Db::Sqlite(p) => sqlx::query(SQL_LITE)
                .bind(id)
                .bind(owner)
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p) => sqlx::query(SQL_PG)
                .bind(id)
                .bind(owner)
                .execute(p)
                .await?
                .rows_affected(),
        };
        Ok(n == 1)
    }

    /// Deletes the entry if `owner` holds its lease (a refused refresh ends the session).
    pub async fn vault_delete_leased(&self, id: &str, owner: &str) -> Result<bool, DbError> {
        const SQL_LITE: &str = "DELETE FROM fv_token_vault WHERE id = ? AND lease_owner = ?";
        const SQL_PG: &str = "DELETE FROM fv_token_vault WHERE id = $1 AND lease_owner = $2";
        let n = match self {
            Db::Sqlite(p) => sqlx::query(SQL_LITE)
                .bind(id)
                .bind(owner)
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p) => sqlx::query(SQL_PG)
                .bind(id)
                .bind(owner)
                .execute(p)
                .await?
                .rows_affected(),
        };
        Ok(n == 1)
    }

    /// How many entries have a lease taken (tests check none is left behind).
    pub async fn vault_count_leased(&self) -> Result<u64, DbError> {
        const SQL: &str = "SELECT COUNT(*) FROM fv_token_vault WHERE lease_owner IS NOT NULL";
        let n: i64 = match self {
            Db::Sqlite(p) => sqlx::query_scalar(SQL).fetch_one(p).await?,
            Db::Postgres(p) => sqlx::query_scalar(SQL).fetch_one(p).await?,
        };
        Ok(n.max(0) as u64)
    }
}

impl Db {
    /// How many vault entries are still live (for the active-session gauge).
    pub async fn vault_count_live(&self, now: i64) -> Result<u64, DbError> {
        let n: i64 = match self {
            Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM fv_token_vault WHERE expires_at >= ?")
                    .bind(now)
                    .fetch_one(p)
                    .await?
            }
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM fv_token_vault WHERE expires_at >= $1")
                    .bind(now)
                    .fetch_one(p)
                    .await?
            }
        };
        Ok(n.max(0) as u64)
    }
}
