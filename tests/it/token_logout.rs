//! Issue 12, item 6, and issue 19: revocation at logout, the old vault row at re-login, and
//! sealed token sets bound to their row.

use crate::common;

use common::*;
use fv_partner_app::store::Db;
use reqwest::{header, StatusCode};
use tower_sessions_sqlx_store::sqlx;

async fn logout(app: &TestApp, b: &Browser) -> reqwest::Response {
    let html = b.get(&app.url("/profile")).await.text().await.unwrap();
    let csrf = csrf_of(&html);
    b.post_form(&app.url("/auth/logout"), &[("csrf", &csrf)])
        .await
}

fn pool(app: &TestApp) -> &sqlx::SqlitePool {
    match &app.state.db {
        Db::Sqlite(p) => p,
        _ => panic!("sqlite expected"),
    }
}

async fn vault_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM fv_token_vault")
        .fetch_one(pool(app))
        .await
        .unwrap()
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_once() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    let r = logout(&app, &b).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r).path(), "/connect/endsession");
    assert_eq!(app.control().revocation_calls(), 1);
    assert_eq!(vault_rows(&app).await, 0);
}

#[tokio::test]
async fn logout_succeeds_when_revocation_fails() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    app.control().set_revocation_down(true);
    let r = logout(&app, &b).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r).path(), "/connect/endsession");
    assert_eq!(app.control().revocation_calls(), 1);
    assert_eq!(vault_rows(&app).await, 0);
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out");
}

#[tokio::test]
async fn signing_in_again_removes_the_previous_vault_row() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    assert_eq!(vault_rows(&app).await, 1);
    b.login(&app, "fv-user-1001", None).await;
    assert_eq!(
        vault_rows(&app).await,
        1,
        "the first login's tokens are gone"
    );
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_set_copied_into_another_row_does_not_open() {
    let app = spawn_app(TestOptions::default()).await;
    let ada = app.browser();
    ada.login(&app, "fv-user-1001", None).await;
    let ben = app.browser();
    ben.login(&app, "fv-user-1002", None).await;
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, sealed FROM fv_token_vault")
        .fetch_all(pool(&app))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for (i, (id, _)) in rows.iter().enumerate() {
        let (_, other_sealed) = &rows[1 - i];
        sqlx::query("UPDATE fv_token_vault SET sealed = ? WHERE id = ?")
            .bind(other_sealed)
            .bind(id)
            .execute(pool(&app))
            .await
            .unwrap();
    }
    for b in [&ada, &ben] {
        let r = b.get(&app.url("/profile")).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "sign in again, not someone else's page, not a 500"
        );
        assert!(r.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/auth/login"));
    }
}
