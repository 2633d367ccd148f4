//! Reads a database from outside the app: every row of every table, the recorded
//! migrations, and the schema's shape, each in a form two databases can be compared by.

use std::collections::BTreeMap;

use sqlx::{Connection, PgConnection, Row, SqliteConnection};

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One row of `_sqlx_migrations`.
#[derive(Debug, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    pub success: bool,
    pub checksum: Vec<u8>,
    pub installed_on: String,
}

enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Conn {
    async fn open(backend: Backend, url: &str) -> Self {
        match backend {
            Backend::Sqlite => Conn::Sqlite(SqliteConnection::connect(url).await.unwrap()),
            Backend::Postgres => Conn::Postgres(PgConnection::connect(url).await.unwrap()),
        }
    }

    /// The first column of every row of `sql` (text), sorted.
    async fn texts(&mut self, sql: &str) -> Vec<String> {
        let mut out: Vec<String> = match self {
            Conn::Sqlite(c) => sqlx::query(sql)
                .fetch_all(c)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<Option<String>, _>(0).unwrap_or_default())
                .collect(),
            Conn::Postgres(c) => sqlx::query(sql)
                .fetch_all(c)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<Option<String>, _>(0).unwrap_or_default())
                .collect(),
        };
        out.sort();
        out
    }

    /// Our tables and tower-sessions', as the names queries use.
    async fn tables(&mut self) -> Vec<String> {
        match self {
            Conn::Sqlite(_) => {
                self.texts(
                    "SELECT name FROM sqlite_master WHERE type = 'table'
                        AND name NOT LIKE 'sqlite_%'",
                )
                .await
            }
            Conn::Postgres(_) => {
                self.texts(
                    "SELECT CASE table_schema WHEN 'public' THEN table_name
                        ELSE table_schema || '.' || table_name END
                    FROM information_schema.tables
                    WHERE table_schema IN ('public', 'tower_sessions')
                        AND table_type = 'BASE TABLE'",
                )
                .await
            }
        }
    }
}

/// Every table's rows, each row as one text, sorted.
pub async fn rows(backend: Backend, url: &str) -> BTreeMap<String, Vec<String>> {
    let mut conn = Conn::open(backend, url).await;
    let mut out = BTreeMap::new();
    for table in conn.tables().await {
        let sql = match backend {
            Backend::Sqlite => {
                let columns = conn
                    .texts(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .await;
                let quoted: Vec<String> = columns
                    .iter()
                    .map(|c| format!("'{c}=' || quote(\"{c}\")"))
                    .collect();
                format!("SELECT {} FROM \"{table}\"", quoted.join(" || '|' || "))
            }
            Backend::Postgres => format!("SELECT CAST(t AS TEXT) FROM {table} AS t"),
        };
        let rows = conn.texts(&sql).await;
        out.insert(table, rows);
    }
    out
}

/// The recorded migrations, by version.
pub async fn migrations(backend: Backend, url: &str) -> Vec<Applied> {
    const SQL: &str = "SELECT version, success, checksum, CAST(installed_on AS TEXT)
        FROM _sqlx_migrations ORDER BY version";
    macro_rules! read {
        ($c:expr) => {
            sqlx::query(SQL)
                .fetch_all($c)
                .await
                .unwrap()
                .iter()
                .map(|r| Applied {
                    version: r.get(0),
                    success: r.get(1),
                    checksum: r.get(2),
                    installed_on: r.get(3),
                })
                .collect()
        };
    }
    match Conn::open(backend, url).await {
        Conn::Sqlite(mut c) => read!(&mut c),
        Conn::Postgres(mut c) => read!(&mut c),
    }
}

/// The schema's shape: every column (type, nullability, default, key), index and
/// constraint, one text each, sorted.
pub async fn schema(backend: Backend, url: &str) -> Vec<String> {
    let mut conn = Conn::open(backend, url).await;
    let mut out = Vec::new();
    match backend {
        Backend::Sqlite => {
            for table in conn.tables().await {
                out.extend(
                    conn.texts(&format!(
                        "SELECT '{table}.' || name || ' ' || type || ' notnull=' || \"notnull\"
                            || ' default=' || COALESCE(dflt_value, '-') || ' pk=' || pk
                        FROM pragma_table_info('{table}')"
                    ))
                    .await,
                );
                out.extend(
                    conn.texts(&format!(
                        "SELECT '{table} index ' || l.name || ' unique=' || l.\"unique\"
                            || ' partial=' || l.partial || ' on '
                            || (SELECT group_concat(i.name) FROM pragma_index_info(l.name) i)
                        FROM pragma_index_list('{table}') l"
                    ))
                    .await,
                );
            }
        }
        Backend::Postgres => {
            out.extend(
                conn.texts(
                    "SELECT table_schema || '.' || table_name || '.' || column_name || ' '
                        || data_type || ' nullable=' || is_nullable || ' default='
                        || COALESCE(column_default, '-')
                    FROM information_schema.columns
                    WHERE table_schema IN ('public', 'tower_sessions')",
                )
                .await,
            );
            out.extend(
                conn.texts(
                    "SELECT indexdef FROM pg_indexes
                    WHERE schemaname IN ('public', 'tower_sessions')",
                )
                .await,
            );
            out.extend(
                conn.texts(
                    "SELECT CAST(conrelid::regclass AS TEXT) || ' ' || pg_get_constraintdef(oid)
                    FROM pg_constraint
                    WHERE connamespace IN (SELECT oid FROM pg_namespace
                        WHERE nspname IN ('public', 'tower_sessions'))",
                )
                .await,
            );
        }
    }
    out.sort();
    out
}
