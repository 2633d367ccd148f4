//! Session ids are stored only as a keyed hash, black-box: the ids a database dump holds do not
//! sign in; the browser's own cookie does and is not in the table.

use crate::common;

use common::*;
use reqwest::{header, StatusCode};
use tower_sessions_sqlx_store::sqlx;

const ADA: &str = "fv-user-1001";

#[tokio::test]
async fn ids_read_from_a_database_dump_do_not_sign_in() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    let cookie = b.session_cookie(&app).expect("a session cookie");

    let fv_partner_app::store::Db::Sqlite(pool) = &app.state.db else {
        unreachable!("SQLite in this test")
    };
    let dumped: Vec<String> = sqlx::query_scalar("SELECT id FROM tower_sessions")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(!dumped.is_empty(), "the signed-in session has a row");
    assert!(
        !dumped.contains(&cookie),
        "the table holds the cookie's value"
    );

    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for id in &dumped {
        let r = plain
            .get(app.url("/profile"))
            .header(header::COOKIE, format!("fv_session={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "a dumped id signed in: {id}"
        );
    }
    // The browser's real cookie still works.
    let r = plain
        .get(app.url("/profile"))
        .header(header::COOKIE, format!("fv_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// A session row from before the hashing holds the cookie's own value as its id: that browser
/// is signed out (an anonymous page, not an error), the old row is never read again, and
/// signing in again works.
#[tokio::test]
async fn a_session_stored_under_its_plain_id_is_signed_out_once() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    let cookie = b.session_cookie(&app).expect("a session cookie");
    let fv_partner_app::store::Db::Sqlite(pool) = &app.state.db else {
        unreachable!("SQLite in this test")
    };
    // As an older version stored it: under the cookie's value.
    let moved = sqlx::query("UPDATE tower_sessions SET id = ?")
        .bind(&cookie)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(moved.rows_affected(), 1);

    assert_eq!(b.get(&app.url("/")).await.status(), StatusCode::OK);
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out");
    b.login(&app, ADA, None).await;
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM tower_sessions")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(ids.contains(&cookie), "the old row is left to expire");
    assert!(!ids.contains(&b.session_cookie(&app).unwrap()));
}
