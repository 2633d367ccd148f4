//! The schema, as versioned migrations run at start-up: `migrations/sqlite/` and
//! `migrations/postgres/`, one file per change and per backend, embedded in the binary by
//! `sqlx::migrate!` and recorded in the `_sqlx_migrations` table.
//!
//! # Adding a migration
//! 1. Write the change twice, once per backend, under the same name in both folders:
//!    `migrations/sqlite/<UTC timestamp>_<what>.sql` and `migrations/postgres/<same>.sql`
//!    (e.g. `20270115093000_feed_key_notes.sql`; `date -u +%Y%m%d%H%M%S` gives the timestamp).
//!    The timestamp is the version: engineers adding migrations on parallel branches do not
//!    collide, and a database applies whichever versions it has not recorded yet.
//! 2. Plain statements, no `IF NOT EXISTS`: each file runs exactly once per database, inside a
//!    transaction. Only the baseline checks for existing tables, because it adopts databases
//!    made by the release that created its tables by hand.
//! 3. Never edit or rename a file once it is merged: the migrator checks each applied file's
//!    checksum and refuses to start on a mismatch. Change the schema with a new file.
//! 4. Keep changes additive (a new table, a new column with a default) so the previous release
//!    still runs on the new schema while replicas roll over; see [`run`] for why a release may
//!    start on a database that has migrations it does not know.
//!
//! `tests/it/migrations.rs` runs the migrations on both backends, upgrades the hand-made
//! schema's dump, and compares the resulting schemas.

use sqlx::migrate::{MigrateError, Migrator};

use super::Db;

/// The migrations of each backend, embedded at compile time.
fn sqlite() -> Migrator {
    sqlx::migrate!("migrations/sqlite")
}
fn postgres() -> Migrator {
    sqlx::migrate!("migrations/postgres")
}

/// Applies the migrations `db` has not recorded yet.
///
/// On PostgreSQL the migrator holds an advisory lock (keyed on the database's name) while it
/// checks and applies, so replicas starting together take turns and the later ones find
/// nothing left to do. SQLite is one process's file; it needs no lock.
///
/// Migrations recorded in the database but unknown to this binary are allowed: they come from
/// a newer release (rolled back, or not yet rolled out to every replica), and additive
/// migrations leave a schema the older code still works with.
pub(super) async fn run(db: &Db) -> Result<(), MigrateError> {
    let mut migrator = match db {
        Db::Sqlite(_) => sqlite(),
        Db::Postgres(_) => postgres(),
    };
    migrator.set_ignore_missing(true);
    match db {
        Db::Sqlite(pool) => migrator.run(pool).await,
        Db::Postgres(pool) => migrator.run(pool).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each change is written for both backends, under one version and name, so neither
    /// backend's schema lags the other's.
    #[test]
    fn every_migration_exists_for_both_backends() {
        let names = |m: &Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&sqlite()), names(&postgres()));
        assert!(!names(&sqlite()).is_empty());
    }
}
