//! The background jobs run on the app clock: the scheduled snapshot's first run and its
//! interval, replicas that tick together taking one snapshot, the hourly refetch of the
//! provider's keys, and the active-session gauge. Each test moves the clock instead of waiting
//! for a quarter of an hour (the jobs sleep on `Clock::sleep`, which an advance wakes).

use crate::common;

use std::time::Duration;

use common::*;
use fake_filevine::DEMO_PAT;
use secrecy::SecretString;

const ORG: i64 = 5001;
const ADA: &str = "fv-user-1001";

fn every_15_minutes() -> TestOptions {
    TestOptions {
        extra_env: vec![("FV_SNAPSHOT_MINUTES".into(), "15".into())],
        ..TestOptions::default()
    }
}

async fn save_pat(app: &TestApp) {
    app.state
        .connections
        .put_pat(
            "default",
            SecretString::from(DEMO_PAT.to_owned()),
            "reporting-bot@lovelace-law.example",
            "test",
        )
        .await
        .unwrap();
}

/// The distinct moments snapshots of [`ORG`] were taken at.
async fn snapshot_times(app: &TestApp) -> Vec<i64> {
    let mut times: Vec<i64> = app
        .state
        .db
        .snapshots_since(("us", true), ORG, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.taken_at)
        .collect();
    times.dedup();
    times
}

/// Polls (real time, bounded) until `n` snapshots exist; the job runs as soon as its time
/// comes, but on its own task.
async fn wait_for_snapshots(app: &TestApp, n: usize) -> Vec<i64> {
    for _ in 0..200 {
        let times = snapshot_times(app).await;
        if times.len() >= n {
            return times;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    snapshot_times(app).await
}

#[tokio::test]
async fn the_scheduler_runs_30_s_after_start_then_every_interval() {
    let app = spawn_app(every_15_minutes()).await;
    save_pat(&app).await;
    // Let the job reach its first sleep, then stop just short of its first run.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.advance_clock(Duration::from_secs(25));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(snapshot_times(&app).await.is_empty(), "ran before 30 s");
    app.advance_clock(Duration::from_secs(6));
    let first = wait_for_snapshots(&app, 1).await;
    assert_eq!(first.len(), 1, "the first run 30 s after start");
    // Ten minutes on: not due yet.
    app.advance_clock(Duration::from_secs(600));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        snapshot_times(&app).await.len(),
        1,
        "ran before its interval"
    );
    app.advance_clock(Duration::from_secs(301));
    let two = wait_for_snapshots(&app, 2).await;
    assert_eq!(two.len(), 2, "the second run one interval later");
    assert!(two[1] - two[0] >= 900, "{two:?}");
}

/// Scans started at the stand-in: project-list calls at offset 0.
fn scans(app: &TestApp) -> usize {
    app.control()
        .gateway_requests()
        .iter()
        .filter(|r| r.path.ends_with("/Projects"))
        .filter(|r| r.query.iter().any(|(k, v)| k == "offset" && v == "0"))
        .count()
}

#[tokio::test]
async fn replicas_ticking_together_take_one_snapshot() {
    let apps = spawn_replicas(2, every_15_minutes()).await;
    save_pat(&apps[0]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // One clock for both replicas: they wake at the same moment.
    apps[0].advance_clock(Duration::from_secs(31));
    let first = wait_for_snapshots(&apps[0], 1).await;
    assert_eq!(first.len(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(snapshot_times(&apps[0]).await.len(), 1);
    assert_eq!(scans(&apps[0]), 1, "both replicas scanned the org");
    apps[0].advance_clock(Duration::from_secs(901));
    assert_eq!(wait_for_snapshots(&apps[0], 2).await.len(), 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(snapshot_times(&apps[0]).await.len(), 2);
    assert_eq!(scans(&apps[0]), 2, "both replicas scanned the org");
}

#[tokio::test]
async fn snapshot_minutes_that_are_not_a_number_stop_start_up() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fv-partner-app"))
        .arg("check")
        .env("FV_SNAPSHOT_MINUTES", "a quarter hour")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FV_SNAPSHOT_MINUTES"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn keys_older_than_an_hour_are_refetched_in_the_background() {
    let app = spawn_app(TestOptions::default()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = app.control().jwks_fetches();
    // Ten minutes on, the keys are young: the check looks and leaves them.
    app.advance_clock(Duration::from_secs(601));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.control().jwks_fetches(), before, "refetched young keys");
    // Past the hour, the next check refetches them.
    app.advance_clock(Duration::from_secs(3000));
    for _ in 0..100 {
        if app.control().jwks_fetches() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.control().jwks_fetches(), before + 1);
    let ready = app.browser().get(&app.url("/readyz")).await;
    let body: serde_json::Value = ready.json().await.unwrap();
    assert!(
        body["provider_keys_age_seconds"].as_u64().unwrap() < 60,
        "{body}"
    );
}

/// `fv_active_sessions`' value (its own binary: the gauge is global to the process, and no
/// other test here scrapes it).
#[tokio::test]
async fn the_active_session_gauge_counts_sign_ins_and_sign_outs() {
    let app = spawn_app(TestOptions::default()).await;
    let gauge = || async {
        let text = app
            .browser()
            .get(&app.url("/metrics"))
            .await
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("fv_active_sessions "))
            .unwrap_or_else(|| panic!("no gauge in:\n{text}"))
            .trim()
            .to_owned()
    };
    // Ada in two browsers: two sessions.
    let (laptop, phone) = (app.browser(), app.browser());
    laptop.login(&app, ADA, None).await;
    phone.login(&app, ADA, None).await;
    assert_eq!(gauge().await, "2");
    let page = phone.get(&app.url("/profile")).await.text().await.unwrap();
    let csrf = csrf_of(&page);
    phone
        .post_form(&app.url("/auth/logout"), &[("csrf", &csrf)])
        .await;
    assert_eq!(gauge().await, "1");
}
