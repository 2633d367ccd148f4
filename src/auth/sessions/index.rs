//! The session store wrapper that keeps the user-to-sessions index ([`crate::store`]'s
//! `fv_session_index`) as sessions are created and deleted, and that never lets a save bring
//! an ended session back.
//!
//! It sits under [`crate::store::HashedIds`], so it sees the ids the table holds (never the
//! cookie's). A session is indexed when its record is *created*, which tower-sessions does
//! exactly once per sign-in (the id is cycled then); ordinary requests only load the record,
//! and the once-a-minute last-use write is a `save`: the index costs a signed-in request
//! nothing.
//!
//! Ended means ended. A `save` writes only over a record that is still stored and, for a
//! signed-in session, still indexed ([`SaveIf`]), in one statement: a request that loaded its
//! session before it was ended elsewhere cannot write it back, however its handler marked it
//! changed. Such a save is dropped and reported to [`watch_saves`], so the web layer answers
//! that request as signed out.

use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use async_trait::async_trait;
use tower_sessions::{
    session::{Id, Record},
    session_store, SessionStore,
};

use crate::{
    auth::{session, SessionUser},
    store::{AnyStore, Db, SaveIf, SessionIndexRow},
};

tokio::task_local! {
    /// Set when a save of the request being answered found its session ended.
    static DROPPED_SAVE: Arc<AtomicBool>;
}

/// Runs `request` (everything the session layer does for one request, its save included) and
/// says whether a save of its session was dropped because the session had ended meanwhile.
pub async fn watch_saves<F: Future>(request: F) -> (F::Output, bool) {
    let dropped = Arc::new(AtomicBool::new(false));
    let out = DROPPED_SAVE.scope(dropped.clone(), request).await;
    (out, dropped.load(Ordering::Acquire))
}

/// A session store that indexes signed-in sessions by user and provider session.
#[derive(Clone, Debug)]
pub struct IndexedStore {
    inner: AnyStore,
    db: Db,
    /// The absolute session lifetime: no session outlives its sign-in by more.
    lifetime_secs: i64,
}

impl IndexedStore {
    /// Wraps `inner` (the table store), indexing into `db`; rows are kept for `lifetime`
    /// after sign-in.
    pub fn new(inner: AnyStore, db: Db, lifetime: std::time::Duration) -> Self {
        Self {
            inner,
            db,
            lifetime_secs: lifetime.as_secs() as i64,
        }
    }
}

/// The index row of the signed-in session `user` that the table holds as `stored_id`, kept
/// `lifetime_secs` after its sign-in (the absolute session lifetime).
pub fn index_row(stored_id: String, user: &SessionUser, lifetime_secs: i64) -> SessionIndexRow {
    SessionIndexRow {
        stored_id,
        environment: user.environment.clone(),
        subject: user.identity.subject.clone(),
        sid: user.identity.sid.clone(),
        email: user.identity.email.clone(),
        vault_id: user.vault_id.clone(),
        started_at: user.login_at,
        browser: user.browser.clone(),
        expires_at: user.login_at + lifetime_secs,
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for IndexedStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.inner.create(record).await?;
        if let Some(user) = session::user_of_record(&record.data) {
            let row = index_row(record.id.to_string(), &user, self.lifetime_secs);
            // Fail closed: a session the index cannot name could not be ended from elsewhere.
            if let Err(e) = self.db.session_index_put(&row).await {
                let _ = self.inner.delete(&record.id).await;
                return Err(backend(e));
            }
        }
        Ok(())
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let user = session::user_of_record(&record.data);
        let guard = match user {
            Some(_) => SaveIf::RecordAndIndexExist,
            None => SaveIf::RecordExists,
        };
        if self.inner.update(record, guard).await? {
            return Ok(());
        }
        tracing::info!("a request's session ended while it ran: its save was dropped");
        let _ = DROPPED_SAVE.try_with(|dropped| dropped.store(true, Ordering::Release));
        // A signed-in record the index does not name (left from before the index) is ended
        // here, tokens included: otherwise it could still be read with, and never be saved.
        if let Some(user) = user {
            self.inner.delete(&record.id).await?;
            self.db
                .vault_delete(&user.vault_id)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await?;
        self.db
            .session_index_delete(&id.to_string())
            .await
            .map_err(backend)
    }
}
