//! The inbox and what applying a delivery does: duplicates across midnight, no per-address
//! rate limit, rows stored before a stop applied after the restart (once), and a delivery
//! dropping the org's cached summary (its environment's and org's only) so the next view
//! scans the gateway again.

use crate::common;

use crate::support::webhooks as support;

use common::*;
use fv_partner_app::{live, store::Db};
use reqwest::StatusCode;
use support::*;

/// Summary scans the stand-in has seen for `org` (each starts at offset 0 with the summary's
/// fields).
fn summary_scans(app: &TestApp, org: i64) -> usize {
    app.control()
        .gateway_requests()
        .iter()
        .filter(|r| r.path.ends_with("/Projects") && r.org_id.as_deref() == Some(&org.to_string()))
        .filter(|r| {
            let has = |k: &str, v: &str| r.query.iter().any(|(a, b)| a == k && b == v);
            has("requestedFields", "projectId,phaseName,phaseId") && has("offset", "0")
        })
        .count()
}

/// Report scans the stand-in has seen for `org` (offset 0 with the report's fields).
fn report_scans(app: &TestApp, org: i64) -> usize {
    app.control()
        .gateway_requests()
        .iter()
        .filter(|r| r.path.ends_with("/Projects") && r.org_id.as_deref() == Some(&org.to_string()))
        .filter(|r| {
            let has = |k: &str, v: &str| r.query.iter().any(|(a, b)| a == k && b == v);
            has("offset", "0")
                && r.query
                    .iter()
                    .any(|(k, v)| k == "requestedFields" && v.contains("lastActivity"))
        })
        .count()
}

async fn view_summary(app: &TestApp, b: &Browser) {
    let r = b.get(&app.url("/projects/summary")).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_same_body_across_midnight_is_still_a_duplicate() {
    let (app, _ada) = app_with_ada().await;
    let to_midnight = 86_400 - app.clock.now_unix().rem_euclid(86_400);
    app.advance_clock(std::time::Duration::from_secs((to_midnight - 10) as u64));
    let body = phase_changed(LOVELACE, 21);
    let (_, json) = deliver(&app, body.clone()).await;
    assert_eq!(json["status"], "accepted");
    app.advance_clock(std::time::Duration::from_secs(20));
    let (_, json) = deliver(&app, body).await;
    assert_eq!(json["status"], "duplicate", "20 s later, on the next day");
}

#[tokio::test]
async fn deliveries_are_not_rate_limited_per_address() {
    let app = spawn_app(TestOptions {
        fake: rs512(),
        extra_env: vec![("FV_RATE_LIMIT_PER_MINUTE".into(), "2".into())],
        ..Default::default()
    })
    .await;
    for n in 0..6 {
        let (status, _) = deliver(&app, phase_changed(LOVELACE, n)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "delivery {n}");
    }
}

#[tokio::test]
async fn a_delivery_drops_the_orgs_cached_summary_and_no_other() {
    let (app, ada) = app_with_ada().await;
    view_summary(&app, &ada).await;
    view_summary(&app, &ada).await;
    assert_eq!(
        summary_scans(&app, LOVELACE),
        1,
        "the second view is cached"
    );
    // Another org changed: Ada's summary stays cached.
    let ben = app.browser();
    ben.login(&app, "fv-user-1002", None).await;
    let (_, json) = deliver(&app, phase_changed(5002, 1)).await;
    assert_eq!(json["status"], "accepted");
    all_applied(&app).await;
    view_summary(&app, &ada).await;
    assert_eq!(
        summary_scans(&app, LOVELACE),
        1,
        "another org's change keeps it"
    );
    // Her org changed: the next view scans again.
    let (_, json) = deliver(&app, phase_changed(LOVELACE, 1)).await;
    assert_eq!(json["status"], "accepted");
    all_applied(&app).await;
    view_summary(&app, &ada).await;
    assert_eq!(summary_scans(&app, LOVELACE), 2, "dropped by the delivery");
    view_summary(&app, &ada).await;
    assert_eq!(summary_scans(&app, LOVELACE), 2, "and cached again");
}

/// The reports (and so the report feed, whose `ETag` hashes the cached report) are scanned
/// again after a delivery for the org.
#[tokio::test]
async fn a_delivery_drops_the_orgs_cached_reports() {
    let (app, ada) = app_with_ada().await;
    for _ in 0..2 {
        let r = ada.get(&app.url("/reports")).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert_eq!(report_scans(&app, LOVELACE), 1, "the second view is cached");
    let (_, json) = deliver(&app, phase_changed(LOVELACE, 1)).await;
    assert_eq!(json["status"], "accepted");
    all_applied(&app).await;
    let r = ada.get(&app.url("/reports")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(report_scans(&app, LOVELACE), 2, "dropped by the delivery");
}

#[tokio::test]
async fn deliveries_stored_before_a_stop_are_applied_after_the_restart_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    // Stored, then the process stopped before its worker applied them.
    let db = Db::connect(&url).await.unwrap();
    let now = fv_partner_app::util::Clock::system().now_unix();
    for project in [1, 2, 2] {
        let body = format!(
            "{{\"OrgId\":{LOVELACE},\"ProjectId\":{project},\"n\":{}}}",
            uuid::Uuid::new_v4()
        );
        let hash = format!("{:x}", sha2_digest(&body));
        let row = fv_partner_app::store::NewDelivery {
            environment: "us",
            org_id: LOVELACE,
            jti: None,
            body_hash: &hash,
            event: "Project.PhaseChanged",
            project_id: Some(project),
            body: &body,
            received_at: now,
            outcome: "pending",
        };
        assert!(db.inbox_insert(&row).await.unwrap().is_some());
    }
    drop(db);
    let app = spawn_app(TestOptions {
        fake: rs512(),
        database_url: Some(url),
        ..Default::default()
    })
    .await;
    assert_eq!(environment(&app), "us");
    all_applied(&app).await;
    let rows = inbox(&app).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.outcome == "applied"), "{rows:?}");
    // Another pass (this replica's or another's) finds nothing left to apply.
    let worker = live::worker::Worker {
        hub: app.state.live.clone(),
        db: app.state.db.clone(),
        clock: app.clock.clone(),
        fanout: live::fanout::Fanout::for_db(&app.state.db),
    };
    assert_eq!(worker.apply_pending().await.unwrap(), 0, "never twice");
}

/// A distinct hash per body (its content is the test's own).
fn sha2_digest(body: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    u128::from(h.finish())
}
