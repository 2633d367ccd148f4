//! The per-user page cache (issue 25): while the org's webhook subscription is healthy, a
//! repeat view of the same dashboard page by the same user asks the gateway nothing; a
//! delivery for the org drops it, another user never gets it, an unhealthy or absent
//! subscription keeps every view fresh, and it expires after five minutes.

use crate::common;
use crate::support::webhooks::{all_applied, deliver, phase_changed, rs512};

use std::time::Duration;

use common::{connections::*, *};
use reqwest::StatusCode;

const PAGE: &str = "/projects?sort=projectName&order=asc&page=2&per_page=10";
const ORG: i64 = 5001;

/// An app with an RS512 stand-in, a PAT connection `reports`, `FV_PUBLIC_URL` set, and Ada
/// (an admin) on the connections page.
async fn app() -> (TestApp, Browser, String) {
    let mut opts = admin_opts();
    opts.fake = rs512();
    opts.extra_env.push((
        "FV_PUBLIC_URL".into(),
        "https://live.partner.example".into(),
    ));
    app_with_connection(opts).await
}

/// Presses a live-updates button of `reports`.
async fn press(app: &TestApp, b: &Browser, csrf: &str, action: &str) {
    let status = press_card(app, b, csrf, "reports", action).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{action}");
}

/// Gateway calls for projects lists since the last call of this function.
fn project_calls(app: &TestApp) -> usize {
    let n = app
        .control()
        .gateway_requests()
        .iter()
        .filter(|r| r.path.ends_with("/Projects"))
        .count();
    app.control().reset_gateway_stats();
    n
}

/// Views [`PAGE`] as `b` (the summary counted first, so the page is complete); the
/// gateway calls the page made.
async fn view(app: &TestApp, b: &Browser) -> usize {
    let summary = PAGE.replacen("/projects?", "/projects/summary?", 1);
    assert_eq!(b.get(&app.url(&summary)).await.status(), StatusCode::OK);
    project_calls(app);
    let r = b.get(&app.url(PAGE)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<table"), "{html}");
    project_calls(app)
}

#[tokio::test]
async fn a_repeat_view_is_kept_per_user_until_a_delivery_or_five_minutes() {
    let (app, ada, csrf) = app().await;
    press(&app, &ada, &csrf, "live_on").await;
    assert!(app
        .state
        .db
        .live_org_healthy(&env(&app), ORG)
        .await
        .unwrap());
    assert!(view(&app, &ada).await > 0, "the first view asks");
    assert_eq!(view(&app, &ada).await, 0, "the repeat view asks nothing");

    let ben = app.browser();
    let to = ben.login(&app, BEN, Some("/projects")).await;
    let chooser = ben.get(&app.url(&to)).await.text().await.unwrap();
    let (csrf, org) = (csrf_of(&chooser), ORG.to_string());
    ben.post_form(&app.url("/org"), &[("csrf", &csrf), ("org_id", &org)])
        .await;
    assert!(view(&app, &ben).await > 0, "another user's view asks");

    let (_, json) = deliver(&app, phase_changed(ORG, 7)).await;
    assert_eq!(json["status"], "accepted");
    all_applied(&app).await;
    assert!(view(&app, &ada).await > 0, "a delivery dropped the page");
    assert_eq!(view(&app, &ada).await, 0);

    app.advance_clock(Duration::from_secs(301));
    assert!(view(&app, &ada).await > 0, "expired after five minutes");
}

#[tokio::test]
async fn without_a_healthy_subscription_every_view_asks() {
    let (app, ada, csrf) = app().await;
    assert!(view(&app, &ada).await > 0);
    assert!(view(&app, &ada).await > 0, "no subscription: asked again");

    press(&app, &ada, &csrf, "live_on").await;
    view(&app, &ada).await;
    assert_eq!(view(&app, &ada).await, 0);
    // The subscription's next call fails: unhealthy, so the kept page is not used.
    app.control().fail_next_gateway_calls(503, 4, None);
    press(&app, &ada, &csrf, "live_on").await;
    app.control().fail_next_gateway_calls(503, 0, None);
    let row = &app.state.db.live_subscriptions().await.unwrap()[0];
    assert!(row.last_error.is_some(), "{row:?}");
    assert!(view(&app, &ada).await > 0, "unhealthy: asked again");
}

fn env(app: &TestApp) -> String {
    crate::support::webhooks::environment(app)
}
