//! The scale-out store: sessions and tokens in PostgreSQL, shared by replicas.

mod common;

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
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
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

#[tokio::test]
async fn the_service_account_connection_is_stored_sealed_in_postgres() {
    use fv_partner_app::store::IntegrationRow;
    let app = spawn_app(TestOptions {
        database_url: Some(postgres_url()),
        ..Default::default()
    })
    .await;
    let db = &app.state.db;
    let row = IntegrationRow {
        sealed_pat: Some(app.state.cipher.seal_bytes(
            fv_partner_app::service_account::PAT_PURPOSE,
            fv_partner_app::service_account::PAT_ROW,
            b"fvpat-postgres-test-0000",
        )),
        last4: "0000".into(),
        email: "reporting-bot@lovelace-law.example".into(),
        verified_name: Some("Reporting Bot".into()),
        verified_at: Some(1_700_000_000),
        token_valid_until: Some(1_700_001_200),
        last_error: None,
        updated_by: "ada@lovelace-law.example".into(),
        updated_at: 1_700_000_000,
    };
    db.integration_put(&row).await.unwrap();
    db.integration_set_status(Some("provider unreachable"), None)
        .await
        .unwrap();
    let back = db.integration_get().await.unwrap().unwrap();
    assert_eq!(back.last4, "0000");
    assert_eq!(back.token_valid_until, Some(1_700_001_200));
    assert_eq!(back.last_error.as_deref(), Some("provider unreachable"));
    let opened = app
        .state
        .cipher
        .open_bytes(
            fv_partner_app::service_account::PAT_PURPOSE,
            fv_partner_app::service_account::PAT_ROW,
            back.sealed_pat.as_deref().unwrap(),
        )
        .unwrap();
    assert_eq!(opened, b"fvpat-postgres-test-0000");
    db.integration_delete().await.unwrap();
    assert!(db.integration_get().await.unwrap().is_none());
}
