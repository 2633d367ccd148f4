//! What the logs say about a request and an export, black-box: the request line names the
//! method once, and an export that completes logs "export finished" with the rows and bytes
//! the client received and how long it took (the one that stops early is in
//! `export_faults.rs`).

mod common;

use common::*;

#[tokio::test]
async fn a_finished_export_logs_its_rows_bytes_and_time_and_request_lines_name_the_method_once() {
    let logs = capture_logs("info");
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;

    let r = b.get(&app.url("/projects/export.csv?archived=1")).await;
    assert!(r.status().is_success(), "{}", r.status());
    let body = r.bytes().await.unwrap();
    // Counted as CSV: a quoted cell may hold a line break.
    let rows = csv::Reader::from_reader(&body[..]).records().count();
    assert!(rows > 100, "{rows} rows");

    let text = logs.text();
    let finished = text
        .lines()
        .find(|l| l.contains("export finished"))
        .unwrap_or_else(|| panic!("no 'export finished' line:\n{text}"));
    assert!(finished.contains(&format!("rows={rows} ")), "{finished}");
    assert!(
        finished.contains(&format!("bytes={} ", body.len())),
        "{finished}"
    );
    assert!(finished.contains("elapsed_ms="), "{finished}");

    let request_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("route=\"/projects/export.csv\""))
        .collect();
    assert!(!request_lines.is_empty(), "no request line:\n{text}");
    for line in request_lines {
        assert_eq!(line.matches("method=").count(), 1, "{line}");
        assert!(line.contains("method=GET"), "{line}");
    }
}
