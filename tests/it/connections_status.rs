//! Connections beyond the form: `FV_PAT` as the read-only connection `env`, the move of the
//! PAT saved on the old integration page into `default`, and a revoked PAT turning the status
//! to `needs_authorization` (background work skips it) and back to `ok` after a Test.

use crate::common;

use common::{connections::*, *};
use fake_filevine::DEMO_PAT;
use fv_partner_app::{
    service_account::{PAT_PURPOSE, PAT_ROW},
    store::IntegrationRow,
};
use reqwest::StatusCode;
use secrecy::SecretString;

const WRONG_PAT: &str = "fvpat_wrong_value_for_connections_1a2b3c";

fn fields<'a>(csrf: &'a str, action: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("action", action),
        ("name", name),
        ("pat", DEMO_PAT),
        ("email", BOT_EMAIL),
    ]
}

#[tokio::test]
async fn fv_pat_is_the_read_only_connection_env() {
    let mut opts = admin_opts();
    opts.extra_env.push(("FV_PAT".into(), DEMO_PAT.into()));
    opts.extra_env
        .push(("FV_SERVICE_ACCOUNT_EMAIL".into(), BOT_EMAIL.into()));
    let app = spawn_app(opts).await;
    let (ada, csrf) = admin(&app).await;
    let html = connections_page(&app, &ada).await;
    assert!(html.contains("id=\"connection-env\""), "{html}");
    assert!(html.contains("Configured from the environment"));
    // It cannot be replaced, edited or removed; it can be tested.
    for (action, mode) in [("save", "edit"), ("remove", ""), ("verify", "")] {
        let mut form = fields(&csrf, action, "env");
        form.push(("mode", mode));
        let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{action}");
    }
    let r = ada
        .post_form(
            &app.url(CONNECTIONS_PAGE),
            &[("csrf", &csrf), ("action", "test"), ("name", "env")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(connections_page(&app, &ada)
        .await
        .contains("The connection works: <code>env</code>"));
    let env = app.state.connections.get("env").await.unwrap().unwrap();
    assert_eq!(env.status.as_str(), "ok");
    assert!(env.read_only);
}

#[tokio::test]
async fn the_saved_integration_pat_moves_into_default() {
    let app = spawn_app(TestOptions::default()).await;
    let db = &app.state.db;
    db.integration_put(&IntegrationRow {
        sealed_pat: Some(
            app.state
                .cipher
                .seal_bytes(PAT_PURPOSE, PAT_ROW, DEMO_PAT.as_bytes()),
        ),
        last4: "cdef".into(),
        email: BOT_EMAIL.into(),
        verified_name: Some("Reporting Bot".into()),
        verified_at: Some(1_700_000_000),
        updated_by: "ada@lovelace-law.example".into(),
        updated_at: 1_700_000_000,
        ..Default::default()
    })
    .await
    .unwrap();
    // The next start on this database moves it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("sqlite://{}", app.db_path.display());
    let settings = settings_for(&app.fake, port, &TestOptions::default(), &url);
    let second = fv_partner_app::startup::Application::build_with_listener(settings, listener)
        .await
        .unwrap();
    let state = second.state();
    let moved = state.connections.get("default").await.unwrap().unwrap();
    assert_eq!(
        (moved.email.as_str(), moved.last4.as_str()),
        (BOT_EMAIL, "cdef")
    );
    assert!(moved.has_secret, "re-sealed for its new row");
    assert_eq!(moved.status.as_str(), "ok");
    state
        .connections
        .source("default")
        .unwrap()
        .token()
        .await
        .unwrap();
    assert!(
        db.integration_get().await.unwrap().is_none(),
        "moved, not copied"
    );
    let audit = db.audit_recent(5).await.unwrap();
    assert!(audit[0].what.contains("/settings/integration"), "{audit:?}");
}

#[tokio::test]
async fn a_revoked_pat_needs_authorization_and_test_after_fixing_it_is_ok() {
    let app = spawn_app(admin_opts()).await;
    let (ada, csrf) = admin(&app).await;
    let connections = &app.state.connections;
    connections
        .put_pat("reports", SecretString::from(WRONG_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    let test = [
        ("csrf", csrf.as_str()),
        ("action", "test"),
        ("name", "reports"),
    ];
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &test).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = connections.get("reports").await.unwrap().unwrap();
    assert_eq!(c.status.as_str(), "needs_authorization");
    assert!(c.last_error.unwrap().contains("refused"));
    let html = connections_page(&app, &ada).await;
    assert!(
        html.contains("needs authorization: background work skips it"),
        "{html}"
    );
    // The failed Test is told as a problem (red, an alert), not as a confirmation.
    assert!(
        html.contains(r#"<p class="notice error" role="alert">The connection test failed"#),
        "{html}"
    );
    let card = card_of(&html, "reports");
    assert!(
        card.contains("refused") && !card.contains("Resolved"),
        "{card}"
    );
    assert!(!html.contains(WRONG_PAT));
    // Background work skips it and says so.
    let report = fv_partner_app::reporting::run_snapshot_once(&app.state).await;
    assert!(report.is_err());
    // Re-authorized (a working PAT saved), Test turns it ok.
    connections
        .put_pat("reports", SecretString::from(DEMO_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    ada.post_form(&app.url(CONNECTIONS_PAGE), &test).await;
    let c = connections.get("reports").await.unwrap().unwrap();
    assert_eq!(c.status.as_str(), "ok");
    assert!(c.last_success_at.is_some());
    // The page no longer shows the old error as the state now; the confirmation is green.
    let html = connections_page(&app, &ada).await;
    assert!(
        html.contains(r#"<p class="notice ok" role="status">The connection works"#),
        "{html}"
    );
    let card = card_of(&html, "reports");
    // A new PAT saved starts a clean record: the refusal of the old one is not shown.
    assert!(
        card.contains(r#"<dt>Last error</dt><dd><span class="muted">none</span>"#),
        "{card}"
    );
    // Its times are the firm's, readable, with the exact value kept.
    assert!(card.contains("<time datetime=\""), "{card}");
    assert!(!card.contains("+00:00"), "{card}");
}

#[tokio::test]
async fn an_outage_that_passed_shows_as_resolved_not_as_the_state_now() {
    let app = spawn_app(admin_opts()).await;
    let (ada, csrf) = admin(&app).await;
    app.state
        .connections
        .put_pat("reports", SecretString::from(DEMO_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    let test = [
        ("csrf", csrf.as_str()),
        ("action", "test"),
        ("name", "reports"),
    ];
    app.control().set_token_endpoint_down(true);
    ada.post_form(&app.url(CONNECTIONS_PAGE), &test).await;
    let html = connections_page(&app, &ada).await;
    let card = card_of(&html, "reports");
    assert!(card.contains("<code>unreachable</code>"), "{card}");
    assert!(!card.contains("Resolved"), "{card}");
    assert!(
        !card.contains(r#"<span class="muted">none</span>"#),
        "{card}"
    );

    app.control().set_token_endpoint_down(false);
    ada.post_form(&app.url(CONNECTIONS_PAGE), &test).await;
    let html = connections_page(&app, &ada).await;
    let card = card_of(&html, "reports");
    assert!(card.contains("<code>ok</code>"), "{card}");
    assert!(card.contains("Resolved: it has worked since."), "{card}");
}

/// The card of connection `name` on the settings page.
fn card_of<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html
        .find(&format!(r#"id="connection-{name}""#))
        .unwrap_or_else(|| panic!("no card for {name}: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn snapshots_are_taken_per_connection_and_say_who_took_them() {
    let app = spawn_app(TestOptions::default()).await;
    let connections = &app.state.connections;
    for name in ["alpha", "beta"] {
        connections
            .put_pat(name, SecretString::from(DEMO_PAT), BOT_EMAIL, "test")
            .await
            .unwrap();
    }
    connections
        .put_pat("gamma", SecretString::from(WRONG_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    // gamma's PAT is refused once; from then on the jobs skip it, and /readyz names it.
    connections.test("gamma").await.unwrap();
    let report = fv_partner_app::reporting::run_snapshot_once(&app.state)
        .await
        .unwrap();
    assert_eq!(report.skipped, ["gamma"]);
    // alpha and beta see the same org: counted once, through the first by name.
    let rows = app
        .state
        .db
        .snapshots_since(("us", true), 5001, 0)
        .await
        .unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.connection == "alpha"));
    // beta on its own schedule records under its own name.
    let beta = ["beta".to_owned()];
    app.advance_clock(std::time::Duration::from_secs(1));
    fv_partner_app::reporting::run_snapshots(&app.state, Some(&beta))
        .await
        .unwrap();
    let latest = app.state.db.snapshot_latest_of("beta").await.unwrap();
    assert!(latest > Some(report.taken_at), "{latest:?}");
    let ready: serde_json::Value = app
        .browser()
        .get(&app.url("/readyz"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ready["connections_needing_authorization"][0], "gamma",
        "{ready}"
    );
    assert_eq!(ready["status"], "ready");
}
