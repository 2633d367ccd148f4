//! Save & authorize of a refresh-token connection, black-box: the form answers 303 to the
//! provider's authorization endpoint with `offline_access`, the callback (the sign-in one,
//! marked by the pending state) stores the tokens on the connection sealed, signs nobody in
//! and says "Connected: you can close this window"; only a signed-in admin completes it, and
//! only with the tokens of the connection's email when it names one.

use crate::common;

use common::{connections::*, *};
use reqwest::StatusCode;

#[tokio::test]
async fn save_and_authorize_stores_the_tokens_on_the_connection() {
    let app = spawn_app(admin_opts()).await;
    let (ada, authorize) = save_and_authorize(&app, "ben-rt").await;
    assert!(
        authorize.as_str().starts_with(&app.fake.issuer()),
        "{authorize}"
    );
    let query: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    let scope = &query.iter().find(|(k, _)| k == "scope").unwrap().1;
    assert!(scope.split(' ').any(|s| s == "offline_access"), "{scope}");
    let redirect = &query.iter().find(|(k, _)| k == "redirect_uri").unwrap().1;
    assert_eq!(redirect, app.settings.oidc.redirect_uri.as_str());
    let row = app
        .state
        .db
        .connection_get("ben-rt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.auth.as_str(), row.status.as_str()),
        ("refresh_token", "needs_authorization")
    );
    assert_eq!(row.concurrency, 4);

    // In the new window Ben signs in at Filevine; the callback completes the connection.
    let callback = ada.provider_choose(&authorize, Choice::User(BEN)).await;
    let r = ada.get(&callback).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Connected: you can close this window"),
        "{html}"
    );
    // It closes itself with a script of its own file: the CSP allows no inline script.
    assert!(
        html.contains(r#"<script src="/static/close.js" defer></script>"#),
        "{html}"
    );
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    let js = ada.get(&app.url("/static/close.js")).await;
    assert_eq!(js.status(), StatusCode::OK);
    let csp = js.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(js.text().await.unwrap().contains("window.close()"));
    let row = app
        .state
        .db
        .connection_get("ben-rt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "ok");
    assert_eq!(
        row.verified_name.as_deref(),
        Some("ben@okafor-injury.example")
    );
    let sealed = row.sealed_secret.unwrap();
    for secret in app.control().issued_secrets() {
        assert!(
            !sealed.contains(&secret) && !html.contains(&secret),
            "a token in clear"
        );
    }
    let audit = app.state.db.audit_recent(5).await.unwrap();
    assert!(
        audit[0].what.contains("authorized as ben@okafor"),
        "{audit:?}"
    );
    // Nobody was signed in: the browser is still Ada's, and the page shows it authorized.
    let page = ada
        .get(&app.url(CONNECTIONS_PAGE))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"connection-ben-rt\""), "{page}");
    assert!(page.contains("Ada Lovelace"), "{page}");
    let ben_card = &page[page.find("id=\"connection-ben-rt\"").unwrap()..];
    assert!(ben_card.contains("<code>ok</code>"), "{ben_card}");
    // It acts as Ben, named once (his name there is his email).
    assert!(
        ben_card.contains("<dt>Acts as</dt><dd>&lt;ben@okafor-injury.example&gt;</dd>"),
        "{ben_card}"
    );
    // Its own card changes its settings without authorizing again; the tokens stay.
    let csrf = csrf_of(&page);
    let edit = [
        ("csrf", csrf.as_str()),
        ("action", "save"),
        ("mode", "edit"),
        ("name", "ben-rt"),
        ("environment", "us"),
        ("auth", "refresh_token"),
        ("email", "ben@okafor-injury.example"),
        ("concurrency", "6"),
        ("borrow_from", ""),
    ];
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &edit).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let row = app
        .state
        .db
        .connection_get("ben-rt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.concurrency, row.sealed_secret), (6, Some(sealed)));
}

#[tokio::test]
async fn an_authorization_completed_by_a_non_admin_session_is_dropped() {
    let app = spawn_app(admin_opts()).await;
    let (ada, authorize) = save_and_authorize(&app, "ben-rt").await;
    let html = ada.get(&app.url("/")).await.text().await.unwrap();
    let csrf = csrf_of(&html);
    let r = ada
        .post_form(&app.url("/auth/logout"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Ben, no admin, signs in in the same browser before the window finishes.
    ada.login(&app, BEN, None).await;
    let callback = ada.provider_choose(&authorize, Choice::User(BEN)).await;
    let r = ada.get(&callback).await;
    assert_ne!(r.status(), StatusCode::OK);
    let row = app
        .state
        .db
        .connection_get("ben-rt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "needs_authorization");
    assert!(row.sealed_secret.is_none());
}

#[tokio::test]
async fn an_authorization_without_a_refresh_token_says_why_and_stays_open() {
    let mut opts = admin_opts();
    // No offline_access: the provider grants no refresh token.
    let scopes =
        "openid profile email tenant fv.auth.tenant.read filevine.v2.api.* fv.api.gateway.access";
    opts.extra_env.push(("FV_SCOPES".into(), scopes.into()));
    let app = spawn_app(opts).await;
    let (ada, authorize) = save_and_authorize(&app, "ben-rt").await;
    let callback = ada.provider_choose(&authorize, Choice::User(BEN)).await;
    let html = ada.get(&callback).await.text().await.unwrap();
    assert!(
        html.contains("Not connected") && html.contains("offline_access"),
        "{html}"
    );
    // The reason must be read: this window does not close itself.
    assert!(!html.contains("<script"), "{html}");
    let row = app
        .state
        .db
        .connection_get("ben-rt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "needs_authorization");
}

/// A connection saved for Ben's email and authorized by Ada at Filevine would act as Ada: it
/// is refused with a page saying who was expected, and stays waiting with no tokens.
#[tokio::test]
async fn an_authorization_by_another_user_than_the_connections_email_is_refused() {
    let app = spawn_app(admin_opts()).await;
    let (ada, authorize) =
        save_and_authorize_for(&app, "ben-rt", "Ben@Okafor-Injury.example").await;
    let callback = ada.provider_choose(&authorize, Choice::User(ADA)).await;
    let html = ada.get(&callback).await.text().await.unwrap();
    assert!(
        html.contains("Not connected")
            && html.contains("Ben@Okafor-Injury.example")
            && html.contains("ada@lovelace-law.example"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    let row = app
        .state
        .db
        .connection_get("ben-rt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "needs_authorization");
    assert!(row.sealed_secret.is_none());
    assert!(row.verified_name.is_none());

    // Ben himself (his email in other case) completes it.
    let (ada, authorize) =
        save_and_authorize_for(&app, "ben-rt", "Ben@Okafor-Injury.example").await;
    let callback = ada.provider_choose(&authorize, Choice::User(BEN)).await;
    let html = ada.get(&callback).await.text().await.unwrap();
    assert!(
        html.contains("Connected: you can close this window"),
        "{html}"
    );
}
