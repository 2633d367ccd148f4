//! The versioned schema on both backends: a database made by the hand-made schema's release
//! (dumps of one, with rows from a real session, connection and feed key, in
//! `before_sqlite.sql` and `before_postgres.sql`) upgrades with every row kept and the app
//! working on it; a second start changes nothing; the upgraded schema is the one a new
//! database gets; replicas starting together on PostgreSQL migrate once; a release that does
//! not know a newer migration still starts.

mod inspect;

use fv_partner_app::store::Db;
use reqwest::StatusCode;
use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::common::{self, connections::admin_opts, feeds::feed, spawn_app, TestOptions};
use crate::support::ended::private_postgres;
use inspect::{migrations, rows, schema, Backend};

/// The hand-made schema's SQLite database, as `sqlite3 .dump` printed it.
const BEFORE_SQLITE: &str = include_str!("before_sqlite.sql");
/// The same on PostgreSQL (`pg_dump --inserts --no-owner --no-privileges`, without the
/// `\restrict` lines only psql reads).
const BEFORE_POSTGRES: &str = include_str!("before_postgres.sql");
/// The feed keys made with the dumps (on connection `bi`, org 5001): a key opens its feed only
/// while its row, its connection's row and that row's sealed PAT all read back.
const SQLITE_FEED_KEY: &str = "fvfeed_aNVyQOc-rHucwyArfS9pgQke10pFFJ62A8VRGnYmR44";
const POSTGRES_FEED_KEY: &str = "fvfeed_jLHJzQAncaXBQdhDLcMBIfZ0Ms69eXfNQ4h9lFgdqoY";

/// The table the hand-made schema kept for snapshots from before environments; a migration
/// drops it.
const OLD_SNAPSHOTS: &str = "fv_snapshots";

fn sqlite_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join(name).display())
}

async fn load_sqlite_dump(url: &str) {
    let mut conn = SqliteConnection::connect(url).await.unwrap();
    sqlx::raw_sql(BEFORE_SQLITE)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

async fn load_postgres_dump(url: &str) {
    // The dump empties search_path for its own session: a connection of its own.
    let mut conn = PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(BEFORE_POSTGRES)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// Upgrades the dump at `url`, then checks rows, the app, a second start and the schema
/// against `fresh_url`'s.
async fn upgrade(backend: Backend, url: &str, fresh_url: &str, feed_key: &str) {
    let before = rows(backend, url).await;
    assert!(before.contains_key(OLD_SNAPSHOTS), "{:?}", before.keys());
    assert!(
        before.values().all(|r| !r.is_empty()),
        "the dump has a row in every table"
    );

    // Migrating (before any job of the app touches a row) keeps every row of every table.
    Db::connect(url).await.expect("the dump upgrades");
    let mut after = rows(backend, url).await;
    let applied = migrations(backend, url).await;
    assert!(!applied.is_empty());
    assert!(after.remove("_sqlx_migrations").is_some());
    let mut expected = before.clone();
    expected.remove(OLD_SNAPSHOTS);
    assert_eq!(after, expected);

    // The app starts on it and reads what the old release wrote: the feed key opens its feed
    // through connection `bi` and its sealed PAT.
    let opts = || TestOptions {
        database_url: Some(url.to_owned()),
        ..admin_opts()
    };
    let app = spawn_app(opts()).await;
    let r = feed(&app, "/feeds/projects.json", feed_key, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let names: Vec<String> = app
        .state
        .db
        .connections_list()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(names.contains(&"bi".to_owned()), "{names:?}");
    drop(app);

    // A second start applies nothing.
    let again = spawn_app(opts()).await;
    assert_eq!(migrations(backend, url).await, applied);
    drop(again);

    // The upgraded schema is the one a new database gets.
    Db::connect(fresh_url)
        .await
        .expect("a new database migrates");
    let (upgraded, fresh) = (schema(backend, url).await, schema(backend, fresh_url).await);
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    };
    assert_eq!(
        only(&upgraded, &fresh),
        Vec::<String>::new(),
        "only upgraded"
    );
    assert_eq!(only(&fresh, &upgraded), Vec::<String>::new(), "only fresh");
}

#[tokio::test]
async fn a_sqlite_database_of_the_hand_made_schema_upgrades_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "before.db");
    load_sqlite_dump(&url).await;
    let fresh = sqlite_url(&dir, "fresh.db");
    upgrade(Backend::Sqlite, &url, &fresh, SQLITE_FEED_KEY).await;
}

#[tokio::test]
async fn a_postgres_database_of_the_hand_made_schema_upgrades_with_its_rows() {
    let db = private_postgres("mig_before").await;
    let fresh = private_postgres("mig_fresh").await;
    load_postgres_dump(&db.url).await;
    upgrade(Backend::Postgres, &db.url, &fresh.url, POSTGRES_FEED_KEY).await;
    db.drop_now().await;
    fresh.drop_now().await;
}

#[tokio::test]
async fn replicas_starting_together_on_postgres_migrate_once() {
    let db = private_postgres("mig_replicas").await;
    let starts = (0..6).map(|_| Db::connect(&db.url));
    for result in futures::future::join_all(starts).await {
        result.expect("every replica starts");
    }
    let applied = migrations(Backend::Postgres, &db.url).await;
    let mut versions: Vec<_> = applied.iter().map(|m| m.version).collect();
    versions.dedup();
    assert_eq!(versions.len(), applied.len(), "{applied:?}");
    assert!(applied.iter().all(|m| m.success));
    db.drop_now().await;
}

/// A newer release's migration, recorded in the database, does not stop this release (a
/// rollback, or replicas mid-rollout): migrations are additive.
#[tokio::test]
async fn a_release_starts_on_a_database_with_a_migration_it_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "newer.db");
    let db = Db::connect(&url).await.unwrap();
    let Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    sqlx::query(
        "INSERT INTO _sqlx_migrations
            (version, description, success, checksum, execution_time)
            VALUES (99991231235959, 'from a newer release', TRUE, X'00', 1)",
    )
    .execute(pool)
    .await
    .unwrap();
    Db::connect(&url)
        .await
        .expect("starts despite the unknown migration");
    let app = common::spawn_app(TestOptions {
        database_url: Some(url),
        ..Default::default()
    })
    .await;
    assert_eq!(
        app.browser().get(&app.url("/readyz")).await.status(),
        StatusCode::OK
    );
}
