//! Live updates through a connection (issue 25): the card's `live_on` / `live_off` subscribe
//! and unsubscribe at Filevine (the stand-in), removing the connection unsubscribes, the
//! reconcile job re-creates a subscription Filevine lost and moves one whose endpoint
//! differs, failed calls (401, 429, 5xx) show on the card and are retried, and the refusals:
//! no `FV_PUBLIC_URL`, a token without the webhooks scope, non-admins, a bad CSRF token.

use crate::common;

use std::time::Duration;

use common::{connections::*, *};
use fake_filevine::DEMO_PAT;
use reqwest::StatusCode;

const PUBLIC: &str = "https://live.partner.example";
const ENDPOINT: &str = "https://live.partner.example/webhooks/filevine";
const ORG: i64 = 5001;

fn live_opts() -> TestOptions {
    let mut opts = admin_opts();
    opts.extra_env.push(("FV_PUBLIC_URL".into(), PUBLIC.into()));
    opts
}

/// Presses a live-updates button; returns the page it leads to.
async fn press(app: &TestApp, b: &Browser, csrf: &str, action: &str) -> String {
    let status = press_card(app, b, csrf, "reports", action).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{action}");
    connections_page(app, b).await
}

/// Waits (bounded) until `done` holds of the stand-in's subscriptions of [`ORG`].
async fn wait_for(app: &TestApp, done: impl Fn(&[fake_filevine::webhooks::Subscription]) -> bool) {
    for _ in 0..500 {
        if done(&app.control().webhook_subscriptions(ORG)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("gave up: {:#?}", app.control().webhook_subscriptions(ORG));
}

/// Waits (bounded) until the app has stored its subscription with no failure on record.
async fn wait_until_stored(app: &TestApp) {
    for _ in 0..500 {
        let rows = app.state.db.live_subscriptions().await.unwrap();
        if rows
            .iter()
            .any(|r| r.subscription_id.is_some() && r.last_error.is_none())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("gave up: {:#?}", app.state.db.live_subscriptions().await);
}

/// The catalogue ids of the events the app must subscribe to.
fn expected_ids() -> Vec<&'static str> {
    let pairs = [
        ("Project", "Created"),
        ("Project", "Updated"),
        ("Project", "PhaseChanged"),
        ("Project", "Archived"),
        ("Project", "Deleted"),
        ("Project_Member", "Added"),
        ("Project_Member", "Removed"),
    ];
    pairs
        .iter()
        .map(|(o, e)| fake_filevine::webhooks::event_id(o, e).unwrap())
        .collect()
}

#[tokio::test]
async fn live_on_subscribes_the_project_events_and_live_off_deletes_them() {
    let (app, ada, csrf) = app_with_connection(live_opts()).await;
    let page = press(&app, &ada, &csrf, "live_on").await;
    assert!(page.contains("Live updates are on for"), "{page}");
    assert!(page.contains("value=\"live_off\""));
    let subs = app.control().webhook_subscriptions(ORG);
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].endpoint, ENDPOINT);
    let mut ids = subs[0].event_ids.clone();
    ids.sort();
    let mut expected = expected_ids();
    expected.sort();
    assert_eq!(ids, expected);
    assert!(page.contains(ENDPOINT));
    // The card keeps what the receiver records.
    let at = app.clock.now_unix();
    let env = app.state.connections.environments()[0].clone();
    assert_eq!(
        app.state
            .db
            .live_delivery_accepted(&env, ORG, at)
            .await
            .unwrap(),
        1
    );
    app.state.db.live_delivery_refused(&env).await.unwrap();
    let page = connections_page(&app, &ada).await;
    assert!(
        page.contains("<dt>Refused deliveries</dt><dd>1</dd>"),
        "{page}"
    );
    assert!(!page.contains("none yet"));

    let page = press(&app, &ada, &csrf, "live_off").await;
    assert!(page.contains("Live updates are off for"), "{page}");
    assert!(app.control().webhook_subscriptions(ORG).is_empty());
    assert!(app.state.db.live_subscriptions().await.unwrap().is_empty());
    assert!(page.contains("value=\"live_on\""));
}

#[tokio::test]
async fn removing_the_connection_deletes_its_subscription() {
    let (app, ada, csrf) = app_with_connection(live_opts()).await;
    press(&app, &ada, &csrf, "live_on").await;
    assert_eq!(app.control().webhook_subscriptions(ORG).len(), 1);
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "reports"),
        ("action", "remove"),
        ("confirm", "yes"),
    ];
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.control().webhook_subscriptions(ORG).is_empty());
    assert!(app.state.db.live_subscriptions().await.unwrap().is_empty());
}

#[tokio::test]
async fn reconcile_recreates_a_lost_subscription_and_moves_a_changed_endpoint() {
    let (app, ada, csrf) = app_with_connection(live_opts()).await;
    press(&app, &ada, &csrf, "live_on").await;
    let first = app.control().webhook_subscriptions(ORG)[0].id.clone();
    assert!(app.control().delete_webhook_subscription(ORG, &first));
    app.advance_clock(Duration::from_secs(3601));
    wait_for(&app, |s| {
        s.len() == 1 && s[0].id != first && s[0].endpoint == ENDPOINT
    })
    .await;

    // Someone points it elsewhere at Filevine: the next hourly run puts it back.
    let id = app.control().webhook_subscriptions(ORG)[0].id.clone();
    let token = hooks_token(&app).await;
    let r = reqwest::Client::new()
        .put(
            app.fake
                .gateway_url()
                .join(&format!("fv-app/v2/webhooks/subscription/{id}"))
                .unwrap(),
        )
        .bearer_auth(token)
        .header("user-agent", "tests")
        .header("x-fv-orgid", "5001")
        .header("x-fv-userid", "1003")
        .json(&serde_json::json!({ "Endpoint": "https://elsewhere.example/hook" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.advance_clock(Duration::from_secs(3601));
    wait_for(&app, |s| {
        s.len() == 1 && s[0].id == id && s[0].endpoint == ENDPOINT
    })
    .await;
}

#[tokio::test]
async fn failed_subscription_calls_show_on_the_card_and_are_retried() {
    let mut opts = live_opts();
    opts.extra_env
        .push(("FV_HEALTH_MINUTES".into(), "1440".into()));
    let (app, ada, csrf) = app_with_connection(opts).await;
    // The health checks' first round first: its calls would take the planned failures.
    app.advance_clock(Duration::from_secs(21));
    let first_round = async {
        while app
            .state
            .db
            .health_checks("reports", 1)
            .await
            .unwrap()
            .is_empty()
        {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), first_round)
        .await
        .unwrap();
    // (status, calls to fail: every attempt the app makes of the first call, what the card says)
    for (status, count, says) in [
        (503, 1, "failed (503)"),
        (429, 4, "rate-limiting this app (429)"),
        (401, 2, "token (401)"),
    ] {
        app.control().fail_next_gateway_calls(status, count, None);
        let page = press(&app, &ada, &csrf, "live_on").await;
        app.control().fail_next_gateway_calls(status, 0, None);
        assert!(
            page.contains("Filevine did not take the change yet"),
            "{status}: {page}"
        );
        assert!(page.contains("subscribing (retrying)"), "{status}");
        assert!(page.contains(says), "{status}: {page}");
        assert!(app.control().webhook_subscriptions(ORG).is_empty());
        // The retry comes a minute later.
        app.advance_clock(Duration::from_secs(61));
        wait_for(&app, |s| s.len() == 1).await;
        wait_until_stored(&app).await;
        let page = connections_page(&app, &ada).await;
        assert!(page.contains("<code>on</code>"), "{status}: {page}");
        assert!(!page.contains("Subscription problem"), "{status}");
        press(&app, &ada, &csrf, "live_off").await;
        assert!(app.control().webhook_subscriptions(ORG).is_empty());
    }
}

#[tokio::test]
async fn without_fv_public_url_the_button_explains() {
    let (app, ada, csrf) = app_with_connection(admin_opts()).await;
    let page = press(&app, &ada, &csrf, "live_on").await;
    assert!(
        page.contains("Live updates need <code>FV_PUBLIC_URL</code>")
            || page.contains("Live updates need FV_PUBLIC_URL"),
        "{page}"
    );
    assert!(app.control().webhook_subscriptions(ORG).is_empty());
    assert!(app.state.db.live_subscriptions().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_token_without_the_webhooks_scope_says_so() {
    let (app, ada, csrf) = app_with_connection(live_opts()).await;
    app.control().withhold_scopes(&["filevine.v2.webhooks"]);
    let page = press(&app, &ada, &csrf, "live_on").await;
    assert!(
        page.contains("lacks the filevine.v2.webhooks scope"),
        "{page}"
    );
    assert!(app.control().webhook_subscriptions(ORG).is_empty());
}

#[tokio::test]
async fn non_admins_and_bad_csrf_are_refused() {
    let (app, ada, _) = app_with_connection(live_opts()).await;
    let form = [
        ("csrf", "wrong"),
        ("name", "reports"),
        ("action", "live_on"),
    ];
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let ben = app.browser();
    ben.login(&app, BEN, None).await;
    let ben_csrf = csrf_of(&ben.get(&app.url("/")).await.text().await.unwrap());
    let form = [
        ("csrf", ben_csrf.as_str()),
        ("name", "reports"),
        ("action", "live_on"),
    ];
    let r = ben.post_form(&app.url(CONNECTIONS_PAGE), &form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.control().webhook_subscriptions(ORG).is_empty());
    assert!(app.state.db.live_subscriptions().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refresh_token_connection_asks_for_the_scope_when_authorized_again() {
    let app = spawn_app(live_opts()).await;
    authorize_connection(&app, "reports", BEN).await;
    let (ada, csrf) = admin(&app).await;
    let page = press(&app, &ada, &csrf, "live_on").await;
    assert!(
        page.contains("lacks the filevine.v2.webhooks scope"),
        "{page}"
    );
    assert!(app.control().webhook_subscriptions(ORG).is_empty());
    // Save & authorize again asks Filevine for the webhooks scope too.
    let (ada, authorize) = save_and_authorize(&app, "reports").await;
    let scope: String = authorize
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(
        scope.split(' ').any(|s| s == "filevine.v2.webhooks"),
        "{scope}"
    );
    let callback = ada.provider_choose(&authorize, Choice::User(BEN)).await;
    assert_eq!(ada.get(&callback).await.status(), StatusCode::OK);
    app.advance_clock(Duration::from_secs(61));
    wait_for(&app, |s| s.len() == 1 && s[0].endpoint == ENDPOINT).await;
    wait_until_stored(&app).await;
}

/// The subscription rows read and write alike on PostgreSQL (replicas), keyed by the
/// connection's row id; what the receiver records survives the subscription side's writes.
#[tokio::test]
async fn the_rows_work_on_postgres() {
    use fv_partner_app::store::{Db, LiveSubscriptionRow};
    let db = Db::connect(&postgres_url()).await.unwrap();
    let id = format!("conn_live_{}", uuid::Uuid::new_v4().simple());
    let env = format!("env-{}", &id[10..18]);
    let mut row = LiveSubscriptionRow {
        connection_id: id.clone(),
        connection: "reports".into(),
        environment: env.clone(),
        wanted: "on".into(),
        org_id: Some(ORG),
        user_id: Some(1003),
        subscription_id: Some("sub-1".into()),
        endpoint: Some(ENDPOINT.into()),
        updated_at: 10,
        ..Default::default()
    };
    db.live_subscription_put(&row).await.unwrap();
    assert_eq!(db.live_delivery_accepted(&env, ORG, 42).await.unwrap(), 1);
    assert_eq!(db.live_delivery_accepted(&env, 5002, 42).await.unwrap(), 0);
    db.live_delivery_refused(&env).await.unwrap();
    row.last_error = Some("429".into());
    row.last_error_at = Some(43);
    db.live_subscription_put(&row).await.unwrap();
    let stored = db.live_subscription(&id).await.unwrap().unwrap();
    assert_eq!(stored.last_delivery_at, Some(42));
    assert_eq!(stored.refused_deliveries, 1);
    assert_eq!(stored.last_error.as_deref(), Some("429"));
    assert!(db
        .live_subscriptions()
        .await
        .unwrap()
        .iter()
        .any(|r| r.connection_id == id));
    // Two callers at once: one of them gets the lease, until a put ends it or it runs out.
    assert!(db.live_subscription_lease(&id, 100, 160).await.unwrap());
    assert!(!db.live_subscription_lease(&id, 100, 160).await.unwrap());
    assert!(db.live_subscription_lease(&id, 160, 220).await.unwrap());
    db.live_subscription_put(&row).await.unwrap();
    assert!(db.live_subscription_lease(&id, 161, 221).await.unwrap());
    // What an admin wants is stored without touching what Filevine was told.
    row.wanted = "off".into();
    db.live_subscription_want(&row).await.unwrap();
    let stored = db.live_subscription(&id).await.unwrap().unwrap();
    assert_eq!(stored.wanted, "off");
    assert_eq!(stored.subscription_id.as_deref(), Some("sub-1"));
    db.live_subscription_delete(&id).await.unwrap();
    assert!(db.live_subscription(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn the_fv_pat_connection_has_live_updates_too() {
    let mut opts = live_opts();
    opts.extra_env.push(("FV_PAT".into(), DEMO_PAT.into()));
    opts.extra_env
        .push(("FV_SERVICE_ACCOUNT_EMAIL".into(), BOT_EMAIL.into()));
    let app = spawn_app(opts).await;
    let (ada, csrf) = admin(&app).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "env"),
        ("action", "live_on"),
    ];
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = connections_page(&app, &ada).await;
    assert!(page.contains("Live updates are on for"), "{page}");
    let subs = app.control().webhook_subscriptions(ORG);
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].endpoint, ENDPOINT);
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "env"),
        ("action", "live_off"),
    ];
    ada.post_form(&app.url(CONNECTIONS_PAGE), &form).await;
    assert!(app.control().webhook_subscriptions(ORG).is_empty());
}
