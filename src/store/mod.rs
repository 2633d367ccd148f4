//! The database: SQLite by default (one file, nothing to install), PostgreSQL when several
//! replicas share logins. It holds the tower-sessions records and the index of sessions by
//! user, the token vault, the named connections (with their audit log and pool permits) and
//! the PAT saved on the old integration page, the per-phase snapshots, the feed keys' hashes, the webhook inbox,
//! each user's last organization choice and the spent back-channel logout token ids.
//!
//! Two backends, one small API, and each query written once: the SQL uses PostgreSQL's
//! numbered placeholders (`$1`, `$2`, ...), which SQLite reads too, and [`on_db!`] runs the
//! same text with the same binds on whichever pool this is. Where the dialects really differ
//! (column types in the schemas), each keeps its own text.

/// Runs one query on either backend: `on_db!(db, SQL, [binds...], method, map)` expands to
/// `sqlx::query(SQL).bind(..)...method(pool).await.map(map)` for the pool `db` holds, so the
/// SQL and its binds are written once. `map` is written once too, and typed per backend.
///
/// Placeholders must first appear in order (`$1` before `$2`): SQLite numbers `$N` names by
/// first appearance. Cast with `CAST(.. AS ..)`, not PostgreSQL's `::`.
macro_rules! on_db {
    ($db:expr, $sql:expr, [$($bind:expr),* $(,)?], $method:ident, $map:expr) => {
        match $db {
            $crate::store::Db::Sqlite(p) => {
                sqlx::query($sql)$(.bind($bind))*.$method(p).await.map($map)
            }
            $crate::store::Db::Postgres(p) => {
                sqlx::query($sql)$(.bind($bind))*.$method(p).await.map($map)
            }
        }
    };
}

mod alerts;
mod connections;
mod feeds;
mod health;
mod inbox;
mod integration;
mod live_subscriptions;
mod org_choices;
mod permits;
mod session_index;
mod sessions;
mod snapshots;
mod vault;

use std::{str::FromStr, time::Duration};

pub use alerts::OutboxRow;
pub use connections::{AuditRow, ConnectionRow};
pub use feeds::FeedKeyRow;
pub use health::{CheckRow, HealthRow, CHECKS_KEPT};
pub use inbox::{InboxRow, NewDelivery};
pub use integration::IntegrationRow;
pub use live_subscriptions::LiveSubscriptionRow;
pub use session_index::SessionIndexRow;
pub use sessions::{AnyStore, HashedIds, SaveIf};
pub use snapshots::SnapshotRow;
use tower_sessions_sqlx_store::sqlx::{
    self,
    postgres::{PgPool, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions},
    Row,
};
pub use vault::VaultRow;

/// Gives a table made by an older version a column it lacks (`definition` supplies the value
/// of the old rows), so a database keeps working across an upgrade. SQLite has no `ADD COLUMN
/// IF NOT EXISTS`, so it asks the table first. `table` and `column` are our own constants.
async fn add_column(db: &Db, table: &str, column: &str, definition: &str) -> Result<(), DbError> {
    match db {
        Db::Sqlite(pool) => {
            let probe = format!(
                "SELECT COUNT(*) AS n FROM pragma_table_info('{table}') WHERE name = '{column}'"
            );
            let n: i64 = sqlx::query(&probe).fetch_one(pool).await?.get("n");
            if n == 0 {
                let add = format!("ALTER TABLE {table} ADD COLUMN {column} {definition}");
                sqlx::query(&add).execute(pool).await?;
            }
        }
        Db::Postgres(pool) => {
            let add = format!("ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}");
            sqlx::query(&add).execute(pool).await?;
        }
    }
    Ok(())
}

/// A pool of either backend.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Database failures, with the URL's password never included.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error("could not open the database ({backend}): {source}")]
    Connect {
        backend: &'static str,
        source: sqlx::Error,
    },
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

impl Db {
    /// Opens the pool and creates the schema when missing.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|source| DbError::Connect {
                    backend: "sqlite",
                    source,
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5));
            // No ping before each use: an embedded file cannot drop a connection, and the
            // ping is a second round trip to the connection's worker thread on every query
            // (a tenth of a signed-in page's CPU, measured in docs/benchmarks.md).
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .connect_with(opts)
                .await
                .map_err(|source| DbError::Connect {
                    backend: "sqlite",
                    source,
                })?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(|source| DbError::Connect {
                    backend: "postgres",
                    source,
                })?;
            Db::Postgres(pool)
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Creates the tables. Idempotent, so every replica may run it at start-up.
    async fn migrate(&self) -> Result<(), DbError> {
        let Db::Postgres(pool) = self else {
            return self.create_tables().await;
        };
        // Replicas (and parallel tests) starting together race on CREATE SCHEMA/TABLE IF NOT
        // EXISTS, which PostgreSQL can fail with a unique violation. A session-level advisory
        // lock, held on one connection while the whole schema step runs on others, makes them
        // take turns.
        let mut lock = pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock(7059001)")
            .execute(&mut *lock)
            .await?;
        let result = self.create_tables().await;
        sqlx::query("SELECT pg_advisory_unlock(7059001)")
            .execute(&mut *lock)
            .await?;
        result
    }

    /// Every table of ours, then tower-sessions' own.
    async fn create_tables(&self) -> Result<(), DbError> {
        for sql in [
            vault::SCHEMA,
            integration::SCHEMA,
            snapshots::OLD_SCHEMA,
            snapshots::SCHEMA,
            snapshots::CLAIMS_SCHEMA,
            connections::SCHEMA,
            live_subscriptions::SCHEMA,
            permits::SCHEMA,
            feeds::SCHEMA,
            org_choices::SCHEMA,
            session_index::SCHEMA,
            session_index::SUBJECT_INDEX,
            session_index::SID_INDEX,
            session_index::JTI_SCHEMA,
            health::SCHEMA,
            health::CHECKS_SCHEMA,
            health::CHECKS_INDEX,
            health::EXPIRY_SCHEMA,
            health::CREDENTIAL_EXPIRY_SCHEMA,
            alerts::SCHEMA,
            inbox::SERVED_SCHEMA,
        ] {
            on_db!(self, sql, [], execute, |_| ())?;
        }
        // The audit log's generated id is the one column the dialects spell differently.
        let audit = match self {
            Db::Sqlite(_) => connections::SQLITE_AUDIT_SCHEMA,
            Db::Postgres(_) => connections::POSTGRES_AUDIT_SCHEMA,
        };
        on_db!(self, audit, [], execute, |_| ())?;
        let inbox = match self {
            Db::Sqlite(_) => inbox::SQLITE_SCHEMA,
            Db::Postgres(_) => inbox::POSTGRES_SCHEMA,
        };
        for sql in [
            inbox,
            inbox::JTI_INDEX,
            inbox::BODY_INDEX,
            inbox::PENDING_INDEX,
        ] {
            on_db!(self, sql, [], execute, |_| ())?;
        }
        add_column(
            self,
            "fv_snapshots",
            "connection",
            "TEXT NOT NULL DEFAULT ''",
        )
        .await?;
        add_column(self, "fv_connections", "id", "TEXT NOT NULL DEFAULT ''").await?;
        add_column(
            self,
            "fv_live_subscriptions",
            "claims",
            "BIGINT NOT NULL DEFAULT 0",
        )
        .await?;
        connections::assign_ids(self).await?;
        add_column(
            self,
            "fv_feed_keys",
            "connection_id",
            "TEXT NOT NULL DEFAULT ''",
        )
        .await?;
        feeds::bind_to_connection_ids(self).await?;
        snapshots::copy_old_rows(self).await?;
        self.session_store().migrate().await?;
        Ok(())
    }

    /// The tower-sessions store on this database.
    pub fn session_store(&self) -> AnyStore {
        AnyStore::new(self)
    }

    /// A cheap round trip, for readiness.
    pub async fn ping(&self) -> Result<(), DbError> {
        on_db!(self, "SELECT 1", [], execute, |_| ())?;
        Ok(())
    }

    /// Which backend, for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }
}
