//! The scale-out store: sessions and tokens in PostgreSQL, shared by replicas.

use crate::common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_session_made_on_one_replica_works_on_the_other() {
    let apps = spawn_replicas(
        2,
        TestOptions {
            database_url: Some(postgres_url()),
            ..Default::default()
        },
    )
    .await;
    let (a, b) = (&apps[0], &apps[1]);
    let browser = a.browser();
    browser.login(a, "fv-user-1001", None).await;
    // Cookies ignore the port, so the same browser reaches replica b with the same session.
    let r = browser.get(&b.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Ada Lovelace"));

    // Logging out on b ends the session for a as well.
    let html = browser.get(&b.url("/profile")).await.text().await.unwrap();
    let csrf = csrf_of(&html);
    let r = browser
        .post_form(&b.url("/auth/logout"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        browser.get(&a.url("/profile")).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn one_refresh_across_two_replicas_for_100_concurrent_requests() {
    let apps = spawn_replicas(
        2,
        TestOptions {
            database_url: Some(postgres_url()),
            access_token_ttl: std::time::Duration::from_secs(5),
            refresh_margin_secs: 2,
            ..Default::default()
        },
    )
    .await;
    let browser = apps[0].browser();
    browser.login(&apps[0], "fv-user-1001", None).await;
    // 4 s into the 5-second tokens (app and stand-in clocks moved together): due for refresh.
    apps[0].advance_clock(std::time::Duration::from_secs(4));
    let requests = (0..100).map(|i| {
        let http = browser.http.clone();
        let url = apps[i % 2].url("/profile");
        async move { http.get(url).send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(apps[0].control().token_calls("refresh_token"), 1);
}

/// Polls `done` every 100 ms for up to 10 s (a background job of another replica, not an
/// expiry: the replicas re-read the saved connection every few seconds).
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 10 s");
}

#[tokio::test]
async fn the_service_account_pat_is_stored_sealed_and_followed_by_every_replica() {
    use fake_filevine::{DEMO_PAT, REPORTING_BOT};
    use secrecy::SecretString;
    use tower_sessions_sqlx_store::sqlx;
    let apps = spawn_replicas(
        2,
        TestOptions {
            database_url: Some(postgres_url()),
            ..Default::default()
        },
    )
    .await;
    let (a, b) = (&apps[0], &apps[1]);
    a.state.db.connection_delete("default").await.unwrap();
    // Saved on replica A through the app's own service, as the settings page does.
    let draft = fv_partner_app::connections::Draft {
        name: "default".into(),
        email: REPORTING_BOT.email.into(),
        ..Default::default()
    };
    let verified = a
        .state
        .connections
        .verify(draft, SecretString::from(DEMO_PAT))
        .await
        .unwrap();
    a.state
        .connections
        .save_verified(verified, "ada@lovelace-law.example")
        .await
        .unwrap();
    // What PostgreSQL holds, read with SQL rather than through the app's store: the PAT in
    // no column, and a sealed blob that only this app's key opens for this row.
    let fv_partner_app::store::Db::Postgres(pool) = &a.state.db else {
        panic!("the replicas share PostgreSQL")
    };
    let (raw, sealed): (String, String) = sqlx::query_as(
        "SELECT row_to_json(c)::text, c.sealed_secret FROM fv_connections c WHERE name = 'default'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(!raw.contains(DEMO_PAT), "the PAT is stored in clear: {raw}");
    let row = a.state.db.connection_get("default").await.unwrap().unwrap();
    assert_eq!(row.last4, &DEMO_PAT[DEMO_PAT.len() - 4..]);
    let opened = a
        .state
        .cipher
        .open_bytes(
            fv_partner_app::connections::SECRET_PURPOSE,
            &[&fv_partner_app::connections::secret_row("default")],
            &sealed,
        )
        .unwrap();
    assert_eq!(opened, DEMO_PAT.as_bytes());
    // Replica B, which nobody told, starts using it within seconds...
    let b_pat = || b.state.connections.source("default").map(|s| s.last4());
    eventually("replica B picks up the saved PAT", || {
        b_pat().as_deref() == Some(&row.last4)
    })
    .await;
    // ...and stops when A removes it.
    a.state
        .connections
        .remove("default", "ada@lovelace-law.example")
        .await
        .unwrap();
    eventually("replica B drops the removed PAT", || b_pat().is_none()).await;
}
