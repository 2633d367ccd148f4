//! Each refused webhook delivery leaves one WARN line naming the reason (a closed label), and
//! never the token. Every test of this file captures the logs first (one subscriber per
//! binary).

mod common;

#[path = "it/support/webhooks.rs"]
mod support;

use common::*;
use reqwest::StatusCode;
use support::*;

#[tokio::test]
async fn each_refusal_is_logged_at_warn_with_its_reason_and_without_the_token() {
    let logs = capture_logs("warn");
    let (app, _ada) = app_with_ada().await;
    let wrong_aud = app
        .fake
        .webhook_token(claims(&app, |c| c["aud"] = serde_json::json!("other")));
    let good = token(&app);
    for (authorization, body, status, reason) in [
        (None, phase_changed(LOVELACE, 1), 401, "no_token"),
        (
            Some(format!("Basic {good}")),
            phase_changed(LOVELACE, 1),
            401,
            "not_bearer",
        ),
        (
            Some(format!("Bearer {wrong_aud}")),
            phase_changed(LOVELACE, 1),
            401,
            "audience",
        ),
        (
            Some(format!("Bearer {good}")),
            "[1]".to_owned(),
            400,
            "not_object",
        ),
    ] {
        let (got, _) = post(&app, authorization.as_deref(), body).await;
        assert_eq!(got, StatusCode::from_u16(status).unwrap(), "{reason}");
        let text = logs.text();
        let line = text
            .lines()
            .find(|l| l.contains("webhook delivery refused") && l.contains(reason))
            .unwrap_or_else(|| panic!("no WARN line for {reason} in:\n{text}"));
        assert!(line.contains("WARN"), "{line}");
    }
    let text = logs.text();
    for secret in [&good, &wrong_aud] {
        let signature = secret.rsplit('.').next().unwrap();
        assert!(!text.contains(signature), "a token in the logs");
    }
}
