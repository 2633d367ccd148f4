//! Reporting through the service account: `projects export` (unattended, from the command
//! line), the scheduled per-phase snapshots and the dashboard's trend chart.

use crate::common;

use fake_filevine::{FakeFilevine, FakeOptions, ProjectFilter, DEMO_PAT};
use std::process::Command;

use common::*;
use fv_partner_app::reporting::{run_snapshot_once, ReportError};
use secrecy::SecretString;

const ORG: i64 = 5001;
const WRONG_PAT: &str = "fvpat_wrong_value_for_reporting_7a6b5c4d";

fn bin(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("FV_") || k == "DATABASE_URL" {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn").env("FV_LISTEN", "127.0.0.1:0");
    c
}

/// The demo stand-in's count for org 5001 under `filter` (same seed as the binary's).
async fn demo_count(filter: ProjectFilter) -> usize {
    let fake = FakeFilevine::start(FakeOptions::default()).await.unwrap();
    let n = fake.control().project_count(ORG, &filter);
    fake.shutdown().await;
    n
}

fn csv_rows(path: &std::path::Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().map(|r| r.unwrap()).collect()
}

#[tokio::test]
async fn demo_export_writes_every_matching_project() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.csv");
    let out = bin(dir.path())
        .args(["projects", "export", "--archived", "--output"])
        .arg(&all)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let expected = demo_count(ProjectFilter::default()).await;
    assert_eq!(expected, FakeOptions::default().projects_per_org);
    assert_eq!(csv_rows(&all).len(), expected);
    assert!(
        err.contains(&format!("exported {expected} projects from org {ORG}")),
        "{err}"
    );
    assert!(!dir.path().join("all.csv.partial").exists());

    // A phase filter, archived left out (the default), as JSON.
    let phase = dir.path().join("demand.json");
    let out = bin(dir.path())
        .args([
            "projects", "export", "--format", "json", "--phase", "Demand", "-o",
        ])
        .arg(&phase)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&phase).unwrap()).unwrap();
    let expected = demo_count(ProjectFilter {
        phase_name: Some("Demand".into()),
        exclude_archived: true,
        ..Default::default()
    })
    .await;
    assert!(expected > 0);
    assert_eq!(items.len(), expected);
    assert!(items.iter().all(|p| p["phaseName"] == "Demand"));
}

#[test]
fn export_with_a_refused_pat_fails_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.csv");
    let out = bin(dir.path())
        .env("FV_PAT", WRONG_PAT)
        .args(["projects", "export", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(e.contains("refused the personal access token"), "{e}");
    assert!(
        !o.contains(WRONG_PAT) && !e.contains(WRONG_PAT),
        "PAT printed"
    );
    assert!(!file.exists());
}

#[test]
fn export_with_an_unknown_org_names_the_orgs() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .args(["projects", "export", "--org", "4242"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("4242") && e.contains("#5001"), "{e}");
}

/// Makes `pat` the saved connection `default`, as Save on the settings page leaves it
/// (without the verification, so a refused PAT can be saved too): sealed and live.
async fn use_pat(app: &TestApp, pat: &str) {
    app.state
        .connections
        .put_pat(
            "default",
            SecretString::from(pat.to_owned()),
            "reporting-bot@lovelace-law.example",
            "test",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_snapshot_records_the_per_phase_counts_with_nobody_signed_in() {
    let app = spawn_app(TestOptions::default()).await;
    use_pat(&app, DEMO_PAT).await;
    let report = run_snapshot_once(&app.state).await.unwrap();
    let rows = app
        .state
        .db
        .snapshots_since(("us", true), ORG, 0)
        .await
        .unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.taken_at == report.taken_at));
    let mut total = 0;
    for r in &rows {
        let expected = app.control().project_count(
            ORG,
            &ProjectFilter {
                phase_name: Some(r.phase.clone()),
                ..Default::default()
            },
        );
        assert_eq!(r.count as usize, expected, "phase {}", r.phase);
        total += r.count as usize;
    }
    assert_eq!(
        total,
        app.control().project_count(ORG, &ProjectFilter::default())
    );
}

#[tokio::test]
async fn a_refused_pat_is_recorded_not_a_crash() {
    let app = spawn_app(TestOptions::default()).await;
    use_pat(&app, WRONG_PAT).await;
    let err = run_snapshot_once(&app.state).await.unwrap_err();
    assert!(matches!(err, ReportError::Pat(_)), "{err:?}");
    let row = app
        .state
        .db
        .connection_get("default")
        .await
        .unwrap()
        .unwrap();
    let last = row.last_error.unwrap_or_default();
    assert!(last.contains("Scheduled snapshot failed"), "{last}");
    assert!(!last.contains(WRONG_PAT));
    assert!(app
        .state
        .db
        .snapshots_since(("us", true), ORG, 0)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_dashboard_draws_the_trend_once_snapshots_exist() {
    // The trend is org-wide service-account data: admins only (auth::policy).
    let app = spawn_app(TestOptions {
        extra_env: vec![("FV_ADMIN_EMAILS".into(), "ada@lovelace-law.example".into())],
        ..Default::default()
    })
    .await;
    let browser = app.browser();
    browser.login(&app, "fv-user-1001", Some("/projects")).await;
    let page = dashboard(&browser, &app).await;
    assert!(page.contains("summary-title"), "not the dashboard: {page}");
    // No snapshot yet: the card says when the first comes, and draws nothing.
    assert!(
        page.contains("No snapshot of this organization yet") && page.contains("within 15 minutes"),
        "{page}"
    );
    assert!(
        !page.contains("trend-svg-title"),
        "a chart without snapshots"
    );

    use_pat(&app, DEMO_PAT).await;
    run_snapshot_once(&app.state).await.unwrap();
    // One snapshot: not a column of dots at one moment, but when the line will start.
    let page = dashboard(&browser, &app).await;
    assert!(page.contains("One snapshot so far, taken "), "{page}");
    assert!(
        page.contains("The line appears with the next one"),
        "{page}"
    );
    assert!(!page.contains("trend-svg-title"), "a chart of one snapshot");
    // An hour later by the app's clock (snapshots are keyed by the second they were taken).
    app.clock.advance(std::time::Duration::from_secs(3600));
    run_snapshot_once(&app.state).await.unwrap();

    let page = dashboard(&browser, &app).await;
    assert!(page.contains("trend-title"), "{page}");
    let svg_start = page.find("trend-svg-title").unwrap();
    let trend = &page[svg_start..];
    assert!(trend.contains("<polyline points="), "{trend}");
    assert!(trend.contains("2 snapshots"), "{trend}");
    assert!(!page.contains("style="), "inline style breaks the CSP");
    // Each line is labelled at its end, in the bar chart's phase order.
    let summary = &page[page.find("summary-title").unwrap()..svg_start];
    let bars = labels(summary, r#"class="chart-label">"#);
    let ends: Vec<String> = labels(trend, r#"class="chart-label trend-end">"#)
        .into_iter()
        .map(|l| {
            l.rsplit_once(" (")
                .map_or(l.clone(), |(name, _)| name.to_owned())
        })
        .collect();
    assert!(bars.len() >= 3, "{summary}");
    let ends_in_bars: Vec<&String> = ends.iter().filter(|e| bars.contains(e)).collect();
    assert_eq!(ends_in_bars, bars.iter().collect::<Vec<_>>(), "{trend}");

    // Ben works in the same org but is no admin: Filevine may show him fewer projects than
    // the service account counts, so he gets his own summary and no org-wide trend.
    let ben = app.browser();
    let to = ben.login(&app, "fv-user-1002", Some("/projects")).await;
    let chooser = ben.get(&app.url(&to)).await.text().await.unwrap();
    let csrf = csrf_of(&chooser);
    ben.post_form(&app.url("/org"), &[("csrf", &csrf), ("org_id", "5001")])
        .await;
    let page = ben.get(&app.url("/projects")).await.text().await.unwrap();
    assert!(page.contains("summary-title"), "not the dashboard: {page}");
    assert!(
        !page.contains("trend-title"),
        "a non-admin saw the org-wide trend"
    );
}

#[tokio::test]
async fn snapshots_work_on_postgres() {
    let app = spawn_app(TestOptions {
        database_url: Some(postgres_url()),
        ..Default::default()
    })
    .await;
    use_pat(&app, DEMO_PAT).await;
    let report = run_snapshot_once(&app.state).await.unwrap();
    // Run twice in the same second: the second replaces the first, it does not fail.
    run_snapshot_once(&app.state).await.unwrap();
    let rows = app
        .state
        .db
        .snapshots_since(("us", true), ORG, report.taken_at)
        .await
        .unwrap();
    let total: i64 = rows
        .iter()
        .filter(|r| r.taken_at == report.taken_at)
        .map(|r| r.count)
        .sum();
    assert_eq!(
        total as usize,
        app.control().project_count(ORG, &ProjectFilter::default())
    );
    assert!(app.state.db.snapshot_latest().await.unwrap() >= Some(report.taken_at));
}

/// The texts of the elements opened by `marker` (up to the next `<`), in page order.
fn labels(html: &str, marker: &str) -> Vec<String> {
    html.split(marker)
        .skip(1)
        .map(|rest| rest[..rest.find('<').unwrap_or(rest.len())].to_owned())
        .collect()
}

/// The dashboard as `b` sees it.
async fn dashboard(b: &Browser, app: &TestApp) -> String {
    b.get(&app.url("/projects")).await.text().await.unwrap()
}
