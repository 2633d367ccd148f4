//! Telling every replica of an applied change. With SQLite there is one replica: the change is
//! published here. With PostgreSQL the change goes out as a `NOTIFY` on [`CHANNEL`] and every
//! replica (this one included) publishes it when its `LISTEN` connection hears it, so a
//! delivery that reached either replica drops the caches and reaches the open streams of all.
//!
//! A replica whose listening connection drops reconnects (sqlx's `PgListener` does) and misses
//! what was said meanwhile: its caches then age out within their minute, as without webhooks.

use std::{sync::Arc, time::Duration};

use tower_sessions_sqlx_store::sqlx::{self, postgres::PgListener, PgPool};

use super::hub::{Change, LiveHub};
use crate::{store::Db, util::backoff::Backoff};

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "fv_live_changes";

/// How to tell every replica.
#[derive(Clone)]
pub enum Fanout {
    /// One replica: publish here.
    Local,
    /// Replicas sharing PostgreSQL: `NOTIFY`, heard by every replica's listener.
    Postgres(PgPool),
}

impl Fanout {
    /// The fan-out for `db`.
    pub fn for_db(db: &Db) -> Self {
        match db {
            Db::Sqlite(_) => Fanout::Local,
            Db::Postgres(pool) => Fanout::Postgres(pool.clone()),
        }
    }

    /// Tells every replica (this one through `hub`) that `change` happened. When the
    /// notification cannot be sent, this replica at least publishes it.
    pub async fn announce(&self, hub: &LiveHub, change: Change) {
        let Fanout::Postgres(pool) = self else {
            hub.publish(change);
            return;
        };
        let payload = serde_json::to_string(&change).unwrap_or_default();
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(&payload)
            .execute(pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not notify the other replicas of a change; publishing here only");
            hub.publish(change);
        }
    }

    /// With PostgreSQL, starts this replica's listener: every change any replica announces is
    /// published to `hub`. Resolves once it listens (or gave up for now: it keeps trying).
    pub async fn listen(&self, hub: Arc<LiveHub>) {
        let Fanout::Postgres(pool) = self else {
            return;
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            let mut pause = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
            loop {
                match listen_once(&pool, &hub, &mut ready).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "the live-changes listener failed; retrying");
                        if let Some(r) = ready.take() {
                            let _ = r.send(());
                        }
                        tokio::time::sleep(pause.next_wait()).await;
                    }
                }
            }
        });
        let _ = ready_rx.await;
    }
}

async fn listen_once(
    pool: &PgPool,
    hub: &LiveHub,
    ready: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    if let Some(r) = ready.take() {
        let _ = r.send(());
    }
    loop {
        let note = listener.recv().await?;
        match serde_json::from_str::<Change>(note.payload()) {
            Ok(change) => hub.publish(change),
            Err(_) => tracing::warn!("ignored a malformed live-change notification"),
        }
    }
}
