//! Live data end to end, both halves together: live updates turned on for a connection, a
//! project moved at Filevine (the stand-in), the stand-in's signed delivery posted to the
//! app's `POST /webhooks/filevine`, and then the card shows the delivery, the dashboard's count
//! follows at once (no minute-long cache), and a stream opened before hears it.

use crate::common;

use std::time::Duration;

use common::connections::*;
use fake_filevine::ProjectChange;
use futures::StreamExt;
use reqwest::StatusCode;

const ORG: i64 = 5001;

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    for _ in 0..400 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("gave up waiting for {what}");
}

#[tokio::test]
async fn a_phase_moved_at_filevine_reaches_the_card_the_dashboard_and_an_open_stream() {
    let mut opts = admin_opts();
    opts.extra_env
        .push(("FV_PUBLIC_URL".into(), "{app}".into()));
    let (app, ada, csrf) = app_with_connection(opts).await;
    let r = press_card(&app, &ada, &csrf, "reports", "live_on").await;
    assert_eq!(r, StatusCode::SEE_OTHER);
    until("the subscription at Filevine", || async {
        !app.control().webhook_subscriptions(ORG).is_empty()
    })
    .await;

    // The dashboard's summary, read once so it is cached (for a minute without webhooks).
    let summary = || async {
        let r = ada.get(&app.url("/projects/summary")).await;
        r.text().await.unwrap()
    };
    let before = summary().await;
    let stream = ada.get(&app.url("/projects/live")).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let mut stream = stream.bytes_stream();

    let projects = app.control().projects(ORG);
    let project = projects.iter().find(|p| !p.is_archived).unwrap().project_id;
    app.control()
        .change_project(
            ORG,
            ProjectChange::Archive {
                project_id: project,
            },
        )
        .unwrap();

    // The stand-in's delivery was taken (2xx) and applied.
    until("the delivery taken", || async {
        app.control()
            .webhook_deliveries()
            .iter()
            .any(|d| d.delivered)
    })
    .await;
    let mut heard = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !heard.contains("event:") {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("the open stream heard the change")
            .expect("the stream stays open")
            .unwrap();
        heard.push_str(&String::from_utf8_lossy(&chunk));
    }

    // The card shows the delivery.
    let page = connections_page(&app, &ada).await;
    let live = &page[page.find("id=\"live-reports\"").expect("the live part")..];
    assert!(
        !live[..live.find("</dl>").unwrap()].contains("none yet"),
        "{live}"
    );

    // The next dashboard view leaves the archived project out at once.
    let after = summary().await;
    assert_ne!(
        before, after,
        "the cached summary was served after the delivery"
    );
}
