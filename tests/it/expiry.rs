//! `FV_CLIENT_SECRET_EXPIRES`: admins see a banner on the connections page from 30 days before
//! the client secret expires, and one alert goes out at 30 days, at 7 days and on the day (the
//! clock moved, never slept).

use crate::common;

use std::time::Duration;

use common::{alert_sinks::*, connections::*, *};

const DAY: Duration = Duration::from_secs(24 * 3600);

#[tokio::test]
async fn the_client_secret_gets_a_banner_and_alerts_at_30_and_7_days_and_on_the_day() {
    let hook = WebhookSink::start().await;
    let today = time::OffsetDateTime::now_utc().date();
    let expires = today + time::Duration::days(40);
    let mut opts = admin_opts();
    opts.extra_env.extend([
        ("FV_ALERT_WEBHOOK_URL".into(), hook.url.clone()),
        ("FV_HEALTH_MINUTES".into(), "1".into()),
        ("FV_CLIENT_SECRET_EXPIRES".into(), expires.to_string()),
    ]);
    let app = spawn_app(opts).await;
    let banner = "client secret (FV_CLIENT_SECRET) expires on";

    // 40 days before: no banner, and the first round sends nothing.
    let (ada, _) = admin(&app).await;
    assert!(!connections_page(&app, &ada).await.contains(banner));
    app.advance_clock(Duration::from_secs(21));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(hook.texts().is_empty());

    // 30 days before: the banner and one alert.
    app.advance_clock(DAY * 10);
    until("the 30-day alert", || hook.texts().len() == 1).await;
    assert!(hook.texts()[0].contains("in 30 days"), "{:?}", hook.texts());
    assert!(hook.texts()[0].contains("set FV_CLIENT_SECRET"));
    assert!(
        !hook.texts()[0].contains(CLIENT_SECRET),
        "the secret itself"
    );
    let (ada, _) = admin(&app).await;
    let page = connections_page(&app, &ada).await;
    assert!(
        page.contains(banner) && page.contains("in 30 days"),
        "{page}"
    );
    app.advance_clock(Duration::from_secs(60));
    app.state.health.warn_expiring().await.unwrap();
    app.state.health.alerts().deliver_due().await.unwrap();
    assert_eq!(hook.texts().len(), 1, "once per threshold");

    // 7 days before, then on the day: one each.
    app.advance_clock(DAY * 23);
    until("the 7-day alert", || hook.texts().len() == 2).await;
    assert!(hook.texts()[1].contains("in 7 days"), "{:?}", hook.texts());
    app.advance_clock(DAY * 7);
    until("the alert on the day", || hook.texts().len() == 3).await;
    assert!(
        hook.texts()[2].contains("expires today"),
        "{:?}",
        hook.texts()
    );
    app.advance_clock(Duration::from_secs(60));
    app.state.health.warn_expiring().await.unwrap();
    app.state.health.alerts().deliver_due().await.unwrap();
    assert_eq!(hook.texts().len(), 3);
}

#[tokio::test]
async fn a_pat_saved_with_its_expiry_date_gets_a_banner_and_alerts() {
    let hook = WebhookSink::start().await;
    let mut opts = admin_opts();
    opts.extra_env
        .push(("FV_ALERT_WEBHOOK_URL".into(), hook.url.clone()));
    let app = spawn_app(opts).await;
    let (ada, csrf) = admin(&app).await;
    let today = time::OffsetDateTime::now_utc().date();
    let expires = (today + time::Duration::days(10)).to_string();
    let form = |action: &'static str, date: String| {
        vec![
            ("csrf", csrf.clone()),
            ("action", action.to_owned()),
            ("name", "reports".to_owned()),
            ("auth", "pat".to_owned()),
            ("pat", fake_filevine::DEMO_PAT.to_owned()),
            ("email", BOT_EMAIL.to_owned()),
            ("concurrency", "4".to_owned()),
            ("pat_expires", date),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let ada = &ada;
        let url = app.url(CONNECTIONS_PAGE);
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ada.post_form(&url, &pairs).await
        }
    };
    let refused = post(form("save", "30/06/2027".into())).await;
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("expiry must be a date"));

    let saved = post(form("save", expires.clone())).await;
    assert!(saved.status().is_redirection(), "{}", saved.status());
    let page = connections_page(&app, &ada).await;
    assert!(
        page.contains(&format!(
            "The PAT of connection reports expires on {expires} (in 10 days)"
        )),
        "{page}"
    );
    assert!(page.contains("Create a new PAT for reporting-bot@lovelace-law.example"));

    app.state.health.warn_expiring().await.unwrap();
    until("the 30-day band alert", || hook.texts().len() == 1).await;
    assert!(hook.texts()[0].contains("in 10 days"));
    app.advance_clock(DAY * 3);
    app.state.health.warn_expiring().await.unwrap();
    until("the 7-day alert", || hook.texts().len() == 2).await;
    assert!(hook.texts()[1].contains("in 7 days"));
    assert!(!hook.texts().concat().contains(fake_filevine::DEMO_PAT));
}
