//! Lease renewal of a permit held by a long call, on the app clock: the lease outlives
//! [`LEASE`] while the call runs (another process cannot take the slot), a renewal the
//! database refuses is retried until it succeeds, and the slot comes back when the call ends.

use std::time::Duration;

use tokio::sync::oneshot;
use tower_sessions_sqlx_store::sqlx;

use super::*;

/// A pool of level 1 over a fresh SQLite file, and the app clock it reads.
async fn one_slot() -> (tempfile::TempDir, Db, Clock, Arc<Pools>, Arc<Pool>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let db = Db::connect(&url).await.unwrap();
    let clock = Clock::system();
    let pools = Pools::new(db.clone(), clock.clone());
    let pool = pools.pool("p", 1);
    (dir, db, clock, pools, pool)
}

/// A call holding a permit of `pool` until the returned sender is used.
fn long_call(pool: &Arc<Pool>) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = oneshot::channel::<()>();
    let pool = pool.clone();
    let task = tokio::spawn(async move {
        pool.run(async {
            let _ = rx.await;
            Ok::<_, GatewayError>(())
        })
        .await
        .unwrap();
    });
    (tx, task)
}

fn ms(clock: &Clock) -> i64 {
    let since = clock.now().duration_since(UNIX_EPOCH).unwrap();
    since.as_millis() as i64
}

/// Whether the slot is still leased `ahead` from now (by the app clock).
async fn leased_in(db: &Db, clock: &Clock, ahead: Duration) -> bool {
    let at = ms(clock) + ahead.as_millis() as i64;
    db.permits_held("p", at).await.unwrap() == 1
}

/// Polls `done` for up to 30 s of real time (the renewer looks every 200 ms; on a loaded
/// machine a renewal may meet a busy SQLite file and back off for seconds before it retries);
/// false if it never held.
async fn eventually<F, Fut>(done: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..1200 {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

#[tokio::test]
async fn a_long_call_keeps_its_permit_past_the_lease_time() {
    let (_dir, db, clock, pools, pool) = one_slot().await;
    let (done, task) = long_call(&pool);
    assert!(eventually(|| leased_in(&db, &clock, Duration::ZERO)).await);
    // Five lease times by the app clock, in steps the renewer sees.
    for _ in 0..6 {
        clock.advance(RENEW_AFTER + Duration::from_secs(60));
        let renewed = eventually(|| leased_in(&db, &clock, Duration::from_secs(60))).await;
        assert!(
            renewed,
            "the lease was renewed ({} renewals failed)",
            pools.renew_failures()
        );
        let now = ms(&clock);
        let until = now + LEASE.as_millis() as i64;
        let other = db.permit_try("p", 0, "another-process", until, now).await;
        assert!(!other.unwrap(), "another process took a held slot");
    }
    done.send(()).unwrap();
    task.await.unwrap();
    assert!(!leased_in(&db, &clock, Duration::ZERO).await, "released");
}

#[tokio::test]
async fn a_failed_renewal_is_retried_until_the_database_answers() {
    let (_dir, db, clock, pools, pool) = one_slot().await;
    let (done, task) = long_call(&pool);
    assert!(eventually(|| leased_in(&db, &clock, Duration::ZERO)).await);
    let Db::Sqlite(sqlite) = &db else {
        unreachable!("a sqlite file")
    };
    // The table goes away under the renewer: every renewal fails...
    sqlx::query("ALTER TABLE fv_permits RENAME TO fv_permits_away")
        .execute(sqlite)
        .await
        .unwrap();
    clock.advance(RENEW_AFTER + Duration::from_secs(1));
    assert!(eventually(|| async { pools.renew_failures() >= 2 }).await);
    // ...until it is back, still inside the lease time: the next try renews.
    sqlx::query("ALTER TABLE fv_permits_away RENAME TO fv_permits")
        .execute(sqlite)
        .await
        .unwrap();
    let renewed = eventually(|| leased_in(&db, &clock, Duration::from_secs(100))).await;
    assert!(renewed, "renewed after the retries");
    done.send(()).unwrap();
    task.await.unwrap();
}
