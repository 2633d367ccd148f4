//! The token vault table: one sealed token set per signed-in session or refresh-token
//! connection (`connection/<name>`, kept with `expires_at` at the largest value, so the purge
//! by session lifetime never touches it).
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

/// A stored, sealed token set.
#[derive(Debug, Clone)]
pub struct VaultRow {
    pub sealed: String,
    pub version: i64,
}

impl Db {
    /// Reads one vault entry.
    pub async fn vault_get(&self, id: &str) -> Result<Option<VaultRow>, DbError> {
        const SQL: &str = "SELECT sealed, version FROM fv_token_vault WHERE id = $1";
        Ok(on_db!(self, SQL, [id], fetch_optional, |r| r.map(|r| {
            VaultRow {
                sealed: r.get(0),
                version: r.get(1),
            }
        }))?)
    }

    /// Creates or replaces an entry; `expires_at` (unix seconds) is when it may be purged.
    pub async fn vault_put(&self, id: &str, sealed: &str, expires_at: i64) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_token_vault (id, sealed, version, expires_at)
            VALUES ($1, $2, 1, $3)
            ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed,
                version = fv_token_vault.version + 1, expires_at = excluded.expires_at";
        Ok(on_db!(
            self,
            SQL,
            [id, sealed, expires_at],
            execute,
            |_| ()
        )?)
    }

    /// Removes an entry (logout, failed refresh).
    pub async fn vault_delete(&self, id: &str) -> Result<(), DbError> {
        const SQL: &str = "DELETE FROM fv_token_vault WHERE id = $1";
        Ok(on_db!(self, SQL, [id], execute, |_| ())?)
    }

    /// Purges entries whose session can no longer exist.
    pub async fn vault_delete_expired(&self, now: i64) -> Result<u64, DbError> {
        const SQL: &str = "DELETE FROM fv_token_vault WHERE expires_at < $1";
        Ok(on_db!(self, SQL, [now], execute, |d| d.rows_affected())?)
    }

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
        const SQL: &str = "UPDATE fv_token_vault SET lease_owner = $1, lease_until = $2
            WHERE id = $3 AND (lease_owner IS NULL OR lease_until < $4)";
        Ok(on_db!(self, SQL, [owner, until, id, now], execute, |d| d
            .rows_affected()
            == 1)?)
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
        const SQL: &str =
            "UPDATE fv_token_vault SET lease_until = $1 WHERE id = $2 AND lease_owner = $3";
        Ok(on_db!(self, SQL, [until, id, owner], execute, |d| d
            .rows_affected()
            == 1)?)
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
        const SQL: &str = "UPDATE fv_token_vault SET sealed = $1, version = version + 1,
            lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_owner = $3";
        Ok(on_db!(self, SQL, [sealed, id, owner], execute, |d| d
            .rows_affected()
            == 1)?)
    }

    /// Releases `owner`'s lease without writing tokens. Returns whether `owner` held it.
    pub async fn vault_release(&self, id: &str, owner: &str) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE fv_token_vault SET lease_owner = NULL, lease_until = NULL
            WHERE id = $1 AND lease_owner = $2";
        Ok(on_db!(self, SQL, [id, owner], execute, |d| d
            .rows_affected()
            == 1)?)
    }

    /// Deletes the entry if `owner` holds its lease (a refused refresh ends the session).
    pub async fn vault_delete_leased(&self, id: &str, owner: &str) -> Result<bool, DbError> {
        const SQL: &str = "DELETE FROM fv_token_vault WHERE id = $1 AND lease_owner = $2";
        Ok(on_db!(self, SQL, [id, owner], execute, |d| d
            .rows_affected()
            == 1)?)
    }

    /// How many entries have a lease taken (tests check none is left behind).
    pub async fn vault_count_leased(&self) -> Result<u64, DbError> {
        const SQL: &str = "SELECT COUNT(*) FROM fv_token_vault WHERE lease_owner IS NOT NULL";
        Ok(on_db!(
            self,
            SQL,
            [],
            fetch_one,
            |r| r.get::<i64, _>(0).max(0) as u64
        )?)
    }

    /// How many sessions' vault entries are still live (for the active-session gauge); the
    /// rows of connections (`connection/...`, never purged) are not sessions.
    pub async fn vault_count_live(&self, now: i64) -> Result<u64, DbError> {
        const SQL: &str = "SELECT COUNT(*) FROM fv_token_vault WHERE expires_at >= $1
            AND id NOT LIKE 'connection/%'";
        Ok(on_db!(
            self,
            SQL,
            [now],
            fetch_one,
            |r| r.get::<i64, _>(0).max(0) as u64
        )?)
    }
}
