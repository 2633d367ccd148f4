//! Attacker-controlled text in the logs, black-box: a callback's `error=` with a newline, a
//! made-up method and a huge path are escaped and cut, and never start a line of their own.

mod common;

use common::*;

#[tokio::test]
async fn forged_log_lines_and_huge_fields_are_escaped_and_cut() {
    let logs = capture_logs("info");
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    // The provider's `error=` is the attacker's: a newline and a fake line after it.
    let forged = "2026-12-01T00:00:00.000000Z  INFO fv_partner_app: FORGED admin signed in";
    let mut url = app.url("/auth/callback");
    url.query_pairs_mut()
        .append_pair("error", &format!("x\n{forged}\r\u{1b}[2J"))
        .append_pair("state", "x");
    let r = b.get(&url).await;
    assert!(r.status().is_client_error(), "{}", r.status());
    // A made-up method, and a path of 20,000 characters.
    let method = reqwest::Method::from_bytes(b"FORGEDMETHOD").unwrap();
    b.http.request(method, app.url("/")).send().await.unwrap();
    let long = format!("/{}", "p".repeat(20_000));
    b.get(&app.url(&long)).await;

    let text = logs.text();
    assert!(text.contains("provider returned error=x"), "{text}");
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("2026-12-01T00:00:00"),
            "a forged line: {line}"
        );
        assert!(!line.contains('\u{1b}'), "an escape sequence: {line:?}");
        assert!(!line.contains("FORGEDMETHOD"), "a raw method: {line}");
        assert!(line.len() < 4_000, "a line of {} bytes", line.len());
    }
}
