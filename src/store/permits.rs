//! Concurrency permits of the connection pools ([`crate::connections::pool`]), leased in the
//! database so every process that uses a pool (replicas, command-line exports) counts against
//! the same level: a pool of level N is the slots `0..N` of its name, a slot is held by at
//! most one holder, and a lease ends at `expires_at` (unix milliseconds) even if its holder
//! crashed and never released it.
//!
//! Taking a slot is one `INSERT .. ON CONFLICT DO UPDATE .. WHERE expired`: atomic on both
//! backends (PostgreSQL makes a second inserter wait for the first and then re-checks the
//! condition; SQLite has one writer at a time), so two processes cannot both win one slot.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

impl Db {
    /// Takes `slot` of `pool` for `holder` until `expires_at` when it is free or its lease
    /// ended before `now` (both unix milliseconds); whether it was taken.
    pub async fn permit_try(
        &self,
        pool: &str,
        slot: i64,
        holder: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "INSERT INTO fv_permits (pool, slot, holder, expires_at)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (pool, slot) DO UPDATE SET holder = excluded.holder,
                expires_at = excluded.expires_at
            WHERE fv_permits.expires_at <= $5";
        let taken = on_db!(
            self,
            SQL,
            [pool, slot, holder, expires_at, now],
            execute,
            |r| r.rows_affected()
        )?;
        Ok(taken == 1)
    }

    /// Extends `holder`'s lease of `slot` to `expires_at` (unix milliseconds) while its call
    /// runs; whether `holder` still held it (false: it ran out and passed on).
    pub async fn permit_renew(
        &self,
        pool: &str,
        slot: i64,
        holder: &str,
        expires_at: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE fv_permits SET expires_at = $1
            WHERE pool = $2 AND slot = $3 AND holder = $4";
        let n = on_db!(self, SQL, [expires_at, pool, slot, holder], execute, |r| r
            .rows_affected())?;
        Ok(n == 1)
    }

    /// Gives `slot` back, if `holder` still holds it (an expired lease may have passed on).
    pub async fn permit_release(&self, pool: &str, slot: i64, holder: &str) -> Result<(), DbError> {
        const SQL: &str = "DELETE FROM fv_permits WHERE pool = $1 AND slot = $2 AND holder = $3";
        on_db!(self, SQL, [pool, slot, holder], execute, |_| ())?;
        Ok(())
    }

    /// Leases of `pool` still running at `now` (unix milliseconds): for status and tests.
    pub async fn permits_held(&self, pool: &str, now: i64) -> Result<i64, DbError> {
        const SQL: &str =
            "SELECT COUNT(*) AS n FROM fv_permits WHERE pool = $1 AND expires_at > $2";
        Ok(on_db!(self, SQL, [pool, now], fetch_one, |r| r.get::<i64, _>("n"))?)
    }
}
