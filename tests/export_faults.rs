//! The export against a gateway whose paging does not add up, and against a client that stops
//! reading: it ends with a clear error instead of looping, and it fetches no more than the
//! socket lets through (back-pressure), counted at the stand-in.

mod common;

use std::time::Duration;

use common::*;
use fake_filevine::{paging::PagingFault, FakeOptions, RecordedRequest};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn list_calls(requests: &[RecordedRequest]) -> usize {
    requests
        .iter()
        .filter(|r| r.path == "/fv-app/v2/Projects")
        .count()
}

async fn signed_in(opts: TestOptions) -> (TestApp, Browser) {
    // Every test of this file captures the logs (one subscriber per binary, before any app).
    capture_logs("info");
    let app = spawn_app(opts).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    (app, b)
}

#[tokio::test]
async fn short_pages_that_say_more_end_the_export_with_an_error() {
    let (app, b) = signed_in(TestOptions::default()).await;
    app.control()
        .set_paging_fault(Some(PagingFault::ShortPagesSayMore));
    app.control().reset_gateway_stats();
    let r = b.get(&app.url("/projects/export.csv?archived=1")).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let html = r.text().await.unwrap();
    assert!(html.contains("did not add up"), "{html}");
    let calls = list_calls(&app.control().gateway_requests());
    assert!(calls <= 8, "{calls} calls: one window at most, no loop");
}

#[tokio::test]
async fn a_page_repeating_the_previous_one_fails_the_download() {
    let (app, b) = signed_in(TestOptions::default()).await;
    app.control()
        .set_paging_fault(Some(PagingFault::RepeatFirstPage));
    app.control().reset_gateway_stats();
    let r = b.get(&app.url("/projects/export.json?archived=1")).await;
    // The first page is fine; the second one repeats it.
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.bytes().await.is_err(),
        "the download must fail, not loop or end as a tidy file"
    );
    let calls = list_calls(&app.control().gateway_requests());
    assert!(calls <= 9, "{calls} calls: one window at most, no loop");
}

/// Sends the export request on a raw socket with a tiny receive buffer, reads a little and
/// then stops reading, holding the connection open.
async fn stalled_download(app: &TestApp, b: &Browser, path: &str) -> tokio::net::TcpStream {
    use reqwest::cookie::CookieStore;
    let cookies = b.jar.cookies(&app.base).unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut s = socket
        .connect(format!("127.0.0.1:{}", app.port).parse().unwrap())
        .await
        .unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {}\r\nUser-Agent: stalled\r\n\r\n",
        cookies.to_str().unwrap()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = [0u8; 4096];
    let mut read = 0;
    while read < 16 * 1024 {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "the export ended early");
        read += n;
    }
    s
}

#[tokio::test]
async fn a_client_that_stops_reading_stops_the_page_walk() {
    let pages = 60;
    let (app, b) = signed_in(TestOptions {
        extra_env: vec![
            ("FV_CONCURRENCY".into(), "4".into()),
            // Also the longest a response write may stall before the client is dropped.
            ("FV_HEADER_READ_TIMEOUT_SECONDS".into(), "1".into()),
        ],
        fake: FakeOptions {
            projects_per_org: pages * 1000,
            ..FakeOptions::default()
        },
        ..TestOptions::default()
    })
    .await;
    // Warm the stand-in (it renders an org's items once per field list, slowly in a debug
    // build): otherwise its first answer is slow and the walk looks still before it is.
    drop(b.get(&app.url("/projects/export.json?archived=1")).await);
    app.control().reset_gateway_stats();
    let mut conn = stalled_download(&app, &b, "/projects/export.json?archived=1").await;
    // Wait until the walk stands still (the count stops changing), bounded.
    let mut last = usize::MAX;
    let mut still = 0;
    for _ in 0..300 {
        let now = list_calls(&app.control().gateway_requests());
        still = if now == last { still + 1 } else { 0 };
        last = now;
        // 3 s without a new call: longer than a page takes even in a loaded debug build, and
        // three times the write-stall limit, so a stalled socket has been noticed by then.
        if still >= 15 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(still >= 15, "the walk never stood still ({last} calls)");
    // What the socket buffers hold, plus one window: far from the whole export.
    assert!(
        last <= pages / 3,
        "{last} of {pages} pages fetched for a client that stopped reading"
    );
    // The stalled client was dropped: what is left to read ends without the closing chunk
    // (a complete chunked body ends with `0\r\n\r\n`), and nothing more is fetched.
    let mut rest = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), conn.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => rest.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the stalled client was never dropped"),
        }
    }
    assert!(
        !rest.ends_with(b"0\r\n\r\n"),
        "the export was completed, not dropped"
    );
    // And the log says so, with how far it got (the line is written when the body is dropped).
    let logs = capture_logs("info");
    let mut text = logs.text();
    for _ in 0..50 {
        if text.contains("export ended early") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        text = logs.text();
    }
    let early = text
        .lines()
        .find(|l| l.contains("export ended early"))
        .unwrap_or_else(|| panic!("no 'export ended early' line:\n{text}"));
    assert!(early.contains("rows_sent="), "{early}");
    assert_eq!(list_calls(&app.control().gateway_requests()), last);
}
