//! A refresh-token connection acting with nobody signed in, against the stand-in (which
//! rotates refresh tokens with reuse detection: presenting a spent one is counted and
//! refused): every refresh's new token is kept, a caller cancelled mid-refresh loses nothing,
//! two replicas on PostgreSQL refresh once, and a refused refresh token turns the connection
//! `needs_authorization` so background jobs skip it until it is authorized again.

use crate::common;

use std::time::Duration;

use common::{connections::*, *};
use fv_partner_app::{
    connections::{Status, TestOutcome},
    filevine::TokenSource,
    reporting::{run_snapshot_once, PatAccount},
};

/// The stand-in's access-token lifetime; the tests move the clock past it.
const TTL: Duration = Duration::from_secs(60);

/// Ada admin, tokens living [`TTL`], and no scheduled snapshots: the clock moves fast here,
/// and a snapshot running beside the test would be a second, unplanned user of the tokens.
fn opts() -> TestOptions {
    let mut opts = TestOptions {
        access_token_ttl: TTL,
        ..admin_opts()
    };
    opts.extra_env
        .push(("FV_SNAPSHOT_MINUTES".into(), "0".into()));
    opts
}

async fn status_of(app: &TestApp, name: &str) -> String {
    let row = app.state.db.connection_get(name).await.unwrap().unwrap();
    row.status
}

/// Waits until `done` holds; fails after 30 s, so a refresh that never comes is a failure
/// naming `what`, not a hung test.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn each_rotated_refresh_token_is_stored_and_used_next() {
    let app = spawn_app(opts()).await;
    authorize_connection(&app, "ben-rt", BEN).await;
    let control = app.control();
    for round in 1..=3 {
        app.advance_clock(TTL + Duration::from_secs(1));
        let account = PatAccount::of_connection(&app.state, "ben-rt")
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(!account.orgs.is_empty(), "Ben's orgs");
        assert_eq!(control.token_calls("refresh_token"), round);
    }
    assert_eq!(control.reused_refresh_tokens(), 0, "a spent token was sent");
    assert_eq!(app.state.db.vault_count_leased().await.unwrap(), 0);
    let now = app.clock.now_unix();
    assert_eq!(
        app.state.db.vault_count_live(now).await.unwrap(),
        1,
        "sessions: Ada's"
    );
    // The purge of expired sessions' tokens, even years later, leaves the connection's.
    let later = app.clock.now_unix() + 10 * 365 * 86_400;
    app.state.db.vault_delete_expired(later).await.unwrap();
    let id = fv_partner_app::auth::VaultOwner::connection_id("ben-rt");
    assert!(app.state.db.vault_get(&id).await.unwrap().is_some());
    assert_eq!(
        app.state.db.vault_count_live(0).await.unwrap(),
        0,
        "no session"
    );
    assert!(PatAccount::of_connection(&app.state, "ben-rt")
        .await
        .is_ok());
    // Test is a live check that refreshes too.
    app.advance_clock(TTL + Duration::from_secs(1));
    let outcome = app.state.connections.test("ben-rt").await.unwrap();
    assert!(
        matches!(outcome, TestOutcome::Works(ref v) if v.email.as_deref() == Some("ben@okafor-injury.example"))
    );
    assert_eq!(control.token_calls("refresh_token"), 4);
    assert_eq!(status_of(&app, "ben-rt").await, "ok");
    // Removing the connection removes its tokens.
    let connections = &app.state.connections;
    connections.remove("ben-rt", "test").await.unwrap();
    assert!(app.state.db.vault_get(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn a_caller_cancelled_mid_refresh_loses_no_rotated_token() {
    let app = spawn_app(opts()).await;
    authorize_connection(&app, "ben-rt", BEN).await;
    let control = app.control();
    let source = app.state.connections.token_source("ben-rt").unwrap();
    for round in 1..=3 {
        // The stand-in spends the old token, then waits before answering: the caller gives
        // up in that window, when the new token exists only in the app.
        control.set_refresh_delay(Duration::from_millis(300));
        app.advance_clock(TTL + Duration::from_secs(1));
        tokio::select! {
            _ = source.token() => panic!("answered within the provider's delay"),
            _ = until("the stand-in rotated", || control.successful_refreshes() == round) => {}
        }
        control.set_refresh_delay(Duration::ZERO);
        source
            .token()
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(
            control.token_calls("refresh_token"),
            round,
            "refreshed once"
        );
    }
    assert_eq!(control.reused_refresh_tokens(), 0, "a spent token was sent");
    let row = app
        .state
        .db
        .connection_get("ben-rt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "ok", "{:?}", row.last_error);
}

#[tokio::test]
async fn two_replicas_on_postgres_refresh_a_connection_once() {
    let apps = spawn_replicas(
        2,
        TestOptions {
            database_url: Some(postgres_url()),
            ..opts()
        },
    )
    .await;
    let name = format!("rt-{}", rand::random::<u32>());
    authorize_connection(&apps[0], &name, BEN).await;
    apps[1].state.connections.refresh_live().await.unwrap();
    let control = apps[0].control();
    control.set_refresh_delay(Duration::from_millis(100));
    apps[0].advance_clock(TTL + Duration::from_secs(1));
    let calls = (0..40).map(|i| {
        let source = apps[i % 2].state.connections.token_source(&name).unwrap();
        async move { source.token().await }
    });
    let tokens = futures::future::join_all(calls).await;
    let tokens: Vec<String> = tokens.into_iter().map(Result::unwrap).collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "one new token");
    assert_eq!(control.token_calls("refresh_token"), 1);
    assert_eq!(control.reused_refresh_tokens(), 0);
    apps[0]
        .state
        .connections
        .remove(&name, "test")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_refused_refresh_token_needs_authorization_and_jobs_skip_it() {
    let app = spawn_app(opts()).await;
    let ada = authorize_connection(&app, "ben-rt", BEN).await;
    save_pat_connection(&app, "bot", "2", "").await;
    let control = app.control();
    control.revoke_refresh_tokens();
    app.advance_clock(TTL + Duration::from_secs(1));
    let refused = PatAccount::of_connection(&app.state, "ben-rt").await;
    let e = refused.err().expect("the refresh was refused");
    assert_eq!(e.connection_status(), Status::NeedsAuthorization, "{e}");
    // The source itself recorded it, whoever asked.
    assert_eq!(status_of(&app, "ben-rt").await, "needs_authorization");
    let refreshes = control.token_calls("refresh_token");
    let report = run_snapshot_once(&app.state).await.unwrap();
    assert_eq!(report.skipped, vec!["ben-rt".to_owned()]);
    assert_eq!(control.token_calls("refresh_token"), refreshes, "skipped");
    let page = connections_page(&app, &ada).await;
    let card = &page[page.find("id=\"connection-ben-rt\"").unwrap()..];
    assert!(card.contains("needs_authorization"), "{card}");
    // Authorized again, Test turns it ok.
    authorize_connection(&app, "ben-rt", BEN).await;
    app.advance_clock(TTL + Duration::from_secs(1));
    let outcome = app.state.connections.test("ben-rt").await.unwrap();
    assert!(matches!(outcome, TestOutcome::Works(_)));
    assert_eq!(status_of(&app, "ben-rt").await, "ok");
}
