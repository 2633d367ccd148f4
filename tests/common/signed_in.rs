//! The starting point most token tests share: one app whose access tokens live `ttl`, and a
//! browser signed in to it as the demo user `fv-user-1001`.

use std::time::Duration;

use super::{spawn_app, Browser, TestApp, TestOptions};

/// The demo user the token tests sign in as.
const TOKEN_TEST_USER: &str = "fv-user-1001";

/// An app with `ttl` access tokens and a browser signed in to it.
pub async fn signed_in_with_ttl(ttl: Duration) -> (TestApp, Browser) {
    let app = spawn_app(TestOptions {
        access_token_ttl: ttl,
        ..Default::default()
    })
    .await;
    let browser = app.browser();
    browser.login(&app, TOKEN_TEST_USER, None).await;
    (app, browser)
}
