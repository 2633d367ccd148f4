//! Sealed values are bound to their row (issue 19), black-box: a connection's PAT copied into
//! another connection's row, and a verified PAT waiting in one session copied into another
//! session, do not open there; blobs sealed before row binding (a session's tokens, the old
//! integration page's PAT) do not open either, so their user signs in once more and the PAT is
//! asked for again, never a 500.

use crate::common;

use std::str::FromStr;

use common::{connections::*, *};
use fake_filevine::DEMO_PAT;
use fv_partner_app::{
    connections::TestOutcome,
    service_account::PAT_PURPOSE,
    store::{Db, HashedIds, IntegrationRow},
};
use reqwest::StatusCode;
use secrecy::SecretString;
use tower_sessions::{session::Id, SessionStore};
use tower_sessions_sqlx_store::SqliteStore;

const WRONG_PAT: &str = "fvpat_wrong_value_for_connections_1a2b3c";
const ADA: &str = "fv-user-1001";

#[tokio::test]
async fn a_pat_copied_into_another_connections_row_does_not_open_there() {
    let app = spawn_app(admin_opts()).await;
    let (connections, db) = (&app.state.connections, &app.state.db);
    for (name, pat) in [("alpha", DEMO_PAT), ("beta", WRONG_PAT)] {
        connections
            .put_pat(name, SecretString::from(pat), BOT_EMAIL, "test")
            .await
            .unwrap();
    }
    let alpha = db.connection_get("alpha").await.unwrap().unwrap();
    let mut beta = db.connection_get("beta").await.unwrap().unwrap();
    beta.sealed_secret = alpha.sealed_secret.clone();
    db.connection_put(&beta).await.unwrap();
    connections.refresh_live().await.unwrap();

    let beta = connections.get("beta").await.unwrap().unwrap();
    assert!(!beta.has_secret, "alpha's PAT opened in beta's row");
    assert!(connections.token_source("beta").is_none());
    assert!(matches!(
        connections.test("beta").await.unwrap(),
        TestOutcome::NothingToTest
    ));
    assert!(matches!(
        connections.test("alpha").await.unwrap(),
        TestOutcome::Works(_)
    ));
}

/// The session store the app uses, over its database, to edit a session's record.
fn session_store(app: &TestApp) -> HashedIds<SqliteStore> {
    let Db::Sqlite(pool) = &app.state.db else {
        unreachable!("SQLite in this test")
    };
    HashedIds::new(SqliteStore::new(pool.clone()), &app.settings.db.secret_key)
}

/// Ada verifies a PAT in one browser; the sealed verification, copied into her session in
/// another browser, does not open there, so Save in that browser saves nothing. Saved in the
/// browser that verified it, it does.
#[tokio::test]
async fn a_pending_pat_copied_into_another_session_does_not_open_there() {
    let app = spawn_app(admin_opts()).await;
    let (one, csrf_one) = admin(&app).await;
    let (two, csrf_two) = admin(&app).await;
    let form = |csrf: &'static str, action: &'static str, pat: &'static str| {
        vec![
            ("csrf", csrf),
            ("action", action),
            ("name", "gamma"),
            ("environment", "us"),
            ("auth", "pat"),
            ("pat", pat),
            ("email", BOT_EMAIL),
            ("concurrency", "3"),
            ("borrow_from", ""),
        ]
    };
    let (csrf_one, csrf_two) = (csrf_one.leak(), csrf_two.leak());
    let page = app.url(CONNECTIONS_PAGE);
    let r = one
        .post_form(&page, &form(csrf_one, "verify", DEMO_PAT))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let store = session_store(&app);
    let id = |b: &Browser| Id::from_str(&b.session_cookie(&app).unwrap()).unwrap();
    let from = store.load(&id(&one)).await.unwrap().unwrap();
    let mut to = store.load(&id(&two)).await.unwrap().unwrap();
    let pending = from.data["fv.connection_pending"].clone();
    to.data.insert("fv.connection_pending".into(), pending);
    store.save(&to).await.unwrap();

    let r = two.post_form(&page, &form(csrf_two, "save", "")).await;
    assert!(r.status().is_client_error(), "{}", r.status());
    assert!(app
        .state
        .db
        .connection_get("gamma")
        .await
        .unwrap()
        .is_none());

    let r = one.post_form(&page, &form(csrf_one, "save", "")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app
        .state
        .db
        .connection_get("gamma")
        .await
        .unwrap()
        .is_some());
}

/// A PAT the old integration page sealed without its row (before row binding) is not moved
/// into `default` as a working PAT: the connection asks for it again.
#[tokio::test]
async fn an_integration_pat_sealed_without_its_row_is_asked_for_again() {
    let app = spawn_app(TestOptions::default()).await;
    app.state
        .db
        .integration_put(&IntegrationRow {
            sealed_pat: Some(
                app.state
                    .cipher
                    .seal_bytes(PAT_PURPOSE, &[], DEMO_PAT.as_bytes()),
            ),
            last4: "cdef".into(),
            email: BOT_EMAIL.into(),
            updated_by: "ada@lovelace-law.example".into(),
            updated_at: 1_700_000_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("sqlite://{}", app.db_path.display());
    let settings = settings_for(&app.fake, port, &TestOptions::default(), &url);
    let restarted = fv_partner_app::startup::Application::build_with_listener(settings, listener)
        .await
        .unwrap();
    let moved = restarted
        .state()
        .connections
        .get("default")
        .await
        .unwrap()
        .unwrap();
    assert!(!moved.has_secret);
    assert_eq!(moved.status.as_str(), "needs_authorization");
}

/// A session's tokens sealed before row binding (the purpose alone): the user is signed out
/// once, cleanly, and signing in again works.
#[tokio::test]
async fn tokens_sealed_without_their_row_sign_the_user_out_once() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    let row = app.state.db.sessions_all(0).await.unwrap().remove(0);
    let tokens = app
        .state
        .vault
        .load_of_session(&row.vault_id, &row.subject)
        .await
        .unwrap()
        .unwrap();
    let unbound = app.state.cipher.seal_json("token-set", &[], &tokens);
    app.state
        .db
        .vault_put(&row.vault_id, &unbound, i64::MAX)
        .await
        .unwrap();

    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out, not a 500");
    assert!(location(&r).path().starts_with("/auth/login"), "{r:?}");
    assert_eq!(
        b.get(&app.url("/profile")).await.status(),
        StatusCode::SEE_OTHER
    );
    b.login(&app, ADA, None).await;
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
}
