//! Sessions behave as documented, black-box, on the app's shiftable clock (no real waiting):
//! the idle expiry slides with use, without a session write per request; the absolute lifetime
//! ends a session however active.

use crate::common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use tower_sessions_sqlx_store::sqlx;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";

async fn signed_in(b: &Browser, app: &TestApp) -> bool {
    let r = b.get(&app.url("/profile")).await;
    match r.status() {
        StatusCode::OK => true,
        s if s.is_redirection() => false,
        s => panic!("/profile answered {s}"),
    }
}

/// The session record's data, straight from the table, to see when it is written.
async fn session_rows(app: &TestApp) -> Vec<Vec<u8>> {
    match &app.state.db {
        fv_partner_app::store::Db::Sqlite(p) => {
            sqlx::query_scalar::<_, Vec<u8>>("SELECT data FROM tower_sessions ORDER BY id")
                .fetch_all(p)
                .await
                .unwrap()
        }
        fv_partner_app::store::Db::Postgres(_) => unreachable!("these tests use SQLite"),
    }
}

#[tokio::test]
async fn an_active_user_stays_signed_in_past_the_idle_timeout_and_an_idle_one_does_not() {
    let app = spawn_app(TestOptions {
        extra_env: vec![("FV_SESSION_IDLE_MINUTES".into(), "1".into())],
        ..Default::default()
    })
    .await;
    let active = app.browser();
    let idle = app.browser();
    active.login(&app, ADA, None).await;
    idle.login(&app, BEN, None).await;
    assert!(signed_in(&active, &app).await && signed_in(&idle, &app).await);

    // Every 20 seconds for 3 minutes (three times the idle timeout), one request.
    for step in 1..=9 {
        app.state.clock.advance(Duration::from_secs(20));
        assert!(
            signed_in(&active, &app).await,
            "the active user was signed out after {}s",
            step * 20
        );
    }
    assert!(
        !signed_in(&idle, &app).await,
        "the idle user is still signed in after 3 minutes"
    );
    // Signed out for good, not just this once.
    assert!(!signed_in(&idle, &app).await);
    assert!(signed_in(&active, &app).await);
}

#[tokio::test]
async fn requests_within_a_minute_do_not_write_the_session() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    assert!(signed_in(&b, &app).await);
    app.state.clock.advance(Duration::from_secs(61));
    assert!(signed_in(&b, &app).await); // writes the last-use time once
    let before = session_rows(&app).await;
    for _ in 0..5 {
        app.state.clock.advance(Duration::from_secs(5));
        assert!(signed_in(&b, &app).await);
    }
    assert_eq!(
        session_rows(&app).await,
        before,
        "a request wrote the session"
    );
    app.state.clock.advance(Duration::from_secs(40));
    assert!(signed_in(&b, &app).await);
    assert_ne!(
        session_rows(&app).await,
        before,
        "more than a minute later, the last-use time should have been written"
    );
}

/// `FV_SESSION_ABSOLUTE_HOURS=1`: a user active every 20 minutes is still signed in at 59
/// minutes and signed out at 61, however active (app and provider clocks moved together, so
/// the tokens are refreshed on the way).
#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let app = spawn_app(TestOptions {
        extra_env: vec![("FV_SESSION_ABSOLUTE_HOURS".into(), "1".into())],
        ..Default::default()
    })
    .await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    let minutes = |m: u64| Duration::from_secs(m * 60);
    for step in [20, 20, 19] {
        app.advance_clock(minutes(step));
        assert!(signed_in(&b, &app).await, "signed out before the hour");
    }
    app.advance_clock(minutes(2));
    assert!(!signed_in(&b, &app).await, "signed in after 61 minutes");
    assert!(!signed_in(&b, &app).await);
}
