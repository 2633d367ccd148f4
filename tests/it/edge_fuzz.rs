//! A property pass over request lines and headers through the real server and router (raw
//! sockets, so nothing is cleaned up by a client library): whatever the method, path, query,
//! header names and values, cookies or body, the app never answers 5xx, never drops the
//! connection without an answer, and every answer carries the security headers. The paths
//! come from the router's own list, so a new route is fuzzed the day it is added: first a sweep
//! of every one (GET, HEAD, a POST form; anonymous and with a signed-in admin's session
//! cookie and CSRF token), then generated requests, half of them with that cookie. The one answer allowed without the headers is
//! hyper's own bare 4xx for a request it cannot parse at all, before any layer runs: a status
//! of that kind with no header but the framing ones.

use crate::common;

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

/// Every route the router serves (`{id}` filled in), with the configured callback and landing.
fn known_paths() -> Vec<String> {
    let mut known: Vec<String> = fv_partner_app::web::served_paths()
        .into_iter()
        .map(|p| p.replace("{id}", "1"))
        .collect();
    known.extend(["/auth/callback".into(), "/auth/logout/callback".into()]);
    known
}

/// A known path, alone or with a generated tail, or a path of generated characters alone.
fn path() -> impl Strategy<Value = String> {
    let known = known_paths();
    // Visible URI characters, percent signs (valid or not), dot segments, slashes.
    let tail = "[A-Za-z0-9%._~!$&'()*+,;=:@/?-]{0,300}";
    (prop::sample::select(known), tail, 0..3u8).prop_map(|(k, t, how)| match how {
        0 => k,
        1 => format!("{k}{t}"),
        _ => format!("/{t}"),
    })
}

fn header_value() -> impl Strategy<Value = String> {
    // Visible ASCII and spaces, no CR/LF (a raw newline would end the header, not fuzz it).
    "[ -~]{0,200}"
}

/// A signed-in admin's session: its cookie and the CSRF token of its forms.
#[derive(Debug, Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

fn headers(session: &Session) -> impl Strategy<Value = Vec<(String, String)>> {
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
    let cookie = session.cookie.clone();
    let signed_in = prop_oneof![
        Just(format!("fv_session={cookie}")),
        header_value().prop_map(move |v| format!("fv_session={cookie}; {v}")),
    ];
    (
        prop::collection::vec((name, header_value()), 0..8),
        prop::option::of(signed_in),
        any::<bool>(),
    )
        .prop_map(|(mut headers, cookie, form)| {
            if let Some(c) = cookie {
                headers.push(("cookie".into(), c));
            }
            if form {
                headers.push((
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
            }
            headers
        })
}

/// Random bytes, or a form with the session's CSRF token and generated fields (the names the
/// app's forms use among them), so CSRF-protected handlers run past their check.
fn body(session: &Session) -> impl Strategy<Value = Vec<u8>> {
    let field = prop::sample::select(vec![
        "action",
        "name",
        "environment",
        "auth",
        "pat",
        "email",
        "concurrency",
        "borrow_from",
        "mode",
        "org",
        "org_id",
        "session",
        "logout_token",
        "q",
        "x",
    ]);
    let csrf = session.csrf.clone();
    let form = prop::collection::vec((field, "[ -~]{0,40}"), 0..5).prop_map(move |pairs| {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        out.append_pair("csrf", &csrf);
        for (n, v) in pairs {
            out.append_pair(n, &v);
        }
        out.finish().into_bytes()
    });
    prop_oneof![prop::collection::vec(any::<u8>(), 0..300), form]
}

fn request(session: &Session) -> impl Strategy<Value = RawRequest> {
    (method(), path(), headers(session), body(session)).prop_map(|(method, path, headers, body)| {
        RawRequest {
            method,
            path,
            headers,
            body,
        }
    })
}

/// The final (non-1xx) response head in `bytes`, once complete: status and headers.
fn final_head(bytes: &[u8]) -> Option<(u16, Vec<(String, String)>)> {
    let text = String::from_utf8_lossy(bytes);
    let mut rest = text.as_ref();
    while let Some(end) = rest.find("\r\n\r\n") {
        let (head, after) = (&rest[..end], &rest[end + 4..]);
        let mut lines = head.lines();
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        // Skip interim answers (`Expect: 100-continue` gets a 100 first).
        if (100..200).contains(&status) {
            rest = after;
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

/// What came back: the status and the headers (names lowercased); `None` when the connection
/// closed without an answer. Only the head is read: a live-updates stream never ends.
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
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(head) = final_head(&out) {
                return Some(head);
            }
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    read.unwrap_or_else(|_| panic!("no answer within 30 s to {req:?}"))
}

/// hyper's own answer to a request it cannot parse: an error status and framing headers only.
fn is_parser_rejection(status: u16, headers: &[(String, String)]) -> bool {
    matches!(status, 400 | 414 | 431 | 501 | 505)
        && headers
            .iter()
            .all(|(n, _)| matches!(n.as_str(), "content-length" | "date" | "connection"))
}

/// Whether `answer` is acceptable for `req`: `Ok(true)` for hyper's own parser rejection,
/// `Ok(false)` for an answer of the app with every security header.
fn judge(answer: Option<(u16, Vec<(String, String)>)>, req: &RawRequest) -> Result<bool, String> {
    let Some((status, headers)) = answer else {
        return Err(format!("no answer to {req:?}"));
    };
    if status >= 500 {
        return Err(format!("{status} for {req:?}"));
    }
    if is_parser_rejection(status, &headers) {
        return Ok(true);
    }
    for name in [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
        "cache-control",
    ] {
        if !headers.iter().any(|(n, _)| n == name) {
            return Err(format!("{status} without {name} for {req:?}"));
        }
    }
    Ok(false)
}

/// Every known path with GET, HEAD and a POST form (its CSRF token but at the logout, which
/// would end the session), anonymous and signed in: the routes a random pass may miss.
/// Returns the status of the signed-in `GET /profile`.
fn sweep(rt: &tokio::runtime::Runtime, port: u16, session: &Session) -> u16 {
    let mut profile = 0;
    for path in known_paths() {
        for method in ["GET", "HEAD", "POST"] {
            for signed_in in [false, true] {
                let mut headers = Vec::new();
                if signed_in {
                    headers.push(("cookie".into(), format!("fv_session={}", session.cookie)));
                }
                let mut body = Vec::new();
                if method == "POST" {
                    headers.push((
                        "content-type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ));
                    if path != "/auth/logout" {
                        body = format!("csrf={}", session.csrf).into_bytes();
                    }
                }
                let req = RawRequest {
                    method: method.into(),
                    path: path.clone(),
                    headers,
                    body,
                };
                let answer = rt.block_on(send(port, &req));
                if signed_in && method == "GET" && path == "/profile" {
                    profile = answer.as_ref().map_or(0, |(status, _)| *status);
                }
                match judge(answer, &req) {
                    Ok(false) => {}
                    // Every request of the sweep is well-formed: a bare answer is not hyper's.
                    Ok(true) => panic!("a bare answer without the headers to {req:?}"),
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }
    profile
}

const CASES: u32 = 300;

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
        extra_env: vec![
            ("FV_RATE_LIMIT_PER_MINUTE".into(), "100000".into()),
            ("FV_ADMIN_EMAILS".into(), "ada@lovelace-law.example".into()),
        ],
        ..Default::default()
    }));
    let session = rt.block_on(async {
        let b = app.browser();
        b.login(&app, "fv-user-1001", None).await;
        let page = b.get(&app.url("/account/sessions")).await;
        Session {
            cookie: b.session_cookie(&app).expect("signed in"),
            csrf: csrf_of(&page.text().await.unwrap()),
        }
    });
    let port = app.port;
    assert_eq!(sweep(&rt, port, &session), 200, "the sweep was signed in");
    let mut runner = TestRunner::new(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let parser_rejections = std::sync::atomic::AtomicU32::new(0);
    let result = runner.run(&request(&session), |req| {
        match judge(rt.block_on(send(port, &req)), &req) {
            Ok(true) => {
                parser_rejections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let rejected = parser_rejections.into_inner();
    eprintln!("{CASES} hostile requests; {rejected} refused by the HTTP parser");
    // The generator writes parseable requests almost always: a pass that reached the router
    // rarely would prove little.
    assert!(rejected < CASES / 10, "{rejected} parser rejections");
    drop(app);
}
