//! The per-phase trend records the change a delivery brings (issue 25): a project moved at
//! Filevine with live updates on is counted in a snapshot of its org a moment later, without
//! waiting for the scheduled snapshot.

use crate::common;
use crate::support::webhooks::all_applied;

use std::time::Duration;

use common::{connections::*, *};
use fake_filevine::ProjectChange;
use reqwest::StatusCode;

const ORG: i64 = 5001;

/// Snapshots of [`ORG`] taken at or after `since`: `(taken_at, phase, count)`.
async fn snapshots(app: &TestApp, since: i64) -> Vec<(i64, String, i64)> {
    let rows = app.state.db.snapshots_since(("us", true), ORG, since);
    let rows = rows.await.unwrap();
    rows.into_iter()
        .map(|r| (r.taken_at, r.phase, r.count))
        .collect()
}

#[tokio::test]
async fn a_phase_move_is_recorded_in_the_trend_when_its_delivery_is_applied() {
    let mut opts = admin_opts();
    opts.extra_env
        .push(("FV_PUBLIC_URL".into(), "{app}".into()));
    let (app, ada, csrf) = app_with_connection(opts).await;
    let r = press_card(&app, &ada, &csrf, "reports", "live_on").await;
    assert_eq!(r, StatusCode::SEE_OTHER);
    assert_eq!(app.control().webhook_subscriptions(ORG).len(), 1);

    let since = app.clock.now_unix();
    let moved = app.control().projects(ORG);
    let moved = moved.iter().find(|p| p.phase_name != "Settled").unwrap();
    let change = ProjectChange::MovePhase {
        project_id: moved.project_id,
        phase: "Settled".into(),
    };
    app.control().change_project(ORG, change).unwrap();
    let settled = app
        .control()
        .projects(ORG)
        .iter()
        .filter(|p| p.phase_name == "Settled")
        .count() as i64;

    // The delivery is taken and applied; the burst settles (2 s on the app clock); the org
    // is counted.
    for _ in 0..400 {
        if app
            .control()
            .webhook_deliveries()
            .iter()
            .any(|d| d.delivered)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    all_applied(&app).await;
    app.advance_clock(Duration::from_secs(3));
    let mut recorded = Vec::new();
    for _ in 0..400 {
        recorded = snapshots(&app, since).await;
        if !recorded.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let at = recorded.first().expect("a snapshot after the change").0;
    assert!(
        at < since + 10,
        "recorded at the change, not by the schedule"
    );
    assert!(
        recorded.contains(&(at, "Settled".into(), settled)),
        "{recorded:?} (Settled: {settled})"
    );
}
