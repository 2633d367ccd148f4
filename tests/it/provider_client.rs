//! The HTTP client the app uses for the provider (and the gateway): it never follows a
//! redirect and always verifies TLS. Both are seen at start-up, where discovery is the first
//! request: against a provider that redirects, and one with a certificate nobody vouches for.

use crate::common;

use common::*;
use fake_filevine::{FakeFilevine, FakeOptions};
use fv_partner_app::startup::Application;

/// Builds an app whose `FV_AUTHORITY` is `authority` (everything else from the stand-in) and
/// returns the start-up error's full text.
async fn start_up_error(fake: &FakeFilevine, authority: &str) -> String {
    let opts = TestOptions {
        extra_env: vec![("FV_AUTHORITY".into(), authority.into())],
        ..Default::default()
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("app.db").display());
    let settings = settings_for(fake, port, &opts, &db);
    match Application::build_with_listener(settings, listener).await {
        Ok(_) => panic!("start-up against {authority} should fail"),
        Err(e) => format!("{e} / {e:?}"),
    }
}

/// A provider whose every answer is a redirect to the real stand-in's same path: followed,
/// discovery would succeed (or at worst disagree about the issuer).
#[tokio::test]
async fn the_provider_client_does_not_follow_redirects() {
    let fake = FakeFilevine::start(FakeOptions::default()).await.unwrap();
    let target = fake.issuer();
    let redirector = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let to = format!("{target}{}", uri.path());
        async move { axum::response::Redirect::temporary(&to) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, redirector).await });
    let text = start_up_error(&fake, &format!("http://{addr}")).await;
    assert!(text.contains("307"), "{text}");
    assert!(!text.to_lowercase().contains("issuer"), "followed: {text}");
}

/// A provider over https with a self-signed certificate (another app serving
/// `--tls-self-signed`): the handshake fails, nothing is read from it.
#[tokio::test]
async fn the_provider_client_verifies_tls() {
    let tls_app = spawn_app(TestOptions {
        https: true,
        ..Default::default()
    })
    .await;
    let authority = format!("https://localhost:{}", tls_app.port);
    let text = start_up_error(&tls_app.fake, &authority).await;
    assert!(text.to_lowercase().contains("certificate"), "{text}");
}
