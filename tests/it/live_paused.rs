//! A connection that breaks pauses its live updates with that reason instead of calling
//! Filevine with credentials it refuses, and they resume by themselves once it is fixed (a
//! new PAT saved keeps asking for the webhooks scope).

use crate::common;

use std::time::Duration;

use common::connections::*;
use fake_filevine::{FakeOptions, FakePat, DEMO_PAT};
use secrecy::SecretString;

const ORG: i64 = 5001;
const NEW_PAT: &str = "fvpat_second_reporting_bot_0123456789abcdef";

#[tokio::test]
async fn a_broken_connection_pauses_its_subscription_and_a_fixed_one_resumes_it() {
    let mut opts = admin_opts();
    opts.extra_env.push((
        "FV_PUBLIC_URL".into(),
        "https://live.partner.example".into(),
    ));
    opts.fake = FakeOptions {
        pats: vec![
            FakePat::demo(),
            FakePat {
                token: NEW_PAT.into(),
                user_email: BOT_EMAIL.into(),
            },
        ],
        ..FakeOptions::default()
    };
    let (app, ada, csrf) = app_with_connection(opts).await;
    press_card(&app, &ada, &csrf, "reports", "live_on").await;
    let first = app.control().webhook_subscriptions(ORG)[0].id.clone();

    // The PAT is revoked and the subscription lost at Filevine; the check finds it broken.
    app.control().revoke_pat(DEMO_PAT);
    assert!(app.control().delete_webhook_subscription(ORG, &first));
    let checked = app.state.health.check_now(Some("reports")).await.unwrap();
    assert_eq!(checked[0].verdict.health.as_str(), "broken");
    app.state.connections.reconcile_live(true).await.unwrap();
    let rows = app.state.db.live_subscriptions().await.unwrap();
    let problem = rows[0].last_error.clone().unwrap_or_default();
    assert!(
        problem.starts_with("Paused while this connection is broken"),
        "{problem}"
    );
    assert!(app.control().webhook_subscriptions(ORG).is_empty());

    // A new PAT: the next check finds it ok, and the next retry subscribes again.
    app.state
        .connections
        .put_pat("reports", SecretString::from(NEW_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    let checked = app.state.health.check_now(Some("reports")).await.unwrap();
    assert_eq!(checked[0].verdict.health.as_str(), "ok");
    app.advance_clock(Duration::from_secs(61));
    for _ in 0..400 {
        let rows = app.state.db.live_subscriptions().await.unwrap();
        if app.control().webhook_subscriptions(ORG).len() == 1 && rows[0].last_error.is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("not resumed: {:?}", app.state.db.live_subscriptions().await);
}
