//! The scheduled health checks seen from outside: the first round after start, the card on
//! `/settings/connections` (status, since when, the reason with what to do, the last checks),
//! the metrics, the last 50 checks kept, and a broken connection's jobs pausing and resuming.

use crate::common;

use std::time::Duration;

use common::{connections::*, *};
use fake_filevine::DEMO_PAT;

fn every_minute() -> TestOptions {
    let mut opts = admin_opts();
    opts.extra_env
        .push(("FV_HEALTH_MINUTES".into(), "1".into()));
    opts
}

async fn checks_of(app: &TestApp, name: &str) -> usize {
    app.state.db.health_checks(name, 100).await.unwrap().len()
}

async fn wait_checks(app: &TestApp, name: &str, n: usize) {
    for _ in 0..400 {
        if checks_of(app, name).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} was not checked {n} times");
}

#[tokio::test]
async fn the_schedule_checks_every_interval_and_the_card_and_metrics_show_it() {
    let app = spawn_app(every_minute()).await;
    save_pat_connection(&app, "reports", "4", "").await;
    assert_eq!(checks_of(&app, "reports").await, 0);

    app.advance_clock(Duration::from_secs(21));
    wait_checks(&app, "reports", 1).await;
    app.advance_clock(Duration::from_secs(60));
    wait_checks(&app, "reports", 2).await;
    assert_eq!(
        checks_of(&app, "reports").await,
        2,
        "one check per interval"
    );

    let metrics = app
        .browser()
        .get(&app.url("/metrics"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"fv_connection_up{connection="reports",environment="us"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"fv_connection_checks_total{connection="reports",outcome="ok"}"#),
        "{metrics}"
    );

    app.control().revoke_pat(DEMO_PAT);
    app.advance_clock(Duration::from_secs(60));
    wait_checks(&app, "reports", 3).await;
    let (ada, _) = admin(&app).await;
    let page = connections_page(&app, &ada).await;
    let card = &page[page.find("id=\"health-reports\"").expect("the health part")..];
    assert!(card.contains("health-broken"), "{card}");
    assert!(card.contains("since"), "{card}");
    assert!(card.contains("The PAT was refused by Filevine"), "{card}");
    assert!(card.contains("Create a new PAT for reporting-bot@lovelace-law.example"));
    assert!(card.contains("Last 3 checks"), "{card}");
    assert!(!page.contains(DEMO_PAT), "the PAT on the page");
    let metrics = app
        .browser()
        .get(&app.url("/metrics"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"fv_connection_up{connection="reports",environment="us"} 0"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn only_the_last_50_checks_are_kept_and_since_stays_while_the_health_does() {
    let app = spawn_app(TestOptions::default()).await;
    save_pat_connection(&app, "kept", "4", "").await;
    let health = &app.state.health;
    health.check_now(None).await.unwrap();
    let first = app.state.db.health_get("kept").await.unwrap().unwrap();
    for _ in 0..54 {
        app.advance_clock(Duration::from_secs(1));
        health.check_now(Some("kept")).await.unwrap();
    }
    assert_eq!(checks_of(&app, "kept").await, 50);
    let now = app.state.db.health_get("kept").await.unwrap().unwrap();
    assert_eq!(now.since, first.since, "still ok since the first check");
    assert!(now.checked_at > first.checked_at);
}

#[tokio::test]
async fn a_refresh_token_connection_waiting_for_its_first_authorization_is_not_checked() {
    let app = spawn_app(admin_opts()).await;
    let (_ada, _provider) = save_and_authorize(&app, "ben-rt").await;
    assert!(app
        .state
        .db
        .connection_get("ben-rt")
        .await
        .unwrap()
        .is_some());
    let checked = app.state.health.check_now(None).await.unwrap();
    assert!(checked.is_empty(), "{checked:?}");
    assert!(app.state.db.health_get("ben-rt").await.unwrap().is_none());
}

/// A 401 that clears at the next try (a token rotated by another caller in between) leaves the
/// connection ok; one that every try of the check meets makes it broken.
#[tokio::test]
async fn a_refused_token_is_broken_only_when_every_try_meets_it() {
    let app = spawn_app(admin_opts()).await;
    save_pat_connection(&app, "reports", "4", "").await;
    let health = |checked: Vec<fv_partner_app::connections::health::Checked>| {
        checked[0].verdict.health.as_str()
    };
    // The first try's call and its retry with a fresh token: both 401.
    app.control().fail_next_gateway_calls(401, 2, None);
    let checked = app.state.health.check_now(Some("reports")).await.unwrap();
    assert_eq!(health(checked), "ok", "a passing 401 is not broken");

    app.control().fail_next_gateway_calls(401, 1000, None);
    let checked = app.state.health.check_now(Some("reports")).await.unwrap();
    assert_eq!(health(checked.clone()), "broken");
    assert!(checked[0].verdict.reason.contains("(401)"), "{checked:?}");
    app.control().fail_next_gateway_calls(401, 0, None);
}
