//! What the connections tests share: an app whose admin is Ada, Ada's browser on the
//! connections page, and a PAT connection saved straight through the service.

use fake_filevine::DEMO_PAT;
use secrecy::SecretString;

use reqwest::StatusCode;

use super::{csrf_of, location, Browser, Choice, TestApp, TestOptions};

/// The connections page.
pub const CONNECTIONS_PAGE: &str = "/settings/connections";
/// The demo service account the demo PAT acts as.
pub const BOT_EMAIL: &str = "reporting-bot@lovelace-law.example";

/// Ada, the admin.
pub const ADA: &str = "fv-user-1001";
/// Ben, a user (no admin), who authorizes refresh-token connections in the tests.
pub const BEN: &str = "fv-user-1002";

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

/// Ada, signed in, presses Save & authorize for a refresh-token connection `name` (through
/// the form, with the field names; on its own card, `mode=edit`, when it exists);
/// returns her browser and the provider URL the new window is sent to.
pub async fn save_and_authorize(app: &TestApp, name: &str) -> (Browser, url::Url) {
    save_and_authorize_for(app, name, "").await
}

/// [`save_and_authorize`] of a connection for `email` (empty: whoever authorizes it).
pub async fn save_and_authorize_for(app: &TestApp, name: &str, email: &str) -> (Browser, url::Url) {
    let (ada, csrf) = admin(app).await;
    let exists = app.state.db.connection_get(name).await.unwrap().is_some();
    let mode = if exists { "edit" } else { "new" };
    let form = [
        ("mode", mode),
        ("csrf", csrf.as_str()),
        ("action", "save_authorize"),
        ("name", name),
        ("environment", "us"),
        ("auth", "refresh_token"),
        ("pat", ""),
        ("email", email),
        ("concurrency", "4"),
        ("borrow_from", ""),
    ];
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    (ada, location(&r))
}

/// Refresh-token connection `name`, authorized by `user` at the stand-in in the window Save
/// & authorize opened; returns Ada's browser.
pub async fn authorize_connection(app: &TestApp, name: &str, user: &str) -> Browser {
    let (ada, authorize) = save_and_authorize(app, name).await;
    let callback = ada.provider_choose(&authorize, Choice::User(user)).await;
    let r = ada.get(&callback).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Connected: you can close this window"),
        "{html}"
    );
    ada
}

/// A token of the demo service account with the webhooks scope, straight from the stand-in.
pub async fn hooks_token(app: &TestApp) -> String {
    let form = [
        ("grant_type", "personal_access_token"),
        ("token", fake_filevine::DEMO_PAT),
        ("scope", "fv.api.gateway.access filevine.v2.webhooks"),
        ("client_id", super::CLIENT_ID),
        ("client_secret", super::CLIENT_SECRET),
    ];
    let url = format!("{}/connect/token", app.fake.issuer());
    let v: serde_json::Value = reqwest::Client::new()
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    fake_filevine::contract::get_ci(&v, "access_token")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// Presses the button `action` (`live_on`, `live_off`, ...) on connection `name`'s card as the
/// admin `b`; returns the answer's status.
pub async fn press_card(
    app: &TestApp,
    b: &Browser,
    csrf: &str,
    name: &str,
    action: &str,
) -> StatusCode {
    let form = [("csrf", csrf), ("name", name), ("action", action)];
    b.post_form(&app.url(CONNECTIONS_PAGE), &form)
        .await
        .status()
}

/// An app with the PAT connection `reports` (concurrency 8), and Ada on the connections page
/// with its CSRF token.
pub async fn app_with_connection(opts: TestOptions) -> (TestApp, Browser, String) {
    let app = super::spawn_app(opts).await;
    save_pat_connection(&app, "reports", "8", "").await;
    let (ada, csrf) = admin(&app).await;
    (app, ada, csrf)
}
