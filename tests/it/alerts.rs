//! Alerts of broken connections, against a real SMTP server (aiosmtpd) and a webhook sink: a
//! PAT revoked at the stand-in turns its connection broken within one interval and sends
//! exactly one email and one webhook naming it and what to do (never the PAT), a reminder a
//! day later (the clock moved), one "recovered" message after a new PAT is saved, and the
//! paused snapshot job resumes; a 5xx storm is degraded and alerts nobody; an SMTP server that
//! is down is retried while the checks go on; the test alert button.

use crate::common;

use std::time::Duration;

use common::{alert_sinks::*, connections::*, *};
use fake_filevine::{FakeOptions, FakePat, DEMO_PAT};
use secrecy::SecretString;

const NEW_PAT: &str = "fvpat_second_reporting_bot_fedcba9876543210";

fn opts(env: Vec<(String, String)>) -> TestOptions {
    TestOptions {
        extra_env: env,
        fake: FakeOptions {
            pats: vec![
                FakePat::demo(),
                FakePat {
                    token: NEW_PAT.into(),
                    user_email: BOT_EMAIL.into(),
                },
            ],
            ..FakeOptions::default()
        },
        ..Default::default()
    }
}

async fn health_of(app: &TestApp, name: &str) -> String {
    let row = app.state.db.health_get(name).await.unwrap();
    row.filter(|r| r.checked_at > 0)
        .map_or("untested".into(), |r| r.health)
}

async fn wait_health(app: &TestApp, name: &str, want: &str) {
    for _ in 0..400 {
        if health_of(app, name).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} never became {want}");
}

fn subjects(mails: &[String]) -> Vec<String> {
    mails
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Subject: ")))
        .map(|l| l.to_owned())
        .collect()
}

#[tokio::test]
async fn a_revoked_pat_alerts_once_reminds_daily_and_recovery_resumes_the_snapshots() {
    let smtp = SmtpServer::start(free_port()).await;
    let hook = WebhookSink::start().await;
    let app = spawn_app(opts(alert_env(&smtp.url(), &hook))).await;
    save_pat_connection(&app, "reports", "4", "").await;

    // The first scheduled round: ok, and nobody is told.
    app.advance_clock(Duration::from_secs(21));
    wait_health(&app, "reports", "ok").await;

    // Revoked at Filevine: broken within one interval (FV_HEALTH_MINUTES=1).
    app.control().revoke_pat(DEMO_PAT);
    app.advance_clock(Duration::from_secs(61));
    wait_health(&app, "reports", "broken").await;
    until("one email and one webhook", || {
        smtp.messages().len() == 1 && hook.texts().len() == 1
    })
    .await;
    let mail = &smtp.messages()[0];
    let text = &hook.texts()[0];
    for m in [mail, text] {
        assert!(m.contains("Connection reports is broken"), "{m}");
        assert!(m.contains("The PAT was refused by Filevine"), "{m}");
        assert!(m.contains(BOT_EMAIL), "names whom to make a PAT for: {m}");
        assert!(m.contains("/settings/connections"), "{m}");
        assert!(
            !m.contains(DEMO_PAT) && !m.contains(NEW_PAT),
            "a PAT in {m}"
        );
    }
    assert!(mail.contains("To: ada@lovelace-law.example"), "{mail}");

    // The snapshot job pauses with the reason; more failed checks send nothing more.
    assert!(fv_partner_app::reporting::run_snapshot_once(&app.state)
        .await
        .is_err());
    let c = app.state.connections.get("reports").await.unwrap().unwrap();
    assert!(c.needs_authorization());
    // The reason is the check's, or the snapshot's own refusal when that ran last.
    let reason = c.last_error.unwrap();
    assert!(
        reason.contains("The PAT was refused")
            || reason.contains("refused the personal access token"),
        "{reason}"
    );
    app.state.health.check_now(None).await.unwrap();
    app.state.health.check_now(Some("reports")).await.unwrap();
    app.state.health.alerts().deliver_due().await.unwrap();
    assert_eq!(smtp.messages().len(), 1, "one message per change");
    assert_eq!(hook.texts().len(), 1);

    // A day later, still broken: one reminder.
    app.advance_clock(Duration::from_secs(24 * 3600));
    until("the reminder", || {
        smtp.messages().len() == 2 && hook.texts().len() == 2
    })
    .await;
    assert!(subjects(&smtp.messages())
        .iter()
        .any(|s| s.contains("Reminder: connection reports is still broken")));

    // A new PAT is saved: one "recovered" message, and the scheduled snapshot runs again.
    let recovered_at = app.state.clock.now_unix();
    app.state
        .connections
        .put_pat("reports", SecretString::from(NEW_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    app.advance_clock(Duration::from_secs(61));
    wait_health(&app, "reports", "ok").await;
    until("the recovery message", || {
        smtp.messages().len() == 3 && hook.texts().len() == 3
    })
    .await;
    assert!(hook.texts()[2].contains("Connection reports recovered"));
    app.advance_clock(Duration::from_secs(15 * 60));
    for _ in 0..400 {
        let latest = app.state.db.snapshot_latest_of("reports").await.unwrap();
        if latest.is_some_and(|t| t >= recovered_at) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let latest = app.state.db.snapshot_latest_of("reports").await.unwrap();
    assert!(
        latest.is_some_and(|t| t >= recovered_at),
        "the snapshot job resumed by itself"
    );
    app.state.health.alerts().deliver_due().await.unwrap();
    assert_eq!(smtp.messages().len(), 3);
    assert_eq!(hook.texts().len(), 3);
}

#[tokio::test]
async fn a_5xx_storm_is_degraded_and_alerts_nobody() {
    let smtp = SmtpServer::start(free_port()).await;
    let hook = WebhookSink::start().await;
    let app = spawn_app(opts(alert_env(&smtp.url(), &hook))).await;
    save_pat_connection(&app, "reports", "4", "").await;
    let checked = app.state.health.check_now(None).await.unwrap();
    assert_eq!(checked[0].verdict.health.as_str(), "ok");

    app.control().fail_next_gateway_calls(503, 10_000, None);
    let checked = app.state.health.check_now(None).await.unwrap();
    let v = &checked[0].verdict;
    assert_eq!(v.health.as_str(), "degraded", "{}", v.reason);
    assert!(
        v.reason.contains("nothing to do unless it lasts"),
        "{}",
        v.reason
    );
    app.state.health.alerts().deliver_due().await.unwrap();
    assert!(app.state.db.outbox_recent(10).await.unwrap().is_empty());
    assert!(smtp.messages().is_empty() && hook.texts().is_empty());
    // Jobs are not paused by a passing outage.
    let c = app.state.connections.get("reports").await.unwrap().unwrap();
    assert!(!c.needs_authorization());

    app.control().fail_next_gateway_calls(503, 0, None);
    let checked = app.state.health.check_now(None).await.unwrap();
    assert_eq!(checked[0].verdict.health.as_str(), "ok");
    app.state.health.alerts().deliver_due().await.unwrap();
    assert!(smtp.messages().is_empty() && hook.texts().is_empty());
}

#[tokio::test]
async fn an_smtp_server_that_is_down_is_retried_while_the_checks_go_on() {
    let port = free_port();
    let hook = WebhookSink::start().await;
    hook.fail(true);
    let app = spawn_app(opts(alert_env(&format!("smtp://127.0.0.1:{port}"), &hook))).await;
    save_pat_connection(&app, "reports", "4", "").await;
    app.control().revoke_pat(DEMO_PAT);
    let checked = app.state.health.check_now(None).await.unwrap();
    assert_eq!(checked[0].verdict.health.as_str(), "broken");
    // Both channels fail (the worker tries at once), are recorded and wait for their retry.
    let mut rows = Vec::new();
    for _ in 0..400 {
        rows = app.state.db.outbox_recent(10).await.unwrap();
        if rows.len() == 2 && rows.iter().all(|r| r.attempts >= 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert!(r.sent_at.is_none() && r.attempts >= 1, "{r:?}");
        let e = r.last_error.as_deref().unwrap_or_default();
        assert!(!e.contains("secret-path"), "the webhook's path in {e}");
    }
    let again = app.state.health.check_now(None).await.unwrap();
    assert_eq!(again[0].verdict.health.as_str(), "broken");

    // The server comes up and the webhook recovers: the next retry delivers each once.
    let smtp = SmtpServer::start(port).await;
    hook.fail(false);
    app.advance_clock(Duration::from_secs(31));
    until("the retried alerts", || {
        smtp.messages().len() == 1 && hook.texts().len() == 1
    })
    .await;
    app.advance_clock(Duration::from_secs(120));
    app.state.health.alerts().deliver_due().await.unwrap();
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(hook.texts().len(), 1);
}

#[tokio::test]
async fn an_smtp_server_refusing_the_message_is_retried_until_one_takes_it() {
    let port = free_port();
    let refusing = SmtpServer::start_refusing(port).await;
    let hook = WebhookSink::start().await;
    let app = spawn_app(opts(alert_env(&refusing.url(), &hook))).await;
    save_pat_connection(&app, "reports", "4", "").await;
    app.control().revoke_pat(DEMO_PAT);
    app.state.health.check_now(None).await.unwrap();
    until("the webhook", || hook.texts().len() == 1).await;
    let mut email = None;
    for _ in 0..400 {
        let rows = app.state.db.outbox_recent(10).await.unwrap();
        email = rows
            .into_iter()
            .find(|r| r.channel == "email" && r.attempts >= 1);
        if email.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let email = email.expect("the email was tried");
    assert!(email.sent_at.is_none());
    assert!(
        email.last_error.unwrap().contains("550"),
        "the server's refusal is kept"
    );
    assert_eq!(
        app.state.health.check_now(None).await.unwrap()[0]
            .verdict
            .health
            .as_str(),
        "broken",
        "checks go on"
    );

    drop(refusing);
    let smtp = SmtpServer::start(port).await;
    app.advance_clock(Duration::from_secs(31));
    until("the retried email", || smtp.messages().len() == 1).await;
    assert_eq!(hook.texts().len(), 1, "the webhook was not sent again");
}

#[tokio::test]
async fn an_admin_sends_a_test_alert_from_the_page_with_csrf() {
    let hook = WebhookSink::start().await;
    let mut env = admin_opts().extra_env;
    env.push(("FV_ALERT_WEBHOOK_URL".into(), hook.url.clone()));
    let app = spawn_app(opts(env)).await;
    let (ada, csrf) = admin(&app).await;
    let page = connections_page(&app, &ada).await;
    assert!(
        page.contains("Send a test alert") && page.contains("by webhook"),
        "{page}"
    );
    assert!(!page.contains("secret-path"), "the webhook URL is a secret");

    let url = app.url("/settings/connections/test-alert");
    let refused = ada.post_form(&url, &[("csrf", "wrong")]).await;
    assert!(!refused.status().is_success() && !refused.status().is_redirection());
    let sent = ada.post_form(&url, &[("csrf", csrf.as_str())]).await;
    assert!(sent.status().is_redirection(), "{}", sent.status());
    until("the test alert", || hook.texts().len() == 1).await;
    assert!(hook.texts()[0].contains("This is a test alert"));
    assert!(hook.texts()[0].contains("ada@lovelace-law.example"));
    let page = connections_page(&app, &ada).await;
    assert!(page.contains("Test alert sent"), "{page}");
}
