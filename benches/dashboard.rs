//! Dashboard benchmark: prints figures, asserts nothing about speed.
//!
//! `cargo bench --bench dashboard` runs the full measurement (release build):
//! - signed-in `GET /projects` requests/second and p50/p99 latency at 64 concurrent
//!   connections against the stand-in with no added latency, next to the bare `/healthz`
//!   route of the same server (the difference is sessions, token vault, gateway and templates);
//! - export of 10,000 projects from a gateway with 50 ms latency, next to the ideal
//!   `ceil(10000 / 1000) / concurrency x 50 ms`.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it does a tiny smoke run only.
//! Everything is on loopback and bounded in count and time.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use fake_filevine::FakeOptions;

struct Load {
    concurrency: usize,
    max_requests: usize,
    max_time: Duration,
}

struct Figures {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Figures {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// `load.concurrency` tasks share one cookie-carrying client (one keep-alive connection each)
/// and request `url` until the count or the time budget is used up.
async fn hammer(http: &reqwest::Client, url: url::Url, load: &Load) -> Figures {
    let issued = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + load.max_time;
    let mut tasks = Vec::new();
    for _ in 0..load.concurrency {
        let (http, url, issued) = (http.clone(), url.clone(), issued.clone());
        let max = load.max_requests;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline
                && issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < max
            {
                let t = Instant::now();
                match http.get(url.clone()).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("load task");
        all.extend(lat);
        errors += e;
    }
    let elapsed = started.elapsed();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Figures {
        requests: all.len(),
        errors,
        elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

fn print(name: &str, f: &Figures) {
    println!(
        "{name:<34} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} ok, {} errors, {:.1} s)",
        f.rps(),
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.requests,
        f.errors,
        f.elapsed.as_secs_f64()
    );
}

async fn dashboard(load: &Load) {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    // Warm up: pool connections, fill the summary cache.
    let warm = Load {
        concurrency: load.concurrency,
        max_requests: load.concurrency * 2,
        max_time: Duration::from_secs(10),
    };
    hammer(&b.http, app.url("/projects"), &warm).await;
    let health = hammer(&b.http, app.url("/healthz"), load).await;
    let projects = hammer(&b.http, app.url("/projects"), load).await;
    println!(
        "-- {} concurrent connections, stand-in with no added latency",
        load.concurrency
    );
    print("GET /healthz (bare route)", &health);
    print("GET /projects (signed in)", &projects);
    println!(
        "   /projects costs {:.1}x a bare route (sessions, token vault, gateway call, template)",
        health.rps() / projects.rps().max(1e-9)
    );
}

async fn export(projects: usize, latency: Duration, concurrency: usize, runs: usize) {
    let app = spawn_app(TestOptions {
        extra_env: vec![("FV_CONCURRENCY".into(), concurrency.to_string())],
        fake: FakeOptions {
            projects_per_org: projects,
            ..FakeOptions::default()
        },
        ..TestOptions::default()
    })
    .await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    app.control().set_gateway_latency(latency);
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..runs {
        app.control().reset_gateway_stats();
        let t = Instant::now();
        let body = b
            .get(&app.url("/projects/export.csv?archived=1"))
            .await
            .bytes()
            .await
            .expect("export body");
        times.push(t.elapsed());
        rows = csv::Reader::from_reader(&body[..]).records().count();
    }
    times.sort();
    let pages = projects.div_ceil(1000);
    let ideal = latency.mul_f64(pages as f64 / concurrency as f64);
    println!(
        "export {projects} projects, {} ms gateway, FV_CONCURRENCY={concurrency:>2}: median {:>7.1} ms over {runs} runs  (ideal {pages}/{concurrency} x {} ms = {:.1} ms; {} rows; {} gateway calls, max {} in flight)",
        latency.as_millis(),
        times[times.len() / 2].as_secs_f64() * 1e3,
        latency.as_millis(),
        ideal.as_secs_f64() * 1e3,
        rows,
        app.control().gateway_requests().len(),
        app.control().gateway_max_in_flight(),
    );
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    if !full {
        // `cargo test --all-targets`: prove it runs, measure nothing.
        dashboard(&Load {
            concurrency: 4,
            max_requests: 20,
            max_time: Duration::from_secs(5),
        })
        .await;
        export(2000, Duration::ZERO, 4, 1).await;
        return;
    }
    dashboard(&Load {
        concurrency: 64,
        max_requests: 200_000,
        max_time: Duration::from_secs(10),
    })
    .await;
    for c in [1, 8, 25] {
        export(10_000, Duration::from_millis(50), c, 5).await;
    }
}
