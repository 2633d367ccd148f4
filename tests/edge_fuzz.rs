//! A property pass over request lines and headers through the real server and router (raw
//! sockets, so nothing is cleaned up by a client library): whatever the method, path, query,
//! header names and values, cookies or body, the app never answers 5xx, never drops the
//! connection without an answer, and every answer the router gives carries the security
//! headers. (A request hyper cannot parse at all gets hyper's own bare 400 before any layer
//! runs; those are counted apart and must be 4xx.)

mod common;

use std::{sync::Arc, time::Duration};

use common::*;
use proptest::{prelude::*, test_runner::TestRunner};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// One generated request, as the bytes go on the wire.
#[derive(Debug, Clone)]
struct RawRequest {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}"
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("POST".to_owned()),
        Just("HEAD".to_owned()),
        Just("PUT".to_owned()),
        Just("DELETE".to_owned()),
        Just("OPTIONS".to_owned()),
        Just("PATCH".to_owned()),
        token(),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let known = prop::sample::select(vec![
        "/",
        "/auth/login",
        "/auth/callback",
        "/auth/logout",
        "/auth/logout/callback",
        "/profile",
        "/org",
        "/projects",
        "/projects/export.csv",
        "/projects/1",
        "/settings/integration",
        "/static/app.css",
        "/healthz",
        "/metrics",
    ]);
    // Visible URI characters, percent signs (valid or not), dot segments, slashes.
    let tail = "[A-Za-z0-9%._~!$&'()*+,;=:@/?-]{0,300}";
    (known, tail, any::<bool>()).prop_map(|(k, t, join)| {
        if join {
            format!("{k}{t}")
        } else {
            format!("/{t}")
        }
    })
}

fn header_value() -> impl Strategy<Value = String> {
    // Visible ASCII and spaces, no CR/LF (a raw newline would end the header, not fuzz it).
    "[ -~]{0,200}"
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        token(),
        prop::sample::select(vec![
            "cookie".to_owned(),
            "x-forwarded-for".to_owned(),
            "x-request-id".to_owned(),
            "content-type".to_owned(),
            "accept".to_owned(),
            "authorization".to_owned(),
            "transfer-encoding".to_owned(),
            "expect".to_owned(),
            "upgrade".to_owned(),
        ]),
    ];
    prop::collection::vec((name, header_value()), 0..8)
}

fn request() -> impl Strategy<Value = RawRequest> {
    (
        method(),
        path(),
        headers(),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(method, path, headers, body)| RawRequest {
            method,
            path,
            headers,
            body,
        })
}

/// What came back: the status and the header names, lowercased; `None` when the connection
/// closed without an answer.
async fn send(port: u16, req: &RawRequest) -> Option<(u16, Vec<(String, String)>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut wire = format!(
        "{} {} HTTP/1.1\r\nhost: localhost\r\n",
        req.method, req.path
    );
    for (n, v) in &req.headers {
        // Framing headers the generator chose would make the body length a guess; the body
        // length is always sent by us.
        if n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding") {
            continue;
        }
        wire.push_str(&format!("{n}: {v}\r\n"));
    }
    wire.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        req.body.len()
    ));
    let mut bytes = wire.into_bytes();
    bytes.extend_from_slice(&req.body);
    let _ = s.write_all(&bytes).await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "no answer within 30 s to {req:?}");
    let text = String::from_utf8_lossy(&out);
    // Skip interim answers (`Expect: 100-continue` gets a 100 first).
    for head in text.split("\r\n\r\n") {
        let mut lines = head.lines();
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        if (100..200).contains(&status) {
            continue;
        }
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        return Some((status, headers));
    }
    None
}

#[test]
fn hostile_request_lines_and_headers_never_get_a_5xx_or_a_missing_header() {
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    );
    // A high rate limit: this test is about answers, not 429s (which carry the headers too).
    let app = rt.block_on(spawn_app(TestOptions {
        extra_env: vec![("FV_RATE_LIMIT_PER_MINUTE".into(), "100000".into())],
        ..Default::default()
    }));
    let port = app.port;
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let parser_rejections = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&request(), |req| {
        let answer = rt.block_on(send(port, &req));
        let Some((status, headers)) = answer else {
            return Err(TestCaseError::fail(format!("no answer to {req:?}")));
        };
        prop_assert!(status < 500, "{status} for {req:?}");
        let has = |name: &str| headers.iter().any(|(n, _)| n == name);
        if !has("x-request-id") {
            // Refused by hyper's parser before the router: a bare 4xx.
            prop_assert!((400..500).contains(&status), "{status} for {req:?}");
            parser_rejections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        for name in [
            "content-security-policy",
            "x-frame-options",
            "x-content-type-options",
            "referrer-policy",
            "cache-control",
        ] {
            prop_assert!(has(name), "{status} without {name} for {req:?}");
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "300 hostile requests; {} refused by the HTTP parser",
        parser_rejections.into_inner()
    );
    drop(app);
}
