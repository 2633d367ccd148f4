//! Two replicas on PostgreSQL sharing one clock: each interval one of them checks a
//! connection (a claim per connection and interval), and a change to broken sends one alert,
//! not one per replica.

use crate::common;

use std::time::Duration;

use common::{alert_sinks::*, connections::*, *};
use fake_filevine::DEMO_PAT;

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
async fn two_replicas_check_once_per_interval_and_alert_once_per_change() {
    let hook = WebhookSink::start().await;
    let apps = spawn_replicas(
        2,
        TestOptions {
            database_url: Some(postgres_url()),
            extra_env: vec![
                ("FV_ALERT_WEBHOOK_URL".into(), hook.url.clone()),
                ("FV_HEALTH_MINUTES".into(), "1".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    // The database is shared with other tests: a name of this run's own.
    let name = format!("hc-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    save_pat_connection(&apps[0], &name, "4", "").await;
    // Let both loops reach their first sleep; one clock wakes them together.
    tokio::time::sleep(Duration::from_millis(200)).await;
    apps[0].advance_clock(Duration::from_secs(21));
    wait_checks(&apps[0], &name, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        checks_of(&apps[0], &name).await,
        1,
        "one check per interval"
    );

    apps[0].control().revoke_pat(DEMO_PAT);
    apps[0].advance_clock(Duration::from_secs(60));
    wait_checks(&apps[0], &name, 2).await;
    let mine = || {
        hook.texts()
            .into_iter()
            .filter(|t| t.contains(&format!("Connection {name} is broken")))
            .count()
    };
    until("the alert", || mine() >= 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        checks_of(&apps[0], &name).await,
        2,
        "one check per interval"
    );
    // Both replicas see it broken (and check again): still one alert.
    apps[1].state.health.check_now(Some(&name)).await.unwrap();
    apps[0].state.health.check_now(Some(&name)).await.unwrap();
    apps[1].state.health.alerts().deliver_due().await.unwrap();
    apps[0].state.health.alerts().deliver_due().await.unwrap();
    assert_eq!(mine(), 1, "one alert per change");
}
