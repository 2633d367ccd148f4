//! Issue 31: an ended session stays ended. A thief replays a stolen session cookie with
//! several requests in flight on every page that writes the session, while the session is
//! ended from elsewhere in each of the three ways (the owner's sessions page, an admin's, a
//! back-channel logout), on SQLite and on PostgreSQL. Afterwards no row of the session is left
//! (read straight from the database), no stored record is missing from the index, and the
//! thief's next requests are signed out. Many rounds, the end landing at a different moment of
//! the burst each time, so a race window of a few milliseconds shows.

use crate::common;

use crate::support::ended;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use common::*;
use ended::*;
use reqwest::StatusCode;

/// Rounds per test: each a fresh stolen session, ended in the middle of a burst.
const ROUNDS: usize = 16;
/// The thief's requests in flight at once.
const IN_FLIGHT: usize = 6;

/// Runs the rounds on `app`, ending each stolen session `ending`'s way.
async fn hammer(app: &TestApp, ending: Ending) {
    let ender = Ender::new(app, ending).await;
    let mut signed_out_answers = 0;
    for round in 0..ROUNDS {
        let case = format!("{ending:?}, round {round}");
        let (stolen, mut thief) = stolen_session(app).await;
        thief.signs_out_others = !matches!(ending, Ending::OwnSessionsPage);
        // A minute on: every request's last-use write is due, so any page writes the session.
        app.advance_clock(Duration::from_secs(61));
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..IN_FLIGHT)
            .map(|w| {
                let (thief, stop) = (thief.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut statuses = Vec::new();
                    let mut i = w;
                    while !stop.load(Ordering::Acquire) {
                        let r = thief.writer(i).await;
                        // A save dropped because the session ended: answered signed out
                        // (the org switch goes to `/` anyway).
                        let to_home = r.status() == StatusCode::SEE_OTHER
                            && r.headers().get("location").is_some_and(|l| l == "/")
                            && i % Thief::WRITERS != Thief::ORG_SWITCH;
                        statuses.push((r.status(), to_home));
                        i += IN_FLIGHT;
                    }
                    statuses
                })
            })
            .collect();
        // The end lands at a different moment of the burst each round.
        tokio::time::sleep(Duration::from_millis(2 + (round as u64 * 7) % 23)).await;
        ender.end(app).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        stop.store(true, Ordering::Release);
        for w in workers {
            let answers = w.await.unwrap();
            // Nor a refusal but the 401 of a page that found the session's tokens gone: every
            // writer is a request that writes while the session lives.
            assert!(
                answers.iter().all(|(s, _)| !s.is_server_error()
                    && (!s.is_client_error() || *s == StatusCode::UNAUTHORIZED)),
                "{case}: {answers:?}"
            );
            signed_out_answers += answers.iter().filter(|(_, home)| *home).count();
        }
        assert_ended(app, &stolen, &case).await;
    }
    // Requests whose save found their session ended (answered signed out): the race was met,
    // not just the calm before and after.
    eprintln!("{ending:?}: {signed_out_answers} requests answered signed out mid-flight");
    assert!(
        signed_out_answers > 0,
        "{ending:?}: the end never met a request in flight"
    );
}

async fn on_sqlite(ending: Ending) {
    let app = spawn_app(options(None)).await;
    hammer(&app, ending).await;
}

async fn on_postgres(ending: Ending, tag: &str) {
    let db = private_postgres(tag).await;
    let app = spawn_app(options(Some(db.url.clone()))).await;
    hammer(&app, ending).await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_everywhere_else_mid_burst_stays_ended_on_sqlite() {
    on_sqlite(Ending::OwnSessionsPage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_by_an_admin_mid_burst_stays_ended_on_sqlite() {
    on_sqlite(Ending::AdminPage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_channel_logout_mid_burst_stays_ended_on_sqlite() {
    on_sqlite(Ending::BackchannelLogout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_everywhere_else_mid_burst_stays_ended_on_postgres() {
    on_postgres(Ending::OwnSessionsPage, "own").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_by_an_admin_mid_burst_stays_ended_on_postgres() {
    on_postgres(Ending::AdminPage, "admin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_channel_logout_mid_burst_stays_ended_on_postgres() {
    on_postgres(Ending::BackchannelLogout, "backchannel").await;
}
