//! The concurrency level is a bound at the gateway itself: counted by the stand-in (which,
//! like the real gateway, works on a call whose client hung up), never more than
//! `FV_CONCURRENCY` calls of the users in flight across back-to-back dashboard views (each
//! starting a summary scan), exports, and requests the browser gives up on mid-call; never
//! more than a connection's level across its feeds, cancelled ones too, and snapshots.

use std::time::Duration;

use fake_filevine::FakeOptions;

use super::*;

const LEVEL: usize = 4;

#[tokio::test]
async fn calls_in_flight_at_the_gateway_never_exceed_the_level() {
    let (app, b) = signed_in(TestOptions {
        extra_env: vec![("FV_CONCURRENCY".into(), LEVEL.to_string())],
        fake: FakeOptions {
            projects_per_org: 6000,
            ..FakeOptions::default()
        },
        ..TestOptions::default()
    })
    .await;
    app.control().set_gateway_latency(Duration::from_millis(80));
    app.control().reset_gateway_stats();
    // A browser that gives up quickly: its requests are dropped while their calls are out.
    let impatient = reqwest::Client::builder()
        .cookie_provider(b.jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(30))
        .build()
        .unwrap();
    for round in 0..4 {
        let views = [
            format!("/projects?q=a&page={}", round + 1),
            format!("/projects?archived=1&page={}", round + 1),
            format!("/projects?q=e&archived=1&page={}", round + 2),
        ];
        // Back-to-back views: each starts a summary scan while the last one's still runs.
        for v in &views {
            let _ = b.get(&app.url(v)).await;
        }
        let urls: Vec<_> = views.iter().map(|v| app.url(v)).collect();
        futures::future::join_all(urls.iter().map(|u| b.get(u))).await;
        // Requests cancelled mid-call: summary fragments, a page, an export.
        for path in [
            "/projects/summary?q=o",
            "/projects?q=i",
            "/projects/export.csv?archived=1",
            "/reports",
        ] {
            let _ = impatient.get(app.url(path)).send().await;
        }
        // An export read to its end while the scans run.
        let r = b.get(&app.url("/projects/export.json?q=a")).await;
        let _ = r.bytes().await;
    }
    let max = app.control().gateway_max_in_flight();
    assert!(
        max <= LEVEL,
        "{max} calls in flight at the gateway with FV_CONCURRENCY={LEVEL}"
    );
    assert!(max >= 2, "the scans run in parallel ({max})");
}

#[tokio::test]
async fn calls_of_a_connection_never_exceed_its_level() {
    // The connection `bi` at level 4, and a feed key on it.
    let (app, _, key) = crate::common::feeds::app_with_key(&[], &[]).await;
    app.control().set_gateway_latency(Duration::from_millis(80));
    app.control().reset_gateway_stats();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(30))
        .build()
        .unwrap();
    let feed = |client: reqwest::Client, path: &'static str| {
        let (url, key) = (app.url(path), key.clone());
        async move {
            if let Ok(r) = client.get(url).bearer_auth(key).send().await {
                let _ = r.bytes().await;
            }
        }
    };
    for _ in 0..3 {
        let patient = reqwest::Client::new();
        let snapshot = fv_partner_app::reporting::run_snapshot_once(&app.state);
        let feeds = async {
            for path in [
                "/feeds/projects.csv",
                "/feeds/reports.json",
                "/feeds/projects.json",
            ] {
                feed(impatient.clone(), path).await;
            }
            feed(patient.clone(), "/feeds/projects.csv").await;
        };
        let (snapshot, ()) = tokio::join!(snapshot, feeds);
        snapshot.unwrap();
    }
    let max = app.control().gateway_max_in_flight();
    assert!(
        max <= 4,
        "{max} calls in flight for a connection of level 4"
    );
}
