//! The date filters (`created_since`, `active_since`, `active_before`) end to end: they reach
//! the gateway as `createdSince`, `latestActivitySince`, `latestActivityBefore` in its
//! `yyyy-mm-dd` format, stay in the pager and export links, select exactly the projects the
//! stand-in holds for those days, and a bad date is a friendly 400 that keeps the other filters.

use crate::common;

use common::*;
use fake_filevine::RecordedRequest;
use reqwest::StatusCode;
use time::{macros::date, Date};

const LOVELACE: i64 = 5001;
const DATES: &str = "created_since=2023-01-01&active_since=2024-06-01&active_before=2025-06-01";

fn q<'a>(r: &'a RecordedRequest, k: &str) -> Option<&'a str> {
    r.query
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
}

/// Live projects of the stand-in matching the three dates, counted here from its data.
fn expected(app: &TestApp, created: Date, since: Date, before: Date) -> usize {
    let start = |d: Date| d.midnight().assume_utc();
    app.control()
        .projects(LOVELACE)
        .iter()
        .filter(|p| !p.is_archived)
        .filter(|p| p.created_date >= start(created))
        .filter(|p| p.last_activity >= start(since) && p.last_activity < start(before))
        .count()
}

#[tokio::test]
async fn dates_reach_the_gateway_in_its_format_and_stay_in_links() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    app.control().reset_gateway_stats();
    let r = b
        .get(&app.url(&format!("/projects?q=v.&{DATES}&per_page=25")))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // askama writes `&` as `&#38;`.
    let html = r.text().await.unwrap().replace("&#38;", "&amp;");
    let reqs = app.control().gateway_requests();
    let lists: Vec<_> = reqs
        .iter()
        .filter(|r| r.path == "/fv-app/v2/Projects")
        .collect();
    assert!(lists.len() >= 2, "the page and the summary scan");
    for r in &lists {
        assert_eq!(q(r, "createdSince"), Some("2023-01-01"), "{:?}", r.query);
        assert_eq!(q(r, "latestActivitySince"), Some("2024-06-01"));
        assert_eq!(q(r, "latestActivityBefore"), Some("2025-06-01"));
        assert_eq!(q(r, "searchTerm"), Some("v."));
    }
    // The form shows them, the pager and the export links keep them.
    assert!(html.contains("name=\"created_since\" value=\"2023-01-01\""));
    let kept = "created_since=2023-01-01&amp;active_since=2024-06-01&amp;active_before=2025-06-01";
    assert!(
        html.contains(&format!("/projects/export.csv?q=v.&amp;{kept}")),
        "export link"
    );
    assert!(
        html.contains(&format!("{kept}&amp;per_page=25&amp;page=2")),
        "pager link"
    );
}

#[tokio::test]
async fn the_export_holds_exactly_the_projects_of_those_days() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    let r = b
        .get(&app.url(&format!("/projects/export.csv?{DATES}")))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.bytes().await.unwrap();
    let rows = csv::Reader::from_reader(&body[..]).records().count();
    let want = expected(
        &app,
        date!(2023 - 01 - 01),
        date!(2024 - 06 - 01),
        date!(2025 - 06 - 01),
    );
    assert!(want > 10 && want < 1000, "a real selection: {want}");
    assert_eq!(rows, want);
}

#[tokio::test]
async fn a_bad_date_is_a_friendly_400_that_keeps_the_other_filters() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    for path in [
        "/projects?q=smith&phase=Intake&archived=1&active_since=01%2F03%2F2025",
        "/projects/export.csv?q=smith&phase=Intake&archived=1&active_since=2025-02-30",
    ] {
        app.control().reset_gateway_stats();
        let r = b.get(&app.url(path)).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let html = r.text().await.unwrap().replace("&#38;", "&amp;");
        assert!(
            html.contains("active_since must be a date written yyyy-mm-dd"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/projects?q=smith&amp;phase=Intake&amp;archived=1\""),
            "{html}"
        );
        assert!(app.control().gateway_requests().is_empty(), "nothing asked");
    }
}

/// The binary configured for `app`'s stand-in and database, like an operator's cron job.
fn cli(app: &TestApp, args: &[&str]) -> std::process::Command {
    app.command(args)
}

#[tokio::test]
async fn the_command_line_export_takes_the_same_dates() {
    let app = spawn_app(TestOptions::default()).await;
    common::connections::save_pat_connection(&app, "reports", "4", "").await;
    let file = app.db_dir.path().join("dated.csv");
    app.control().reset_gateway_stats();
    let mut c = cli(
        &app,
        &[
            "projects",
            "export",
            "--created-since",
            "2023-01-01",
            "--active-since",
            "2024-06-01",
            "--active-before",
            "2025-06-01",
            "-o",
        ],
    );
    c.arg(&file);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv::Reader::from_path(&file).unwrap().records().count();
    let want = expected(
        &app,
        date!(2023 - 01 - 01),
        date!(2024 - 06 - 01),
        date!(2025 - 06 - 01),
    );
    assert_eq!(rows, want);
    let reqs = app.control().gateway_requests();
    assert!(reqs
        .iter()
        .filter(|r| r.path == "/fv-app/v2/Projects")
        .all(|r| q(r, "latestActivityBefore") == Some("2025-06-01")));

    let mut c = cli(
        &app,
        &["projects", "export", "--active-since", "06/01/2024"],
    );
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("active_since must be a date written yyyy-mm-dd"),
        "{e}"
    );
}
