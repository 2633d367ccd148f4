//! Issue 12, fault 1 and 2: requests cancelled while their refresh is in flight.
//!
//! The stand-in rotates refresh tokens with reuse detection, and answers a refresh only after
//! a delay that starts *after* it has spent the old token: a client that hangs up during that
//! delay is the moment the rotated token exists only in the app's memory. Every request here
//! is abandoned by its client (the socket closed) at a random point within that window.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;

const SESSIONS: usize = 20;
const ROUNDS: usize = 10;
const PROVIDER_DELAY: Duration = Duration::from_millis(40);
const TTL: Duration = Duration::from_secs(60);

/// Sends `GET path` with `browser`'s session cookie on a raw socket and closes it after
/// `after`, as a browser that navigates away does.
async fn abandoned_get(app: &TestApp, browser: &Browser, path: &str, after: Duration) {
    let cookie = browser.session_cookie(app).expect("signed in");
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost:{}\r\nCookie: fv_session={cookie}\r\n\r\n",
        app.port
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(after).await;
    drop(socket);
}

#[tokio::test]
async fn cancelled_requests_never_lose_the_rotated_refresh_token() {
    let app = spawn_app(TestOptions {
        access_token_ttl: TTL,
        ..Default::default()
    })
    .await;
    // One login at a time: SQLite serialises writers, and a busy disk makes 20 at once time
    // out (that is the login's limit, not what this test is about).
    let mut browsers = Vec::new();
    for _ in 0..SESSIONS {
        let b = app.browser();
        b.login(&app, "fv-user-1001", None).await;
        browsers.push(b);
    }
    app.control().set_refresh_delay(PROVIDER_DELAY);
    let mut slowest = Duration::ZERO;
    let mut retried = 0;
    for _round in 0..ROUNDS {
        app.advance_clock(TTL + Duration::from_secs(1));
        let aborts = browsers.iter().map(|b| {
            let after = Duration::from_micros(
                rand::random::<u64>() % (PROVIDER_DELAY.as_micros() as u64 + 1),
            );
            abandoned_get(&app, b, "/profile", after)
        });
        futures::future::join_all(aborts).await;
        // Every session still works, and none waits for a lease left behind.
        for b in &browsers {
            let started = Instant::now();
            let mut status = b.get(&app.url("/profile")).await.status();
            // A busy SQLite (a shared, loaded disk) may answer the retry page: that keeps the
            // session, as its "Try again" says. Losing the session would be a redirect to sign in.
            for _ in 0..3 {
                if status != StatusCode::SERVICE_UNAVAILABLE {
                    break;
                }
                retried += 1;
                status = b.get(&app.url("/profile")).await.status();
            }
            slowest = slowest.max(started.elapsed());
            assert_eq!(status, StatusCode::OK, "session lost after an abort");
        }
    }
    let control = app.control();
    println!(
        "{} refresh grants for {} abandoned requests; slowest next request {slowest:?}; {retried} retry pages",
        control.token_calls("refresh_token"),
        SESSIONS * ROUNDS
    );
    assert_eq!(
        control.reused_refresh_tokens(),
        0,
        "a spent refresh token was presented"
    );
    assert_eq!(
        app.state.db.vault_count_leased().await.unwrap(),
        0,
        "a refresh lease was left behind"
    );
    // One refresh per session per round at most: the aborted request's refresh was reused
    // by the next request, not repeated.
    assert!(control.token_calls("refresh_token") <= SESSIONS * ROUNDS);
}

/// The lease guard: a row whose lease was taken by a holder that vanished is released by
/// expiry, so a waiting request gets through once the lease time has passed (by the clock).
#[tokio::test]
async fn a_lease_left_by_a_vanished_holder_expires() {
    let (app, b) = signed_in_with_ttl(TTL).await;
    let vault_id = only_vault_id(&app).await;
    app.advance_clock(TTL + Duration::from_secs(1));
    let now = app.clock.now_unix();
    assert!(app
        .state
        .db
        .vault_try_lease(&vault_id, "a-replica-that-died", now, now + 15)
        .await
        .unwrap());
    let waiting = tokio::spawn({
        let http = b.http.clone();
        let url = app.url("/profile");
        async move { http.get(url).send().await.unwrap().status() }
    });
    // The waiting request re-reads the row; it may refresh only once the lease ran out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.control().token_calls("refresh_token"),
        0,
        "waited for the lease"
    );
    app.advance_clock(Duration::from_secs(16));
    assert_eq!(waiting.await.unwrap(), StatusCode::OK);
    assert_eq!(app.control().token_calls("refresh_token"), 1);
    assert_eq!(app.state.db.vault_count_leased().await.unwrap(), 0);
}

/// The id of the one vault row.
async fn only_vault_id(app: &TestApp) -> String {
    use fv_partner_app::store::Db;
    use tower_sessions_sqlx_store::sqlx;
    let Db::Sqlite(pool) = &app.state.db else {
        panic!("sqlite expected")
    };
    sqlx::query_scalar("SELECT id FROM fv_token_vault")
        .fetch_one(pool)
        .await
        .unwrap()
}
