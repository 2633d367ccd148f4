//! Error pages stay signed in (issue 16): a signed-in user who hits a 404 or a 400 sees their
//! own header (Projects, their name, Log out), not "Login with Filevine", while the page keeps
//! its status and the security headers; a visitor who is not signed in sees the anonymous one.

use crate::common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_signed_in_user_keeps_their_header_on_404_and_400_pages() {
    let app = spawn_app(TestOptions::default()).await;
    let ada = app.browser();
    ada.login(&app, "fv-user-1001", None).await;

    for (path, status) in [
        ("/no-such-page", StatusCode::NOT_FOUND),
        ("/projects?sort=nonsense", StatusCode::BAD_REQUEST),
    ] {
        let r = ada.get(&app.url(path)).await;
        assert_eq!(r.status(), status, "{path}");
        assert!(
            r.headers().contains_key("content-security-policy"),
            "{path}"
        );
        let page = r.text().await.unwrap();
        assert!(page.contains("Log out"), "{path} looks signed out: {page}");
        assert!(page.contains("Ada"), "{path} lost the user's name: {page}");
        assert!(!page.contains("Login with Filevine"), "{path}: {page}");
    }
    let page = ada
        .get(&app.url("/no-such-page"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("href=\"/projects\""),
        "a way back to the projects: {page}"
    );
    assert!(
        !page.contains(">Try again<"),
        "a pointless retry on a 404: {page}"
    );

    let stranger = app.browser();
    let r = stranger.get(&app.url("/no-such-page")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let page = r.text().await.unwrap();
    assert!(page.contains("Login with Filevine"), "{page}");
    assert!(!page.contains("Log out"), "{page}");
}
