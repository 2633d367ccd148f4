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
