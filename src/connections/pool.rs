//! Concurrency pools. A connection's gateway calls run inside a permit of its pool (its own,
//! or its lender's when it borrows), and the permits are leased in the database
//! ([`crate::store::Db::permit_try`]), because Filevine's limits are per org, not per
//! process: replicas and command-line exports sharing a pool together never exceed its level.
//! A lease expires after [`LEASE`], so a crashed process frees its permits by itself; a call
//! that holds its permit longer (a slow gateway, a stalled download) renews the lease every
//! [`RENEW_AFTER`] by the app clock, retrying a failed renewal with backoff, so a live holder
//! never loses its slot to another process.
//!
//! Within one process a semaphore of the pool's level queues callers first, so waiting is a
//! local affair and only callers that could run poll the database (with a short, growing
//! pause, since another process's release cannot wake us).
//!
//! Hand-written rather than a crate's: no well-kept crate leases counted slots in a SQL table
//! shared by SQLite and PostgreSQL; the whole protocol is two statements.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, UNIX_EPOCH},
};

use async_trait::async_trait;
use tokio::sync::Semaphore;

use crate::{
    filevine::{
        models::{OrgUser, UserOrgs},
        Gateway, GatewayError, OrgContext, Project, ProjectId, ProjectPage, ProjectQuery,
    },
    store::Db,
    util::{backoff::Backoff, Clock},
};

/// How long a lease lasts unless renewed: how long a crashed process's permits stay taken.
pub const LEASE: Duration = Duration::from_secs(120);
/// A held lease is renewed once it is this old (by the app clock): a third of [`LEASE`], so
/// renewals failing for over a minute still leave the slot ours.
pub const RENEW_AFTER: Duration = Duration::from_secs(40);
/// How often a holder looks at the clock (cheap: it writes only when a renewal is due).
const RENEW_POLL: Duration = Duration::from_millis(200);
/// The longest pause between two tries of a failed renewal.
const MAX_RENEW_BACKOFF: Duration = Duration::from_secs(5);
/// The longest pause between two looks at a full pool.
const MAX_POLL: Duration = Duration::from_millis(100);

/// The pools of this process, by name and level.
pub struct Pools {
    db: Db,
    clock: Clock,
    /// Tells this process's leases from other processes' (and from each other).
    holder_prefix: String,
    next: AtomicU64,
    local: Mutex<HashMap<(String, u8), Arc<Pool>>>,
    /// Renewals the database refused to answer (each retried): for tests and logs.
    renew_failures: AtomicU64,
}

impl Pools {
    pub fn new(db: Db, clock: Clock) -> Arc<Self> {
        Arc::new(Self {
            db,
            clock,
            holder_prefix: uuid::Uuid::new_v4().simple().to_string(),
            next: AtomicU64::new(0),
            local: Mutex::new(HashMap::new()),
            renew_failures: AtomicU64::new(0),
        })
    }

    /// The pool `name` at `level` permits (a changed level is a new local queue; the
    /// database slots are the same).
    pub fn pool(self: &Arc<Self>, name: &str, level: u8) -> Arc<Pool> {
        let level = level.clamp(1, super::MAX_CONCURRENCY);
        let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        local
            .entry((name.to_owned(), level))
            .or_insert_with(|| {
                Arc::new(Pool {
                    pools: self.clone(),
                    name: name.to_owned(),
                    level,
                    queue: Arc::new(Semaphore::new(usize::from(level))),
                })
            })
            .clone()
    }

    /// Leases of `pool` running now, in every process.
    pub async fn held(&self, pool: &str) -> Result<i64, crate::store::DbError> {
        self.db.permits_held(pool, self.now_ms()).await
    }

    /// How many lease renewals failed (and were retried) in this process.
    pub fn renew_failures(&self) -> u64 {
        self.renew_failures.load(Ordering::Relaxed)
    }

    fn now_ms(&self) -> i64 {
        let since = self.clock.now().duration_since(UNIX_EPOCH);
        since.unwrap_or_default().as_millis() as i64
    }
}

/// One pool: `level` permits shared by every process using the same database.
pub struct Pool {
    pools: Arc<Pools>,
    name: String,
    level: u8,
    queue: Arc<Semaphore>,
}

impl Pool {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn level(&self) -> u8 {
        self.level
    }

    /// Runs `call` inside a permit. Waiting for the permit ends with the caller; the call
    /// itself runs in a task that owns the permit, so a caller that gives up midway (the
    /// future dropped) frees it only once the gateway has answered: the gateway works on a
    /// call its client dropped, and the level bounds what it sees.
    pub async fn run<T, F>(&self, call: F) -> Result<T, GatewayError>
    where
        F: std::future::Future<Output = Result<T, GatewayError>> + Send + 'static,
        T: Send + 'static,
    {
        let queued = self
            .queue
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| GatewayError::Network("the connection pool closed".into()))?;
        let lease = self.lease().await?;
        let task = tokio::spawn(async move {
            let _queued = queued;
            let result = lease.renew_while(call).await;
            lease.release().await;
            result
        });
        task.await
            .map_err(|e| GatewayError::Network(format!("the gateway call failed: {e}")))?
    }

    /// Waits for a free slot in the database and leases it.
    async fn lease(&self) -> Result<Lease, GatewayError> {
        let pools = &self.pools;
        let n = pools.next.fetch_add(1, Ordering::Relaxed);
        let holder = format!("{}-{n}", pools.holder_prefix);
        let start = (n % u64::from(self.level)) as i64;
        let mut pause = Backoff::new(Duration::from_millis(2), MAX_POLL);
        loop {
            let now = pools.now_ms();
            let expires = now + LEASE.as_millis() as i64;
            for i in 0..i64::from(self.level) {
                let slot = (start + i) % i64::from(self.level);
                let taken = pools
                    .db
                    .permit_try(&self.name, slot, &holder, expires, now)
                    .await
                    .map_err(|e| GatewayError::Network(format!("concurrency pool: {e}")))?;
                if taken {
                    return Ok(Lease {
                        db: pools.db.clone(),
                        pools: pools.clone(),
                        pool: self.name.clone(),
                        slot,
                        holder: Some(holder),
                    });
                }
            }
            tokio::time::sleep(pause.next_wait()).await;
        }
    }
}

/// A held slot; given back by [`Lease::release`] or, when dropped unreleased, in a task.
struct Lease {
    db: Db,
    pools: Arc<Pools>,
    pool: String,
    slot: i64,
    holder: Option<String>,
}

impl Lease {
    /// Runs `work` (the gateway call), renewing the lease whenever it is [`RENEW_AFTER`] old.
    /// A renewal the database does not answer is retried with a growing pause; a lease found
    /// taken by another holder (it ran out first) is logged and no longer renewed.
    async fn renew_while<F: std::future::Future>(&self, work: F) -> F::Output {
        tokio::pin!(work);
        let Some(holder) = self.holder.as_deref() else {
            return work.await;
        };
        let pools = &self.pools;
        let mut renewed_at = pools.now_ms();
        let mut pause = RENEW_POLL;
        let mut backoff = Backoff::new(RENEW_POLL * 2, MAX_RENEW_BACKOFF);
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = tokio::time::sleep(pause) => {}
            }
            let now = pools.now_ms();
            if now - renewed_at < RENEW_AFTER.as_millis() as i64 {
                continue;
            }
            let until = now + LEASE.as_millis() as i64;
            match self
                .db
                .permit_renew(&self.pool, self.slot, holder, until)
                .await
            {
                Ok(true) => {
                    renewed_at = now;
                    pause = RENEW_POLL;
                    backoff = Backoff::new(RENEW_POLL * 2, MAX_RENEW_BACKOFF);
                }
                Ok(false) => {
                    tracing::error!(pool = %self.pool, "a permit's lease ran out while its call was in flight; the pool may briefly run one call over its level");
                    return work.await;
                }
                Err(e) => {
                    pools.renew_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, pool = %self.pool, "could not renew a permit's lease; retrying");
                    pause = backoff.next_wait();
                }
            }
        }
    }

    async fn release(mut self) {
        if let Some(holder) = self.holder.take() {
            if let Err(e) = self.db.permit_release(&self.pool, self.slot, &holder).await {
                // The lease expires by itself; until then the pool is one permit short.
                tracing::warn!(error = %e, pool = %self.pool, "could not release a permit");
            }
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(holder) = self.holder.take() {
            let (db, pool, slot) = (self.db.clone(), self.pool.clone(), self.slot);
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = db.permit_release(&pool, slot, &holder).await;
                });
            }
        }
    }
}

/// The gateway with every call inside a permit of `pool`: what a connection's
/// [`crate::filevine::AuthedGateway`] is built on, so no path (export, snapshot, command
/// line, Test) can call the gateway for a connection without one.
pub struct PooledGateway {
    inner: Arc<dyn Gateway>,
    pool: Arc<Pool>,
}

impl PooledGateway {
    pub fn new(inner: Arc<dyn Gateway>, pool: Arc<Pool>) -> Self {
        Self { inner, pool }
    }
}

#[async_trait]
impl Gateway for PooledGateway {
    async fn user_orgs(&self, token: &str) -> Result<UserOrgs, GatewayError> {
        let (inner, token) = (self.inner.clone(), token.to_owned());
        self.pool
            .run(async move { inner.user_orgs(&token).await })
            .await
    }

    async fn me(&self, token: &str, ctx: OrgContext) -> Result<OrgUser, GatewayError> {
        let (inner, token) = (self.inner.clone(), token.to_owned());
        self.pool
            .run(async move { inner.me(&token, ctx).await })
            .await
    }

    async fn projects(
        &self,
        token: &str,
        ctx: OrgContext,
        query: &ProjectQuery,
    ) -> Result<ProjectPage, GatewayError> {
        let (inner, token, query) = (self.inner.clone(), token.to_owned(), query.clone());
        self.pool
            .run(async move { inner.projects(&token, ctx, &query).await })
            .await
    }

    async fn project(
        &self,
        token: &str,
        ctx: OrgContext,
        id: ProjectId,
    ) -> Result<Project, GatewayError> {
        let (inner, token) = (self.inner.clone(), token.to_owned());
        self.pool
            .run(async move { inner.project(&token, ctx, id).await })
            .await
    }

    async fn project_types(
        &self,
        token: &str,
        ctx: OrgContext,
        offset: u64,
    ) -> Result<crate::filevine::models::ProjectTypePage, GatewayError> {
        let (inner, token) = (self.inner.clone(), token.to_owned());
        self.pool
            .run(async move { inner.project_types(&token, ctx, offset).await })
            .await
    }

    async fn webhooks(
        &self,
        token: &str,
        ctx: OrgContext,
        call: &crate::filevine::webhooks::WebhookCall,
    ) -> Result<serde_json::Value, GatewayError> {
        let (inner, token, call) = (self.inner.clone(), token.to_owned(), call.clone());
        self.pool
            .run(async move { inner.webhooks(&token, ctx, &call).await })
            .await
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
