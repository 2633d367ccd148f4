//! Issue 31, item 3: figures are kept per environment though the org and user ids coincide.
//! Canada's stand-in holds fewer projects than the US one and is otherwise the same demo data,
//! so Ada's org and user ids, Ben's and the reporting bot's are the same in both. Each figure
//! that could be shared across the two is checked on its own: the summary and report caches
//! (in memory), the snapshots and the trend drawn from them, the remembered org choice and the
//! feeds (rows in the database, so on SQLite and on PostgreSQL).

use crate::common;

use crate::support::ended::private_postgres;

use common::feeds::{feed, new_key};
use common::two_envs::{spawn_two_envs, TwoEnvs};
use common::*;
use fake_filevine::{FakeOptions, ProjectFilter};
use fv_partner_app::util::numbers::grouped;
use reqwest::StatusCode;

const ADA: &str = "fv-user-1001";
const ADA_EMAIL: &str = "ada@lovelace-law.example";
/// Ben belongs to two orgs, so he chooses one.
const BEN: &str = "fv-user-1002";

/// Canada's stand-in holds this many projects per org; the US one the default 1,250.
const CA_PROJECTS: usize = 37;

/// Both environments, Ada an admin in each, on `database_url` (a SQLite file when `None`).
async fn figures_envs(database_url: Option<&str>) -> TwoEnvs {
    let second = std::sync::atomic::AtomicBool::new(false);
    let mut extra = vec![("FV_ADMIN_EMAILS", ADA_EMAIL)];
    if let Some(url) = database_url {
        extra.push(("DATABASE_URL", url));
    }
    let envs = spawn_two_envs(
        || {
            let mut o = FakeOptions::default();
            if second.swap(true, std::sync::atomic::Ordering::SeqCst) {
                o.projects_per_org = CA_PROJECTS;
            }
            o
        },
        &extra,
    )
    .await;
    let on_postgres = matches!(envs.app.state.db, fv_partner_app::store::Db::Postgres(_));
    assert_eq!(
        on_postgres,
        database_url.is_some(),
        "the database asked for"
    );
    envs
}

/// The org whose ids coincide: Ada's first, the bot's only.
fn org() -> i64 {
    fake_filevine::ADA.orgs[0].org_id
}

/// Projects of the org at `env`'s stand-in, archived ones too when `archived`.
fn live(envs: &TwoEnvs, env: &str, archived: bool) -> usize {
    let filter = ProjectFilter {
        exclude_archived: !archived,
        ..Default::default()
    };
    envs.fake(env).control().project_count(org(), &filter)
}

/// Ada signed in at the US and, in another browser, at Canada.
async fn ada_in_both(envs: &TwoEnvs) -> [(Browser, &'static str); 2] {
    let (us, ca) = (envs.app.browser(), envs.app.browser());
    envs.login(&us, "us", ADA).await;
    envs.login(&ca, "ca", ADA).await;
    [(us, "us"), (ca, "ca")]
}

/// Saves the reporting bot's PAT connection `name` at `env`.
async fn save_bot(app: &TestApp, name: &str, env: &str) {
    let connections = &app.state.connections;
    let pat = secrecy::SecretString::from(fake_filevine::DEMO_PAT);
    let draft = fv_partner_app::connections::Draft {
        name: name.into(),
        environment: env.into(),
        email: fake_filevine::REPORTING_BOT.email.into(),
        ..Default::default()
    };
    let verified = connections.verify(draft, pat).await.unwrap();
    connections.save_verified(verified, "test").await.unwrap();
}

async fn text(b: &Browser, app: &TestApp, path: &str) -> String {
    let r = b.get(&app.url(path)).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_summary_is_cached_per_environment() {
    let envs = figures_envs(None).await;
    // The US count is cached first; Canada's view must scan Canada.
    for (b, env) in ada_in_both(&envs).await {
        let html = text(&b, &envs.app, "/projects/summary").await;
        let expected = format!("data-matching=\"{}\"", grouped(&live(&envs, env, false)));
        assert!(html.contains(&expected), "{env}: {expected} in {html}");
    }
}

#[tokio::test]
async fn the_reports_are_cached_per_environment() {
    let envs = figures_envs(None).await;
    for (b, env) in ada_in_both(&envs).await {
        let html = text(&b, &envs.app, "/reports").await;
        let expected = format!("{} matters", grouped(&live(&envs, env, false)));
        assert!(html.contains(&expected), "{env}: {expected}");
    }
}

/// A snapshot of the US org is not Canada's: rows are stored and read per environment, and
/// the trend card of each admin draws only its own environment's.
async fn snapshots_and_trend(database_url: Option<&str>) {
    let envs = figures_envs(database_url).await;
    let app = &envs.app;
    let [(us_ada, _), (ca_ada, _)] = ada_in_both(&envs).await;
    let run = || async { fv_partner_app::reporting::run_snapshot_once(&app.state).await };

    // Only the US has a connection: its org is recorded, Canada's (same id) is not.
    save_bot(app, "us-bot", "us").await;
    let first = run().await.unwrap();
    let none = "No snapshot of this organization yet";
    let us_page = text(&us_ada, app, "/projects").await;
    assert!(!us_page.contains(none), "us: {us_page}");
    let ca_page = text(&ca_ada, app, "/projects").await;
    assert!(
        ca_page.contains(none),
        "Canada's admin was shown the US snapshot: {ca_page}"
    );

    // Both have one (a minute on, so the moments differ; the app's own scheduled snapshot
    // may come due too, which adds a moment to both and changes nothing checked here).
    save_bot(app, "ca-bot", "ca").await;
    app.clock.advance(std::time::Duration::from_secs(60));
    let second = run().await.unwrap();
    for (env, default) in [("us", true), ("ca", false)] {
        let rows = app
            .state
            .db
            .snapshots_since((env, default), org(), 0)
            .await
            .unwrap();
        let taken_first = rows.iter().any(|r| r.taken_at == first.taken_at);
        assert_eq!(taken_first, env == "us", "{env}: {rows:?}");
        let counted: i64 = rows
            .iter()
            .filter(|r| r.taken_at == second.taken_at)
            .map(|r| r.count)
            .sum();
        assert_eq!(counted as usize, live(&envs, env, true), "{env}: {rows:?}");
    }
    let ca_page = text(&ca_ada, app, "/projects").await;
    assert!(!ca_page.contains(none), "ca: {ca_page}");
}

#[tokio::test]
async fn snapshots_and_the_trend_are_kept_per_environment_on_sqlite() {
    snapshots_and_trend(None).await;
}

#[tokio::test]
async fn snapshots_and_the_trend_are_kept_per_environment_on_postgres() {
    let db = private_postgres("envs_trend").await;
    snapshots_and_trend(Some(&db.url)).await;
    db.drop_now().await;
}

/// Ben's choice of org at the US is not his choice at Canada: there he is asked.
async fn org_choice(database_url: Option<&str>) {
    let envs = figures_envs(database_url).await;
    let app = &envs.app;
    let us = app.browser();
    let to = envs.login(&us, "us", BEN).await;
    assert!(to.starts_with("/org"), "asked at first: {to}");
    let csrf = csrf_of(&text(&us, app, &to).await);
    let r = us
        .post_form(&app.url("/org"), &[("csrf", &csrf), ("org_id", "5002")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Remembered at the US.
    let again = app.browser();
    let to = envs.login(&again, "us", BEN).await;
    assert!(!to.starts_with("/org"), "remembered at the US: {to}");
    // Not at Canada, whose Ben has the same ids.
    let ca = app.browser();
    let to = envs.login(&ca, "ca", BEN).await;
    assert!(
        to.starts_with("/org"),
        "the US choice was applied at Canada: {to}"
    );
}

#[tokio::test]
async fn the_org_choice_is_remembered_per_environment_on_sqlite() {
    org_choice(None).await;
}

#[tokio::test]
async fn the_org_choice_is_remembered_per_environment_on_postgres() {
    let db = private_postgres("envs_org").await;
    org_choice(Some(&db.url)).await;
    db.drop_now().await;
}

/// A feed key on the bot's US connection and one on its Canadian connection (same org and user
/// ids): each report feed counts its own environment's projects, whichever is asked first.
async fn feeds(database_url: Option<&str>) {
    let envs = figures_envs(database_url).await;
    let app = &envs.app;
    save_bot(app, "us-bot", "us").await;
    save_bot(app, "ca-bot", "ca").await;
    let [(ada, _), _] = ada_in_both(&envs).await;
    let mut keys = Vec::new();
    for (connection, env) in [("us-bot", "us"), ("ca-bot", "ca")] {
        let csrf = csrf_of(&text(&ada, app, "/settings/feeds").await);
        let org = org().to_string();
        let form = [
            ("csrf", csrf.as_str()),
            ("name", connection),
            ("connection", connection),
            ("org", org.as_str()),
            ("action", "create"),
        ];
        let r = ada.post_form(&app.url("/settings/feeds"), &form).await;
        assert_eq!(r.status(), StatusCode::OK, "{connection}");
        let key = new_key(&r.text().await.unwrap()).expect("the key is shown once");
        keys.push((key, env));
    }
    for (key, env) in &keys {
        let r = feed(app, "/feeds/reports.json", key, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{env}");
        let report: serde_json::Value = r.json().await.unwrap();
        // Both feeds leave archived matters out unless asked.
        let want = live(&envs, env, false);
        assert_eq!(
            report["total"], want as u64,
            "{env}: the report of the other environment"
        );
        let r = feed(app, "/feeds/projects.json", key, None).await;
        let projects: Vec<serde_json::Value> = r.json().await.unwrap();
        assert_eq!(projects.len(), want, "{env}");
    }
}

#[tokio::test]
async fn feeds_read_their_own_environment_on_sqlite() {
    feeds(None).await;
}

#[tokio::test]
async fn feeds_read_their_own_environment_on_postgres() {
    let db = private_postgres("envs_feeds").await;
    feeds(Some(&db.url)).await;
    db.drop_now().await;
}
