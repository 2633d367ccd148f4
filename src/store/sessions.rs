//! One session store type over both backends, so the router has a single concrete type, and
//! whose saves never bring a deleted record back.

use async_trait::async_trait;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
    SessionStore,
};
use tower_sessions_sqlx_store::{sqlx, PostgresStore, SqliteStore};

use super::Db;

/// The tables tower-sessions' stores keep records in (their defaults), for the queries of ours
/// that read or write them.
pub(super) const SQLITE_TABLE: &str = "tower_sessions";
pub(super) const POSTGRES_TABLE: &str = "\"tower_sessions\".\"session\"";

/// Calls the same method on whichever backend store this is.
macro_rules! on_store {
    ($store:expr, $s:ident => $call:expr) => {
        match &$store.backend {
            Backend::Sqlite($s) => $call,
            Backend::Postgres($s) => $call,
        }
    };
}

/// tower-sessions store on SQLite or PostgreSQL.
///
/// `save` only ever updates a record that is still there. tower-sessions' own stores save with
/// an insert-or-update, and tower-sessions saves at the end of a request whatever that request
/// loaded at its start: a request in flight while its session is ended (signed out elsewhere,
/// by an admin, by a back-channel logout) would write the deleted record back, signed in and
/// no longer indexed, so nothing could list or end it. New records come only from `create`,
/// which tower-sessions calls for a fresh id (no cookie, a cookie naming nothing, a cycled id).
#[derive(Clone, Debug)]
pub struct AnyStore {
    db: Db,
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Which rows a save requires besides the record itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveIf {
    /// The record only (a session nobody is signed in to).
    RecordExists,
    /// The record and its row in the session index (a signed-in session: one the index does
    /// not name could not be ended from anywhere, so it may not be kept alive either).
    RecordAndIndexExist,
}

impl AnyStore {
    pub(super) fn new(db: &Db) -> Self {
        let backend = match db {
            Db::Sqlite(p) => Backend::Sqlite(SqliteStore::new(p.clone())),
            Db::Postgres(p) => Backend::Postgres(PostgresStore::new(p.clone())),
        };
        Self {
            db: db.clone(),
            backend,
        }
    }

    /// Writes `record` over its stored row when that row (and what `guard` asks for) is still
    /// there, in one statement, so a delete that commits first wins. Returns whether it wrote;
    /// `false` means the session ended while this request had it loaded.
    pub async fn update(&self, record: &Record, guard: SaveIf) -> session_store::Result<bool> {
        let table = match self.db {
            Db::Sqlite(_) => SQLITE_TABLE,
            Db::Postgres(_) => POSTGRES_TABLE,
        };
        let indexed = match guard {
            SaveIf::RecordExists => "",
            SaveIf::RecordAndIndexExist => {
                " AND EXISTS (SELECT 1 FROM fv_session_index WHERE stored_id = $3)"
            }
        };
        let sql = format!("UPDATE {table} SET data = $1, expiry_date = $2 WHERE id = $3{indexed}");
        // The same encoding as tower-sessions-sqlx-store's, so its `load` reads it.
        let data =
            rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let id = record.id.to_string();
        on_db!(
            &self.db,
            &sql,
            [data, record.expiry_date, id],
            execute,
            |done| done.rows_affected() == 1
        )
        .map_err(|e| session_store::Error::Backend(e.to_string()))
    }
}

#[async_trait]
impl SessionStore for AnyStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        on_store!(self, s => s.create(record).await)
    }
    /// Update only: see the type's doc.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.update(record, SaveIf::RecordExists).await.map(drop)
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        on_store!(self, s => s.load(id).await)
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        on_store!(self, s => s.delete(id).await)
    }
}

#[async_trait]
impl ExpiredDeletion for AnyStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        on_store!(self, s => s.delete_expired().await)
    }
}

/// A session store that keeps only a keyed hash of each session id, so the table is not a list
/// of working cookies: ids read from a database dump (or a backup, or a replica's disk) do not
/// sign anyone in without `FV_SECRET_KEY`. The browser's cookie holds the real id; every call
/// is passed on with `HMAC-SHA-256(k, id)` (cut to the 128 bits of an id) in its place, where
/// `k` is derived from the secret key for this purpose only.
///
/// Rows written before this wrapper hold raw ids that no cookie hashes to: those sessions are
/// signed out once, and expire from the table as usual.
#[derive(Clone)]
pub struct HashedIds<S> {
    inner: S,
    key: std::sync::Arc<[u8; 32]>,
}

impl<S> std::fmt::Debug for HashedIds<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashedIds(****)")
    }
}

impl<S> HashedIds<S> {
    /// Wraps `inner`, hashing with a key derived from `secret`.
    pub fn new(inner: S, secret: &crate::config::SecretKey) -> Self {
        let key = hmac(secret.expose(), b"fv-partner-app session id v1");
        Self {
            inner,
            key: std::sync::Arc::new(key),
        }
    }

    /// The id the table sees for the cookie's `id`.
    pub fn stored_id(&self, id: &Id) -> Id {
        let mac = hmac(self.key.as_slice(), &id.0.to_le_bytes());
        let mut half = [0u8; 16];
        half.copy_from_slice(&mac[..16]);
        Id(i128::from_le_bytes(half))
    }
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Mac, SimpleHmac};
    let mut mac = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[async_trait]
impl<S: SessionStore> SessionStore for HashedIds<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let wanted = self.stored_id(&record.id);
            let mut stored = record.clone();
            stored.id = wanted;
            self.inner.create(&mut stored).await?;
            if stored.id == wanted {
                return Ok(());
            }
            // The inner store found the hash taken and picked another id, which no cookie
            // hashes to: drop that row and try a fresh id (2^-128 odds; never seen).
            self.inner.delete(&stored.id).await?;
            record.id = Id::default();
        }
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut stored = record.clone();
        stored.id = self.stored_id(&record.id);
        self.inner.save(&stored).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = self.inner.load(&self.stored_id(id)).await?;
        Ok(found.map(|mut record| {
            record.id = *id;
            record
        }))
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(&self.stored_id(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_ids_are_keyed_and_not_the_cookie() {
        let a = HashedIds::new((), &crate::config::SecretKey::from_bytes([1; 32]));
        let b = HashedIds::new((), &crate::config::SecretKey::from_bytes([2; 32]));
        let id = Id(0x1234_5678_9abc_def0_1122_3344_5566_7788);
        assert_ne!(a.stored_id(&id), id);
        assert_ne!(a.stored_id(&id), b.stored_id(&id));
        assert_eq!(a.stored_id(&id), a.stored_id(&id));
    }

    #[tokio::test]
    async fn a_save_never_brings_back_a_deleted_record() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Db::connect(&url).await.unwrap().session_store();
        let expiry_date = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date,
        };
        store.create(&mut record).await.unwrap();
        record.data.insert("k".into(), serde_json::json!(1));
        assert!(store.update(&record, SaveIf::RecordExists).await.unwrap());
        let loaded = store.load(&record.id).await.unwrap().unwrap();
        assert_eq!(
            loaded.data, record.data,
            "read back as tower-sessions wrote it"
        );
        assert!(
            !store
                .update(&record, SaveIf::RecordAndIndexExist)
                .await
                .unwrap(),
            "not indexed"
        );
        store.delete(&record.id).await.unwrap();
        store.save(&record).await.unwrap();
        assert!(!store.update(&record, SaveIf::RecordExists).await.unwrap());
        assert!(store.load(&record.id).await.unwrap().is_none());
    }
}
