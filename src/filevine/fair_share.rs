//! The gateway's in-flight permits, shared fairly: at most `FV_CONCURRENCY` calls at once in
//! this process, and, while anyone else is using the gateway, at most half of them (at least
//! one) for any one Filevine user, so one person's parallel exports cannot take every permit
//! and time out everyone else's dashboard. A user alone may borrow the idle rest of the pool
//! (an export at night runs at full speed); borrowed permits are never waited for, only taken
//! when free and nobody else is active, so they drain as soon as someone else shows up.
//!
//! A caller first takes its user's share, then a permit of the whole pool, always in that
//! order (so nobody holds a pool permit while queueing behind their own calls). Per-user
//! semaphores exist only while that user has calls waiting or in flight. Written by hand: the
//! crates for fair queueing (governor, tower's limits) cap rates or totals, not shares.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The pool and the per-user shares.
pub struct FairShare {
    pool: Arc<Semaphore>,
    per_user: usize,
    users: Arc<Mutex<HashMap<i64, Arc<Semaphore>>>>,
}

/// One call's right to be on the wire; released on drop.
pub struct FairPermit {
    _pool: OwnedSemaphorePermit,
    _user: Option<UserPermit>,
}

/// A user's share, held or waited for; forgets the user when nobody else needs it.
struct UserPermit {
    user_id: i64,
    semaphore: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
    users: Arc<Mutex<HashMap<i64, Arc<Semaphore>>>>,
}

impl Drop for UserPermit {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map and this guard hold it: nobody else waits or calls for this user.
        // (Clones are taken under this lock, so the count cannot change while we look.)
        if Arc::strong_count(&self.semaphore) == 2 {
            users.remove(&self.user_id);
        }
    }
}

impl FairShare {
    /// `total` calls at once (1 to 25), half of them per user.
    pub fn new(total: usize) -> Self {
        let total = total.clamp(1, 25);
        Self {
            pool: Arc::new(Semaphore::new(total)),
            per_user: (total / 2).max(1),
            users: Arc::default(),
        }
    }

    /// How many calls one user may have in flight.
    pub fn per_user(&self) -> usize {
        self.per_user
    }

    /// Waits for a permit for a call made for `user_id` (`None`: a call before the user is
    /// known, such as the organization lookup at sign-in, which takes only a pool permit).
    pub async fn acquire(&self, user_id: Option<i64>) -> Result<FairPermit, Closed> {
        let user = match user_id {
            Some(id) => match self.share(id).await? {
                Share::Borrowed(pool, guard) => {
                    return Ok(FairPermit {
                        _pool: pool,
                        _user: Some(guard),
                    })
                }
                Share::Own(guard) => Some(guard),
            },
            None => None,
        };
        let pool = self.pool.clone().acquire_owned().await;
        Ok(FairPermit {
            _pool: pool.map_err(|_| Closed)?,
            _user: user,
        })
    }

    /// `id`'s share of the pool: one of its own permits, or, when it is alone and its share
    /// is used up, a free pool permit borrowed without waiting.
    async fn share(&self, id: i64) -> Result<Share, Closed> {
        // Clones are taken under the lock, so a guard's count check sees every one.
        let (mut guard, alone) = {
            let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
            let semaphore = users
                .entry(id)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_user)))
                .clone();
            let guard = UserPermit {
                user_id: id,
                semaphore,
                permit: None,
                users: self.users.clone(),
            };
            (guard, users.len() == 1)
        };
        if let Ok(own) = guard.semaphore.clone().try_acquire_owned() {
            guard.permit = Some(own);
            return Ok(Share::Own(guard));
        }
        if alone {
            if let Ok(pool) = self.pool.clone().try_acquire_owned() {
                return Ok(Share::Borrowed(pool, guard));
            }
        }
        // Held in the guard across the wait, so a cancelled wait still cleans up.
        let own = guard.semaphore.clone().acquire_owned().await;
        guard.permit = Some(own.map_err(|_| Closed)?);
        Ok(Share::Own(guard))
    }

    /// Users with calls waiting or in flight (tests check the map does not grow).
    pub fn tracked_users(&self) -> usize {
        self.users.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// What a user got: a permit of their own share, or a pool permit borrowed while alone.
enum Share {
    Own(UserPermit),
    Borrowed(OwnedSemaphorePermit, UserPermit),
}

/// The client was shut down.
#[derive(Debug)]
pub struct Closed;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn with_another_user_active_one_user_gets_half_the_pool() {
        let share = FairShare::new(8);
        assert_eq!(share.per_user(), 4);
        let ben = share.acquire(Some(2)).await.unwrap();
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(share.acquire(Some(1)).await.unwrap());
        }
        // A fifth call of the same user waits although three permits are free...
        let fifth = tokio::time::timeout(Duration::from_millis(50), share.acquire(Some(1))).await;
        assert!(fifth.is_err(), "one user took more than half the permits");
        // ...while the other user is served at once.
        let other = tokio::time::timeout(Duration::from_millis(50), share.acquire(Some(2))).await;
        assert!(other.is_ok(), "another user was starved");
        drop((other, ben, held));
        assert_eq!(share.tracked_users(), 0, "idle users are forgotten");
    }

    #[tokio::test]
    async fn a_user_alone_borrows_the_idle_pool_and_a_newcomer_still_gets_in() {
        let share = FairShare::new(4);
        let mut ada = Vec::new();
        for _ in 0..4 {
            let p = tokio::time::timeout(Duration::from_millis(50), share.acquire(Some(1))).await;
            ada.push(p.expect("alone, the whole pool is usable").unwrap());
        }
        // Ben arrives while Ada holds everything: he gets the next permit that frees...
        let ben = tokio::spawn({
            let share = Arc::new(share);
            let s2 = share.clone();
            async move {
                let p = s2.acquire(Some(2)).await.unwrap();
                (share, p)
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(ada.pop());
        let (share, _ben) = tokio::time::timeout(Duration::from_millis(200), ben)
            .await
            .expect("the newcomer got the freed permit")
            .unwrap();
        // ...and from now on Ada is held to her half (she has 3 > 2, so she waits).
        let more = tokio::time::timeout(Duration::from_millis(50), share.acquire(Some(1))).await;
        assert!(more.is_err(), "borrowing went on with another user active");
    }

    #[tokio::test]
    async fn a_cancelled_wait_leaves_no_entry_behind() {
        let share = FairShare::new(1);
        let held = share.acquire(Some(7)).await.unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(20), share.acquire(Some(7))).await;
        assert!(waited.is_err());
        drop(held);
        assert_eq!(share.tracked_users(), 0);
    }

    #[tokio::test]
    async fn unknown_users_take_only_a_pool_permit() {
        let share = FairShare::new(1);
        let a = share.acquire(None).await.unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(20), share.acquire(None))
                .await
                .is_err()
        );
        drop(a);
        assert!(share.acquire(None).await.is_ok());
    }
}
