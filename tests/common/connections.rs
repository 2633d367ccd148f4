//! What the connections tests share: an app whose admin is Ada, Ada's browser on the
//! connections page, and a PAT connection saved straight through the service.

use fake_filevine::DEMO_PAT;
use secrecy::SecretString;

use super::{csrf_of, Browser, TestApp, TestOptions};

/// The connections page.
pub const CONNECTIONS_PAGE: &str = "/settings/connections";
/// The demo service account the demo PAT acts as.
pub const BOT_EMAIL: &str = "reporting-bot@lovelace-law.example";

/// Options making Ada (`fv-user-1001`) an admin.
pub fn admin_opts() -> TestOptions {
    TestOptions {
        extra_env: vec![("FV_ADMIN_EMAILS".into(), "ada@lovelace-law.example".into())],
        ..Default::default()
    }
}

/// Ada signed in, and the connections page's CSRF token.
pub async fn admin(app: &TestApp) -> (Browser, String) {
    let b = app.browser();
    b.login(app, "fv-user-1001", None).await;
    let html = connections_page(app, &b).await;
    (b, csrf_of(&html))
}

/// The connections page as `b` sees it.
pub async fn connections_page(app: &TestApp, b: &Browser) -> String {
    b.get(&app.url(CONNECTIONS_PAGE))
        .await
        .text()
        .await
        .unwrap()
}

/// Saves PAT connection `name` (the demo PAT) at `concurrency`, borrowing from `lender`
/// (empty: its own pool), without the page.
pub async fn save_pat_connection(app: &TestApp, name: &str, concurrency: &str, lender: &str) {
    let connections = &app.state.connections;
    connections
        .put_pat(name, SecretString::from(DEMO_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    let draft = fv_partner_app::connections::Draft {
        name: name.into(),
        email: BOT_EMAIL.into(),
        concurrency: concurrency.into(),
        borrow_from: lender.into(),
        editing: true,
        ..Default::default()
    };
    connections.save_settings(&draft, "test").await.unwrap();
}
