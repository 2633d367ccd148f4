//! Reporting snapshots: how many projects each org had in each phase at a moment, recorded by
//! the scheduled job ([`crate::reporting::snapshot`]) and drawn as the dashboard's trend.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

pub(super) const SQLITE_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS fv_snapshots (
    org_id INTEGER NOT NULL,
    taken_at INTEGER NOT NULL,
    phase TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (org_id, taken_at, phase)
)";

pub(super) const POSTGRES_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS fv_snapshots (
    org_id BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
    phase TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (org_id, taken_at, phase)
)";

/// One recorded count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRow {
    pub org_id: i64,
    /// Unix seconds.
    pub taken_at: i64,
    pub phase: String,
    pub count: i64,
}

impl Db {
    /// Records one snapshot of `org_id` (all phases at `taken_at`) in one transaction, so a
    /// reader never sees half of it. Re-recording the same moment replaces it.
    pub async fn snapshot_put(
        &self,
        org_id: i64,
        taken_at: i64,
        counts: &[(String, i64)],
    ) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p) => {
                let mut tx = p.begin().await?;
                for (phase, count) in counts {
                    sqlx::query("INSERT INTO fv_snapshots (org_id, taken_at, phase, count) VALUES (?, ?, ?, ?) ON CONFLICT (org_id, taken_at, phase) DO UPDATE SET count = excluded.count")
                        .bind(org_id)
                        .bind(taken_at)
                        .bind(phase)
                        .bind(count)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                for (phase, count) in counts {
                    sqlx::query("INSERT INTO fv_snapshots (org_id, taken_at, phase, count) VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, taken_at, phase) DO UPDATE SET count = excluded.count")
                        .bind(org_id)
                        .bind(taken_at)
                        .bind(phase)
                        .bind(count)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// The snapshots of `org_id` taken at or after `since` (unix seconds), oldest first.
    pub async fn snapshots_since(
        &self,
        org_id: i64,
        since: i64,
    ) -> Result<Vec<SnapshotRow>, DbError> {
        macro_rules! rows {
            ($p:expr, $sql:expr) => {
                sqlx::query($sql)
                    .bind(org_id)
                    .bind(since)
                    .fetch_all($p)
                    .await?
                    .into_iter()
                    .map(|r| SnapshotRow {
                        org_id: r.get("org_id"),
                        taken_at: r.get("taken_at"),
                        phase: r.get("phase"),
                        count: r.get("count"),
                    })
                    .collect()
            };
        }
        Ok(match self {
            Db::Sqlite(p) => rows!(p, "SELECT org_id, taken_at, phase, count FROM fv_snapshots WHERE org_id = ? AND taken_at >= ? ORDER BY taken_at, phase"),
            Db::Postgres(p) => rows!(p, "SELECT org_id, taken_at, phase, count FROM fv_snapshots WHERE org_id = $1 AND taken_at >= $2 ORDER BY taken_at, phase"),
        })
    }

    /// When the newest snapshot (of any org) was taken, to schedule the first run after a
    /// restart.
    pub async fn snapshot_latest(&self) -> Result<Option<i64>, DbError> {
        const SQL: &str = "SELECT MAX(taken_at) AS t FROM fv_snapshots";
        Ok(match self {
            Db::Sqlite(p) => sqlx::query(SQL).fetch_one(p).await?.get("t"),
            Db::Postgres(p) => sqlx::query(SQL).fetch_one(p).await?.get("t"),
        })
    }
}
