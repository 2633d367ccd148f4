//! The refresh lease on a vault row: which replica may spend the session's refresh token.
//!
//! The guard exists *before* the statement that takes the lease is sent, so a task stopped at
//! any await (the runtime shutting down) still releases what it may hold. It stays armed until
//! a release or store has been confirmed by the database; every statement names the owner and
//! checks that a row matched (fencing), so a holder whose lease ran out cannot overwrite or
//! release the next holder's work. While the provider call is in flight the lease is renewed,
//! so a slow provider does not let a second replica refresh with the same token.

use std::{future::Future, time::Duration};

use crate::{
    store::{Db, DbError},
    util::Clock,
};

/// How long a lease lasts unless renewed: how long a replica that died mid-refresh blocks the
/// others.
pub(super) const LEASE_SECS: i64 = 15;
/// A held lease is renewed once it is this old (by the app clock).
const RENEW_AFTER_SECS: i64 = 5;
/// How often the renewer looks at the clock (cheap: it writes only when a renewal is due).
const RENEW_POLL: Duration = Duration::from_millis(200);

/// A refresh lease that this process may hold.
pub(super) struct Lease {
    db: Db,
    clock: Clock,
    id: String,
    owner: String,
    /// Whether the row may still name us: from before the take until a confirmed release.
    armed: bool,
}

impl Lease {
    /// A guard for a lease on `id` that is about to be taken by a new random owner.
    pub(super) fn new(db: Db, clock: Clock, id: &str) -> Self {
        Self {
            db,
            clock,
            id: id.to_owned(),
            owner: crate::auth::session::random_token(),
            armed: true,
        }
    }

    /// Takes the lease if nobody holds an unexpired one. On `false` the guard disarms.
    pub(super) async fn try_take(&mut self) -> Result<bool, DbError> {
        let now = self.clock.now_unix();
        let taken = self
            .db
            .vault_try_lease(&self.id, &self.owner, now, now + LEASE_SECS)
            .await?;
        if !taken {
            self.armed = false;
        }
        Ok(taken)
    }

    /// Runs `work` (the provider call), renewing the lease while it runs. A lost lease is
    /// logged, not acted on: the request may already have spent the token, and the fenced
    /// store will refuse to overwrite a newer holder's tokens.
    pub(super) async fn renew_while<F: Future>(&self, work: F) -> F::Output {
        tokio::pin!(work);
        let mut renewed_at = self.clock.now_unix();
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = tokio::time::sleep(RENEW_POLL) => {
                    let now = self.clock.now_unix();
                    if now - renewed_at < RENEW_AFTER_SECS {
                        continue;
                    }
                    match self.db.vault_renew_lease(&self.id, &self.owner, now + LEASE_SECS).await {
                        Ok(true) => renewed_at = now,
                        Ok(false) => tracing::error!("refresh lease lost while the provider call was in flight"),
                        Err(e) => tracing::warn!(error = %e, "could not renew the refresh lease"),
                    }
                }
            }
        }
    }

    /// Stores the new sealed tokens and releases, in one fenced statement. `Ok(false)`: the
    /// lease was no longer ours (nothing written).
    pub(super) async fn store_and_release(&mut self, sealed: &str) -> Result<bool, DbError> {
        let done = self
            .db
            .vault_store_and_release(&self.id, &self.owner, sealed)
            .await?;
        self.armed = false;
        Ok(done)
    }

    /// Releases without writing. `Ok(false)`: it was no longer ours.
    pub(super) async fn release(&mut self) -> Result<bool, DbError> {
        let done = self.db.vault_release(&self.id, &self.owner).await?;
        self.armed = false;
        Ok(done)
    }

    /// Deletes the row (the session ended) if the lease is still ours.
    pub(super) async fn delete_row(&mut self) -> Result<bool, DbError> {
        let done = self.db.vault_delete_leased(&self.id, &self.owner).await?;
        self.armed = false;
        Ok(done)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (db, id, owner) = (self.db.clone(), self.id.clone(), self.owner.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = db.vault_release(&id, &owner).await {
                    tracing::warn!(error = %e, "could not release a refresh lease; it expires by itself");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with one vault row holding `old`, and the clock the leases read.
    async fn one_row() -> (tempfile::TempDir, Db, Clock) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("v.db").display());
        let db = Db::connect(&url).await.unwrap();
        db.vault_put("s1", "old", i64::MAX).await.unwrap();
        (dir, db, Clock::system())
    }

    async fn sealed(db: &Db) -> Option<String> {
        db.vault_get("s1").await.unwrap().map(|r| r.sealed)
    }

    /// A holder whose lease ran out while a second one took it: every write it still tries
    /// (store, renew, release, delete) matches no row, and the second holder's work stands.
    #[tokio::test]
    async fn a_write_under_a_lease_someone_else_took_matches_no_row() {
        let (_dir, db, clock) = one_row().await;
        let mut late = Lease::new(db.clone(), clock.clone(), "s1");
        assert!(late.try_take().await.unwrap());
        clock.advance(Duration::from_secs(LEASE_SECS as u64 + 1));
        let mut next = Lease::new(db.clone(), clock.clone(), "s1");
        assert!(next.try_take().await.unwrap(), "an expired lease is free");

        let until = clock.now_unix() + LEASE_SECS;
        assert!(!db
            .vault_renew_lease("s1", &late.owner, until)
            .await
            .unwrap());
        assert!(!late.store_and_release("from-late").await.unwrap());
        assert_eq!(sealed(&db).await.as_deref(), Some("old"));
        assert!(!late.release().await.unwrap());
        assert!(!late.delete_row().await.unwrap());
        assert!(sealed(&db).await.is_some(), "the row is not deleted");

        assert!(db
            .vault_renew_lease("s1", &next.owner, until)
            .await
            .unwrap());
        assert!(next.store_and_release("from-next").await.unwrap());
        assert_eq!(sealed(&db).await.as_deref(), Some("from-next"));
        assert_eq!(db.vault_count_leased().await.unwrap(), 0);
    }
}
