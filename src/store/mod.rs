//! The database: SQLite by default (one file, nothing to install), PostgreSQL when several
//! replicas share logins. It holds the tower-sessions records and the index of sessions by
//! user, the token vault, the named connections (with their audit log and pool permits) and
//! the PAT saved on the old integration page, the per-phase snapshots, the feed keys' hashes, the webhook inbox,
//! each user's last organization choice and the spent back-channel logout token ids.
//!
//! Two backends, one small API, and each query written once: the SQL uses PostgreSQL's
//! numbered placeholders (`$1`, `$2`, ...), which SQLite reads too, and [`on_db!`] runs the
//! same text with the same binds on whichever pool this is. The schema is the one place the
//! dialects really differ (column types), so each backend has its own versioned migrations
//! (`migrations/sqlite`, `migrations/postgres`; [`migrations`] says how to add one).

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
mod migrations;
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
};
pub use vault::VaultRow;

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
    #[error("could not bring the database schema up to date: {0}")]
    Migrate(#[from] ::sqlx::migrate::MigrateError),
}

impl Db {
    /// Opens the pool and brings the schema up to date ([`migrations`]).
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
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
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
        migrations::run(&db).await?;
        Ok(db)
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
