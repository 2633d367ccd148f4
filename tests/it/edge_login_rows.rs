//! Pre-login state costs no stored row, black-box: anonymous login starts leave the session
//! table empty (the login in flight travels in a sealed, short-lived cookie), and the login
//! still completes, single-use and bound to the browser that started it.

use crate::common;

use common::*;
use reqwest::{header, StatusCode};
use tower_sessions_sqlx_store::sqlx;

const ADA: &str = "fv-user-1001";

async fn session_rows(app: &TestApp) -> i64 {
    let fv_partner_app::store::Db::Sqlite(pool) = &app.state.db else {
        unreachable!("SQLite in this test")
    };
    sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn anonymous_login_starts_store_nothing_and_the_login_still_works() {
    let app = spawn_app(TestOptions {
        extra_env: vec![("FV_RATE_LIMIT_PER_MINUTE".into(), "1000".into())],
        ..Default::default()
    })
    .await;
    for _ in 0..50 {
        let r = app.browser().get(&app.url("/auth/login")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let cookie = r
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("fv_login="))
            .expect("the pending-login cookie");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(cookie.contains("Max-Age=600"), "{cookie}");
    }
    assert_eq!(
        session_rows(&app).await,
        0,
        "login starts wrote session rows"
    );

    // The login completes, and its state cannot be used twice.
    let b = app.browser();
    let authorize = b.start_login(&app, Some("/profile")).await;
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r).path(), "/profile");
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    assert_eq!(
        session_rows(&app).await,
        1,
        "one row: the signed-in session"
    );
    let again = b.get(&callback).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "a replayed state");

    // Another browser cannot finish this browser's login.
    let other = app.browser();
    let authorize = b.start_login(&app, None).await;
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    let r = other.get(&callback).await;
    assert!(r.status().is_client_error(), "{}", r.status());
}

/// `state` expires 10 minutes after the login started, by the app's clock (only the app's is
/// moved, so the provider would still take the code): 5 s before, the login completes; 5 s
/// after, it is refused and the code is never exchanged.
#[tokio::test]
async fn a_login_state_expires_after_ten_minutes() {
    let app = spawn_app(TestOptions::default()).await;
    let ttl = std::time::Duration::from_secs(600);
    let five = std::time::Duration::from_secs(5);
    let b = app.browser();
    let authorize = b.start_login(&app, Some("/profile")).await;
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    app.clock.advance(ttl - five);
    let r = b.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "9:55 after the start");
    assert_eq!(location(&r).path(), "/profile");

    let b = app.browser();
    let authorize = b.start_login(&app, Some("/profile")).await;
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    let exchanged = app.control().token_calls("authorization_code");
    app.clock.advance(ttl + five);
    let r = b.get(&callback).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "10:05 after the start");
    assert_eq!(app.control().token_calls("authorization_code"), exchanged);
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no session");
}

/// A browser keeps at most 3 logins in flight: a fourth start drops the oldest, whose callback
/// is then refused without spending its code, while the three newer ones still complete.
#[tokio::test]
async fn a_fourth_login_in_flight_drops_the_oldest() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let mut callbacks = Vec::new();
    for _ in 0..4 {
        let authorize = b.start_login(&app, Some("/profile")).await;
        callbacks.push(b.provider_choose(&authorize, Choice::User(ADA)).await);
    }
    let exchanged = app.control().token_calls("authorization_code");
    let r = b.get(&callbacks[0]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "the oldest is gone");
    assert_eq!(app.control().token_calls("authorization_code"), exchanged);
    for callback in callbacks.iter().rev().take(3) {
        let r = b.get(callback).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{callback}");
        assert_eq!(location(&r).path(), "/profile");
    }
}
