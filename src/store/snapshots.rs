//! Reporting snapshots: how many projects each org had in each phase at a moment, recorded by
//! the scheduled job ([`crate::reporting::snapshot`]) and drawn as the dashboard's trend.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

/// One recorded count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRow {
    /// Empty for snapshots older than environments whose connection is gone.
    pub environment: String,
    pub org_id: i64,
    /// Unix seconds.
    pub taken_at: i64,
    pub phase: String,
    pub count: i64,
    /// The connection that took it (empty for snapshots older than connections).
    pub connection: String,
}

impl Db {
    /// Records one snapshot of `org_id` of `environment` (all phases at `taken_at`) taken
    /// through `connection`, in one transaction, so a reader never sees half of it.
    /// Re-recording the same moment replaces it.
    pub async fn snapshot_put(
        &self,
        (environment, connection): (&str, &str),
        org_id: i64,
        taken_at: i64,
        counts: &[(String, i64)],
    ) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_phase_snapshots
            (environment, org_id, taken_at, phase, count, connection)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (environment, org_id, taken_at, phase) DO UPDATE
            SET count = excluded.count, connection = excluded.connection";
        macro_rules! in_one_transaction {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await?;
                for (phase, count) in counts {
                    let q = sqlx::query(SQL).bind(environment).bind(org_id);
                    let q = q.bind(taken_at).bind(phase).bind(count).bind(connection);
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }};
        }
        match self {
            Db::Sqlite(p) => in_one_transaction!(p),
            Db::Postgres(p) => in_one_transaction!(p),
        }
        Ok(())
    }

    /// The snapshots of `org_id` of `environment` taken at or after `since` (unix seconds),
    /// oldest first. With `default` (the environment is the default one), the snapshots older
    /// than environments too.
    pub async fn snapshots_since(
        &self,
        (environment, default): (&str, bool),
        org_id: i64,
        since: i64,
    ) -> Result<Vec<SnapshotRow>, DbError> {
        const SQL: &str = "SELECT environment, org_id, taken_at, phase, count, connection
            FROM fv_phase_snapshots WHERE environment IN ($1, $2) AND org_id = $3
            AND taken_at >= $4 ORDER BY taken_at, phase";
        let older = if default { "" } else { environment };
        Ok(on_db!(
            self,
            SQL,
            [environment, older, org_id, since],
            fetch_all,
            |rows| rows
                .into_iter()
                .map(|r| SnapshotRow {
                    environment: r.get("environment"),
                    org_id: r.get("org_id"),
                    taken_at: r.get("taken_at"),
                    phase: r.get("phase"),
                    count: r.get("count"),
                    connection: r.get("connection"),
                })
                .collect()
        )?)
    }

    /// Claims `connection`'s scheduled run at `now` unless some process claimed it after
    /// `not_before`: one atomic upsert, so of several replicas ticking together exactly one
    /// gets `true`.
    pub async fn snapshot_claim(
        &self,
        connection: &str,
        now: i64,
        not_before: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "INSERT INTO fv_snapshot_claims (connection, claimed_at) VALUES ($1, $2)
            ON CONFLICT (connection) DO UPDATE SET claimed_at = excluded.claimed_at
            WHERE fv_snapshot_claims.claimed_at <= $3";
        let claimed = on_db!(self, SQL, [connection, now, not_before], execute, |r| r
            .rows_affected())?;
        Ok(claimed == 1)
    }

    /// When `connection` last took a snapshot, so each connection keeps its own schedule.
    pub async fn snapshot_latest_of(&self, connection: &str) -> Result<Option<i64>, DbError> {
        const SQL: &str = "SELECT MAX(taken_at) AS t FROM fv_phase_snapshots WHERE connection = $1";
        Ok(on_db!(self, SQL, [connection], fetch_one, |r| r.get("t"))?)
    }

    /// When the newest snapshot (of any org) was taken, to schedule the first run after a
    /// restart.
    pub async fn snapshot_latest(&self) -> Result<Option<i64>, DbError> {
        const SQL: &str = "SELECT MAX(taken_at) AS t FROM fv_phase_snapshots";
        Ok(on_db!(self, SQL, [], fetch_one, |r| r.get("t"))?)
    }
}
