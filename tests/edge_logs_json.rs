//! The JSON log format (`FV_LOG_FORMAT=json`), black-box through the app's own formatter
//! ([`fv_partner_app::telemetry::json_layer`]): a callback's `error=` with a newline and a
//! forged line, a made-up method and a 20,000-character path come out as one JSON object per
//! line whose values are escaped (no control character survives decoding) and cut at 200
//! characters; none starts a line of its own. `edge_logs.rs` does the same for the pretty
//! format.

mod common;

use common::*;
use serde_json::Value;
use tracing_subscriber::prelude::*;

/// Every string in `v`, however nested (the event's fields, its span's, the span list).
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn json_lines_escape_and_cut_request_text() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    tracing_subscriber::registry()
        .with(fv_partner_app::telemetry::env_filter("info"))
        .with(fv_partner_app::telemetry::json_layer(move || {
            writer.clone()
        }))
        .try_init()
        .expect("the first subscriber of this binary");
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let forged = "2026-12-01T00:00:00.000000Z  INFO fv_partner_app: FORGED admin signed in";
    let mut url = app.url("/auth/callback");
    url.query_pairs_mut()
        .append_pair(
            "error",
            &format!("x\n{forged}\r\u{1b}[2J{}", "e".repeat(500)),
        )
        .append_pair("state", "x");
    assert!(b.get(&url).await.status().is_client_error());
    let method = reqwest::Method::from_bytes(b"FORGEDMETHOD").unwrap();
    b.http.request(method, app.url("/")).send().await.unwrap();
    let long = format!("/{}", "p".repeat(20_000));
    b.get(&app.url(&long)).await;

    let text = logs.text();
    let mut values = Vec::new();
    for line in text.lines() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
        strings(&event, &mut values);
    }
    let error = values
        .iter()
        .find(|v| v.contains("provider returned error=x"))
        .unwrap_or_else(|| panic!("the callback's error is logged: {text}"));
    assert!(error.contains("\\u{a}"), "the newline is escaped: {error}");
    let path = values
        .iter()
        .find(|v| v.starts_with("/ppp"))
        .unwrap_or_else(|| panic!("the long path is logged: {text}"));
    assert!(path.ends_with("...(+19801 bytes)"), "cut: {path}");
    for v in &values {
        assert!(
            !v.chars().any(char::is_control),
            "a control character: {v:?}"
        );
        assert!(!v.contains("FORGEDMETHOD"), "a raw method: {v}");
        assert!(v.chars().count() < 400, "a value of {} characters", v.len());
    }
}
