//! The live-data benchmark: `cargo bench --bench live`. Prints figures, asserts nothing.
//!
//! 1. Delivery to the SSE event: a signed-in dashboard's `GET /projects/live` is open; 1,000
//!    deliveries (`BENCH_EVENTS`) are posted one after another, each timed from the POST until
//!    its `projects-changed` event arrives. Printed: p50, p99, max (target p99 < 1 s).
//! 2. Ingest: `BENCH_SENDERS` (64) concurrent senders post `BENCH_DELIVERIES` (5,000) distinct
//!    deliveries; printed: deliveries accepted per second, and once the worker is done, how
//!    many were applied, lost and applied twice (from the inbox).
//! 3. Ingest across a `kill -9` of the app's binary (a child process), restarted on the same
//!    port: every delivery answered 2xx applied exactly once ([`restart`]).
//! 4. Gateway calls for `BENCH_VIEWS` (100) repeat views of one unchanged dashboard page with a
//!    healthy subscription, against as many without ([`repeat_views`]).
//!
//! 1, 2 and 4 run in this one process on loopback (SQLite), so senders and app share the
//! cores. Without `--bench` (as `cargo test --all-targets` runs it) it does nothing.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "live/repeat_views.rs"]
mod repeat_views;
#[path = "live/restart.rs"]
mod restart;
mod support;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{spawn_app, TestApp, TestOptions};
use fake_filevine::FakeOptions;
use futures::StreamExt;
use serde_json::json;

const ORG: i64 = 5001;

fn main() {
    support::bench_main("live", "cargo bench --bench live", run);
}

fn token(app: &TestApp) -> String {
    let now = app.clock.now_unix();
    let iss = app
        .state
        .environments
        .default_env()
        .oidc
        .issuer()
        .to_owned();
    app.fake.webhook_token(json!({
        "iss": iss, "aud": "filevine-v2-webhooks", "iat": now, "exp": now + 600,
        "jti": uuid::Uuid::new_v4().to_string(),
    }))
}

fn body(n: u64) -> String {
    json!({"Event": "PhaseChanged", "Object": "Project", "ProjectId": n, "OrgId": ORG,
           "Timestamp": n.to_string()})
    .to_string()
}

async fn post(http: &reqwest::Client, app: &TestApp, n: u64) -> bool {
    http.post(app.url("/webhooks/filevine"))
        .bearer_auth(token(app))
        .body(body(n))
        .send()
        .await
        .is_ok_and(|r| r.status().as_u16() == 202)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run() {
    let app = spawn_app(TestOptions {
        fake: FakeOptions {
            id_token_alg: jsonwebtoken::Algorithm::RS512,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    let http = reqwest::Client::new();

    // 1. Delivery to SSE event.
    let events = support::env_num("BENCH_EVENTS", 1000);
    let r = b.get(&app.url("/projects/live")).await;
    let mut stream = r.bytes_stream();
    let mut text = String::new();
    let mut latencies = Vec::new();
    for n in 0..events {
        let t = Instant::now();
        assert!(post(&http, &app, 1_000_000 + n).await, "delivery refused");
        while !text.contains("event: projects-changed") {
            match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
                Ok(Some(Ok(bytes))) => text.push_str(&String::from_utf8_lossy(&bytes)),
                _ => panic!("no event for delivery {n}"),
            }
        }
        latencies.push(t.elapsed());
        let at = text.find("event: projects-changed").unwrap();
        text.drain(..at + "event: projects-changed".len());
    }
    latencies.sort();
    println!(
        "delivery to SSE event over {events}: p50 {:?}, p99 {:?}, max {:?}",
        pct(&latencies, 0.50),
        pct(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default()
    );

    // 2. Ingest with concurrent senders.
    let senders = support::env_num("BENCH_SENDERS", 64);
    let total = support::env_num("BENCH_DELIVERIES", 5000);
    let before = app
        .state
        .db
        .inbox_recent("us", i64::MAX)
        .await
        .unwrap()
        .len();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let t = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let (http, next) = (http.clone(), next.clone());
            let app_url = app.url("/webhooks/filevine");
            let tokens: Vec<String> = (0..total / senders + 1).map(|_| token(&app)).collect();
            tokio::spawn(async move {
                let mut ok = 0u64;
                for tok in tokens {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    let sent = http
                        .post(app_url.clone())
                        .bearer_auth(tok)
                        .body(body(2_000_000 + n))
                        .send()
                        .await;
                    ok += u64::from(sent.is_ok_and(|r| r.status().as_u16() == 202));
                }
                ok
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        accepted += task.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "ingest: {accepted} of {total} accepted by {senders} senders in {secs:.2} s: {:.0} deliveries/s",
        accepted as f64 / secs
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let depth = app.state.db.inbox_depth().await.unwrap();
        if depth == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let applied_in = t.elapsed().as_secs_f64();
    let rows = app.state.db.inbox_recent("us", i64::MAX).await.unwrap();
    let new = rows.len() - before;
    let applied = rows.iter().filter(|r| r.outcome == "applied").count() - before;
    let pending = rows.iter().filter(|r| r.outcome == "pending").count();
    println!(
        "ingest: {new} stored, {applied} applied, {pending} pending, {applied_in:.2} s after the first send; {} lost (answered 2xx, not stored)",
        (accepted as usize).saturating_sub(new)
    );

    // 3. Ingest across a kill -9 of the app's binary.
    restart::run(&app, || token(&app)).await;

    // 4. Repeat views with and without a healthy subscription.
    repeat_views::run().await;
}
