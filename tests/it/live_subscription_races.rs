//! Live updates' subscription calls under pressure (issue 25): a refusal that stays (a 403)
//! is retried after a minute, then after ever longer waits (not every minute forever), and
//! the card says when; two admins pressing `live_on` at once on two replicas make one
//! subscription at Filevine.

use crate::common;

use std::time::Duration;

use common::{connections::*, *};
use reqwest::StatusCode;

const ORG: i64 = 5001;

fn live_opts() -> TestOptions {
    let mut opts = admin_opts();
    opts.extra_env.extend([
        (
            "FV_PUBLIC_URL".into(),
            "https://live.partner.example".into(),
        ),
        ("FV_HEALTH_MINUTES".into(), "1440".into()),
        ("FV_SNAPSHOT_MINUTES".into(), "0".into()),
    ]);
    opts
}

async fn press(app: &TestApp, b: &Browser, csrf: &str) -> StatusCode {
    press_card(app, b, csrf, "reports", "live_on").await
}

async fn failures(app: &TestApp) -> i64 {
    app.state.db.live_subscriptions().await.unwrap()[0].failures
}

/// Gateway calls since the last call of this function.
fn calls(app: &TestApp) -> usize {
    let n = app.control().gateway_requests().len();
    app.control().reset_gateway_stats();
    n
}

#[tokio::test]
async fn a_refusal_that_stays_is_retried_less_and_less_often() {
    let (app, ada, csrf) = app_with_connection(live_opts()).await;
    // The health checks' first round first: its calls would take the planned refusals.
    app.advance_clock(Duration::from_secs(21));
    for _ in 0..400 {
        let done = app.state.db.health_checks("reports", 1).await.unwrap();
        if !done.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    app.control().fail_next_gateway_calls(403, 100_000, None);
    assert_eq!(press(&app, &ada, &csrf).await, StatusCode::SEE_OTHER);
    assert_eq!(failures(&app).await, 1);
    let page = connections_page(&app, &ada).await;
    assert!(page.contains("<dt>Next try</dt>"), "{page}");
    calls(&app);

    // A minute on: retried (by the job, or here: one of them holds the row at a time).
    app.advance_clock(Duration::from_secs(61));
    while failures(&app).await < 2 {
        app.state.connections.reconcile_live(false).await.unwrap();
    }
    assert!(calls(&app) > 0);
    // Another minute on: not yet, the wait doubled.
    app.advance_clock(Duration::from_secs(61));
    app.state.connections.reconcile_live(false).await.unwrap();
    assert_eq!(calls(&app), 0, "retried a minute after the second refusal");
    assert_eq!(failures(&app).await, 2);
    // Two minutes after the second refusal: retried.
    app.advance_clock(Duration::from_secs(60));
    while failures(&app).await < 3 {
        app.state.connections.reconcile_live(false).await.unwrap();
    }
    assert!(calls(&app) > 0);
    let page = connections_page(&app, &ada).await;
    assert!(page.contains("Subscription problem"), "{page}");
    assert!(page.contains("<dt>Next try</dt>"), "{page}");

    // Filevine takes it again: the next try works and the card is clear.
    app.control().fail_next_gateway_calls(403, 0, None);
    assert_eq!(press(&app, &ada, &csrf).await, StatusCode::SEE_OTHER);
    let page = connections_page(&app, &ada).await;
    assert!(!page.contains("<dt>Next try</dt>"), "{page}");
    assert_eq!(failures(&app).await, 0);
    assert_eq!(app.control().webhook_subscriptions(ORG).len(), 1);
}

#[tokio::test]
async fn two_admins_on_two_replicas_pressing_at_once_make_one_subscription() {
    let mut opts = live_opts();
    opts.database_url = Some(postgres_url());
    // The database is shared with other tests and earlier runs: rows this test left behind
    // would be reconciled into this stand-in's subscriptions too.
    let db = fv_partner_app::store::Db::connect(&postgres_url())
        .await
        .unwrap();
    let leftovers = db.live_subscriptions().await.unwrap();
    for row in leftovers
        .iter()
        .filter(|r| r.connection.starts_with("race-"))
    {
        db.live_subscription_delete(&row.connection_id)
            .await
            .unwrap();
    }
    let apps = spawn_replicas(2, opts).await;
    // A name of this test's own.
    let name = format!("race-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    save_pat_connection(&apps[0], &name, "8", "").await;
    // The other replica knows the connection.
    for _ in 0..400 {
        if apps[1]
            .state
            .connections
            .get(&name)
            .await
            .unwrap()
            .is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (one, csrf_one) = admin(&apps[0]).await;
    let (two, csrf_two) = admin(&apps[1]).await;
    // Slow calls: both presses are under way at once.
    apps[0]
        .control()
        .set_gateway_latency(Duration::from_millis(300));
    let (a, b) = tokio::join!(
        press_card(&apps[0], &one, &csrf_one, &name, "live_on"),
        press_card(&apps[1], &two, &csrf_two, &name, "live_on")
    );
    assert_eq!((a, b), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    apps[0].control().set_gateway_latency(Duration::ZERO);
    assert_eq!(apps[0].control().webhook_subscriptions(ORG).len(), 1);
    // Pressing again changes nothing at Filevine, and the card shows it on.
    assert_eq!(
        press_card(&apps[1], &two, &csrf_two, &name, "live_on").await,
        StatusCode::SEE_OTHER
    );
    let page = connections_page(&apps[1], &two).await;
    let card = &page[page.find(&format!("id=\"live-{name}\"")).unwrap()..];
    assert!(card[..400].contains("<code>on</code>"), "{card}");
    assert_eq!(apps[0].control().webhook_subscriptions(ORG).len(), 1);
    let mine = db.live_subscriptions().await.unwrap();
    for row in mine.iter().filter(|r| r.connection == name) {
        db.live_subscription_delete(&row.connection_id)
            .await
            .unwrap();
    }
}
