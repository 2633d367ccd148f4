//! Refresh benchmark (prints figures; asserts nothing about speed):
//! - the added latency of a request that needs a refresh versus one that does not;
//! - requests per second on one session during a refresh storm (64 concurrent requests while
//!   5-second tokens keep expiring), with the number of refreshes the provider saw;
//! - a soak (issue 12): 10 minutes scaled down to 60 s of mixed traffic on 200 sessions with
//!   5-second tokens, a provider that answers refreshes 20 ms after rotating, and one request
//!   in ten abandoned by its client at a random point. It prints refreshes per token lifetime,
//!   reused refresh tokens (must be 0), lost sessions (must be 0) and p99 latency.
//!
//! `cargo bench --bench refresh`. Without `--bench` (as `cargo test --all-targets` runs it)
//! it does a short smoke run.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;

#[path = "refresh/soak.rs"]
mod soak;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn serial_latencies(b: &Browser, url: &url::Url, n: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = b.get(url).await;
        assert!(r.status().is_success(), "status {}", r.status());
        let _ = r.bytes().await;
        out.push(t.elapsed());
    }
    out.sort();
    out
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (n, storm_secs) = if full { (200, 12) } else { (5, 1) };

    // 1. No refresh needed: long-lived tokens.
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    let url = app.url("/profile");
    let plain = serial_latencies(&b, &url, n).await;

    // 2. Every request needs a refresh: the clock passes the tokens' expiry before each one.
    let app2 = spawn_app(TestOptions {
        access_token_ttl: Duration::from_secs(30),
        ..Default::default()
    })
    .await;
    let b2 = app2.browser();
    b2.login(&app2, "fv-user-1001", None).await;
    let before = app2.control().token_calls("refresh_token");
    let mut refreshing = Vec::with_capacity(n);
    for _ in 0..n {
        app2.advance_clock(Duration::from_secs(31));
        refreshing.extend(serial_latencies(&b2, &app2.url("/profile"), 1).await);
    }
    refreshing.sort();
    let refreshes = app2.control().token_calls("refresh_token") - before;

    println!(
        "refresh benchmark ({} requests each, /profile, stand-in on loopback, debug={})",
        n,
        cfg!(debug_assertions)
    );
    println!(
        "  no refresh:      p50 {:>8.2?}  p99 {:>8.2?}",
        percentile(&plain, 0.5),
        percentile(&plain, 0.99)
    );
    println!(
        "  with refresh:    p50 {:>8.2?}  p99 {:>8.2?}  ({refreshes} refreshes: /profile makes two gateway calls)",
        percentile(&refreshing, 0.5),
        percentile(&refreshing, 0.99)
    );
    println!(
        "  added by refresh (p50): {:.2?}",
        percentile(&refreshing, 0.5).saturating_sub(percentile(&plain, 0.5))
    );

    // 3. Refresh storm: 64 concurrent requests on one session for a while, 5-second tokens.
    let app3 = spawn_app(TestOptions {
        access_token_ttl: Duration::from_secs(5),
        refresh_margin_secs: 2,
        ..Default::default()
    })
    .await;
    let b3 = app3.browser();
    b3.login(&app3, "fv-user-1001", None).await;
    let url3 = app3.url("/profile");
    let deadline = Instant::now() + Duration::from_secs(storm_secs);
    let workers = (0..64).map(|_| {
        let http = b3.http.clone();
        let url = url3.clone();
        async move {
            let (mut ok, mut failed) = (0u64, 0u64);
            while Instant::now() < deadline {
                match http.get(url.clone()).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ok += 1
                    }
                    _ => failed += 1,
                }
            }
            (ok, failed)
        }
    });
    let started = Instant::now();
    let results = futures::future::join_all(workers).await;
    let elapsed = started.elapsed();
    let ok: u64 = results.iter().map(|r| r.0).sum();
    let failed: u64 = results.iter().map(|r| r.1).sum();
    println!(
        "  refresh storm:   {:.0} req/s on one session over {:.1?} with 64 connections; {} ok, {} failed, {} refreshes",
        ok as f64 / elapsed.as_secs_f64(),
        elapsed,
        ok,
        failed,
        app3.control().token_calls("refresh_token")
    );

    soak::run(full).await;
}
