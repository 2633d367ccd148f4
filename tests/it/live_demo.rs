//! Live updates in demo mode, black-box through the binary: with no `FV_PUBLIC_URL`, the demo
//! subscribes its own loopback address; Ada saves the demo PAT as a connection, turns live
//! updates on, moves a project's phase on the stand-in's own page, and the stand-in posts the
//! delivery to the app's `/webhooks/filevine`.

#![cfg(unix)]

use crate::common;

use std::time::Duration;

use common::{child::start_demo, csrf_of, Browser, Choice};
use fake_filevine::{ADA, DEMO_PAT, REPORTING_BOT};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

async fn page(b: &Browser, url: &Url) -> String {
    b.get(url).await.text().await.unwrap()
}

#[tokio::test]
async fn the_demo_subscribes_its_own_address_and_the_stand_in_delivers_there() {
    let dir = tempfile::tempdir().unwrap();
    let (mut demo, base) = start_demo(dir.path());
    let b = Browser::new();
    let r = b.get(&base.join("/auth/login").unwrap()).await;
    let authorize = common::location(&r);
    let stand_in = Url::parse(&authorize.origin().ascii_serialization()).unwrap();
    let callback = b.provider_choose(&authorize, Choice::User(ADA.sub)).await;
    b.get(&callback).await;

    let settings_url = base.join("/settings/connections").unwrap();
    let csrf = csrf_of(&page(&b, &settings_url).await);
    let save = [
        ("csrf", csrf.as_str()),
        ("name", "default"),
        ("environment", "us"),
        ("auth", "pat"),
        ("pat", DEMO_PAT),
        ("email", REPORTING_BOT.email),
        ("concurrency", "8"),
        ("borrow_from", ""),
        ("action", "save"),
    ];
    assert_eq!(
        b.post_form(&settings_url, &save).await.status(),
        StatusCode::SEE_OTHER
    );
    let live = [
        ("csrf", csrf.as_str()),
        ("name", "default"),
        ("action", "live_on"),
    ];
    assert_eq!(
        b.post_form(&settings_url, &live).await.status(),
        StatusCode::SEE_OTHER
    );
    let html = page(&b, &settings_url).await;
    let endpoint = base.join("/webhooks/filevine").unwrap();
    let own = format!("127.0.0.1:{}/webhooks/filevine", base.port().unwrap());
    assert!(html.contains("Live updates are on"), "{html}");
    assert!(html.contains(&own), "{endpoint} in {html}");

    // The stand-in's own page moves a project's phase (its form carries the page's token).
    let projects = stand_in.join("/_fake/projects").unwrap();
    let fake_page = page(&b, &projects).await;
    let token = fake_page
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let id = fake_page
        .split("name=\"project_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let change = [
        ("token", token.as_str()),
        ("org_id", "5001"),
        ("project_id", id.as_str()),
        ("action", "move_phase"),
        ("phase", "Closed"),
    ];
    assert_eq!(
        b.post_form(&projects, &change).await.status(),
        StatusCode::SEE_OTHER
    );
    // The delivery reaches the app (whatever the app answers, it is one finished delivery).
    let stats = stand_in.join("/_fake/stats").unwrap();
    let mut delivered = 0;
    for _ in 0..500 {
        let s: Value = b.get(&stats).await.json().await.unwrap();
        delivered = s["webhook_deliveries"].as_u64().unwrap();
        if delivered > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(delivered, 1);
    let log = std::fs::read_to_string(dir.path().join("demo.log")).unwrap();
    assert!(
        log.contains("/webhooks/filevine"),
        "the app saw the delivery:\n{log}"
    );
    let _ = demo.kill();
    let _ = demo.wait();
}
