//! A feed key belongs to its connection's row: removing the connection revokes its keys (in
//! the audit log and on the feeds page), and a new connection of the same name is another
//! row, so the old keys stay dead. Keys stored before keys named their row keep working.

use crate::common;

use crate::support::ended::private_postgres;
use common::connections::{save_pat_connection, CONNECTIONS_PAGE};
use common::feeds::{app_with_key_on, feed};
use common::*;
use reqwest::StatusCode;
use tower_sessions_sqlx_store::sqlx;

const FEED: &str = "/feeds/reports.json";

#[tokio::test]
async fn removing_a_connection_revokes_its_keys_and_its_name_revives_none_on_sqlite() {
    removing_revokes(None).await;
}

#[tokio::test]
async fn removing_a_connection_revokes_its_keys_and_its_name_revives_none_on_postgres() {
    let db = private_postgres("feeds_removal").await;
    removing_revokes(Some(db.url.clone())).await;
    db.drop_now().await;
}

/// Removes the connection of a key on the database at `url` (`None`: a SQLite file).
async fn removing_revokes(url: Option<String>) {
    let (app, ada, key) = app_with_key_on(url, &[], &[]).await;
    assert_eq!(feed(&app, FEED, &key, None).await.status(), StatusCode::OK);
    let html = ada
        .get(&app.url(CONNECTIONS_PAGE))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let r = ada
        .post_form(
            &app.url(CONNECTIONS_PAGE),
            &[
                ("csrf", &csrf),
                ("action", "remove"),
                ("name", "bi"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let audit = app.state.db.audit_recent(5).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.connection == "bi" && a.what.contains("revoked 1 feed key")),
        "{audit:?}"
    );
    let keys = app.state.db.feed_keys_list().await.unwrap();
    assert!(keys.iter().all(|k| k.revoked_at.is_some()), "{keys:?}");
    assert_eq!(
        feed(&app, FEED, &key, None).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A new connection of the same name is another row: the old key stays dead, even if
    // its revocation were undone.
    save_pat_connection(&app, "bi", "4", "").await;
    assert_eq!(
        feed(&app, FEED, &key, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let id = &keys[0].id;
    unrevoke(&app, id).await;
    assert_eq!(
        feed(&app, FEED, &key, None).await.status(),
        StatusCode::UNAUTHORIZED,
        "bound to the removed row, not to the name"
    );
}

async fn unrevoke(app: &TestApp, id: &str) {
    const SQL: &str = "UPDATE fv_feed_keys SET revoked_at = NULL WHERE id = $1";
    match &app.state.db {
        fv_partner_app::store::Db::Sqlite(p) => {
            sqlx::query(SQL).bind(id).execute(p).await.map(drop)
        }
        fv_partner_app::store::Db::Postgres(p) => {
            sqlx::query(SQL).bind(id).execute(p).await.map(drop)
        }
    }
    .unwrap();
}
