//! The CSV and JSON downloads: row counts, tricky names and formulas, the concurrency bound,
//! and a failure mid-export.

use std::collections::HashSet;
use std::time::Duration;

use super::*;
use crate::common::*;
use fake_filevine::{data::TRICKY_PROJECTS, FakeOptions};
use reqwest::{header, StatusCode};

async fn export_csv(b: &Browser, app: &TestApp, query: &str) -> Vec<csv::StringRecord> {
    let r = b
        .get(&app.url(&format!("/projects/export.csv{query}")))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cd = r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        cd.starts_with("attachment; filename=") && cd.contains(".csv"),
        "{cd}"
    );
    assert!(r.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = r.bytes().await.unwrap();
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("UTF-8 BOM for Excel");
    let mut reader = csv::Reader::from_reader(bytes);
    assert_eq!(reader.headers().unwrap().get(0), Some("Project ID"));
    reader.records().map(|r| r.unwrap()).collect()
}

#[tokio::test]
async fn export_row_counts_match_the_gateway_for_several_filters() {
    let (app, b) = signed_in(TestOptions::default()).await;
    for (query, f) in [
        ("", filter(None, None, false)),
        ("?archived=1", filter(None, None, true)),
        ("?q=smith", filter(Some("smith"), None, false)),
        (
            "?phase=Treatment&archived=1",
            filter(None, Some("Treatment"), true),
        ),
        ("?q=zzzz-no-such", filter(Some("zzzz-no-such"), None, false)),
    ] {
        let rows = export_csv(&b, &app, query).await;
        assert_eq!(
            rows.len(),
            app.control().project_count(LOVELACE, &f),
            "{query}"
        );
        let ids: HashSet<_> = rows.iter().map(|r| r[0].to_owned()).collect();
        assert_eq!(ids.len(), rows.len(), "{query}: no duplicates");
    }
    let r = b.get(&app.url("/projects/export.json?phase=Intake")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let items: Vec<serde_json::Value> = r.json().await.unwrap();
    assert_eq!(
        items.len(),
        app.control()
            .project_count(LOVELACE, &filter(None, Some("Intake"), false))
    );
}

#[tokio::test]
async fn csv_round_trips_tricky_names_and_defuses_formulas() {
    let (app, b) = signed_in(TestOptions::default()).await;
    let rows = export_csv(&b, &app, "?archived=1").await;
    let safe = |s: &str| match s.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{s}"),
        _ => s.to_owned(),
    };
    for (_, name, client) in TRICKY_PROJECTS {
        let row = rows
            .iter()
            .find(|r| r[1] == safe(name))
            .unwrap_or_else(|| panic!("{name:?} round-trips"));
        assert_eq!(&row[2], safe(client));
    }
    for r in &rows {
        for cell in r.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "live formula {cell:?}"
            );
        }
    }
}

#[tokio::test]
async fn export_respects_the_concurrency_bound() {
    let (app, b) = signed_in(TestOptions {
        extra_env: vec![("FV_CONCURRENCY".into(), "3".into())],
        fake: FakeOptions {
            projects_per_org: 6000,
            ..FakeOptions::default()
        },
        ..TestOptions::default()
    })
    .await;
    app.control().set_gateway_latency(Duration::from_millis(30));
    app.control().reset_gateway_stats();
    // Two exports at once: the bound is per app, not per request.
    let (rows, other) = tokio::join!(
        export_csv(&b, &app, "?archived=1"),
        export_csv(&b, &app, "")
    );
    assert_eq!(rows.len(), 6000);
    assert!(!other.is_empty());
    let max = app.control().gateway_max_in_flight();
    assert!(max <= 3, "{max} calls in flight with FV_CONCURRENCY=3");
    assert!(
        max >= 2,
        "pages after the first are fetched in parallel ({max})"
    );
    // A dashboard view (page + summary scan) stays under the bound too.
    app.control().reset_gateway_stats();
    assert_eq!(
        page(&b, &app, "/projects?archived=1").await.0,
        StatusCode::OK
    );
    assert!(app.control().gateway_max_in_flight() <= 3);
}

#[tokio::test]
async fn a_failure_mid_export_fails_the_download() {
    let (app, b) = signed_in(TestOptions {
        extra_env: vec![("FV_CONCURRENCY".into(), "1".into())],
        fake: FakeOptions {
            projects_per_org: 5000,
            ..FakeOptions::default()
        },
        ..TestOptions::default()
    })
    .await;
    app.control()
        .set_gateway_latency(Duration::from_millis(150));
    let r = b.get(&app.url("/projects/export.json?archived=1")).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Headers are out; the next page is on its way. Make every further call fail.
    app.control().fail_next_gateway_calls(500, 1000, None);
    let body = r.bytes().await;
    assert!(
        body.is_err(),
        "the download must fail, not end as a tidy file"
    );
    app.control().fail_next_gateway_calls(500, 0, None);
}
