//! Dashboard benchmark: prints figures, asserts nothing about speed.
//!
//! `cargo bench --bench dashboard` (release build) prints, in one run:
//! - requests/second, p50/p99 and the app's CPU time per request at `BENCH_CONNS` (64)
//!   connections for the bare `/healthz`, signed-in `/`, `/profile` (two gateway calls) and
//!   `/projects` (a page of the table plus the cached summary), against an instant stand-in,
//!   with the app logging at INFO and at WARN, and the goals those figures decide
//!   ([`pages`]);
//! - the export of 10,000 projects from a gateway with 50 ms latency at `FV_CONCURRENCY` 1, 8
//!   and 25, next to the ideal `ceil(pages / C) x latency`, with the gateway calls it made;
//! - the app's peak resident memory over idle while exporting 100,000 projects, and while a
//!   client that stopped reading holds an export open (with the pages fetched meanwhile).
//!
//! The stand-in and the app are two child processes (the release binary:
//! `fv-partner-app fake-filevine` and `fv-partner-app`), so the app's CPU and memory come from
//! its own `/proc/<pid>` and count neither the stand-in nor this load generator.
//! `BENCH_PERF=FILE` records the app with `perf record -g` while `BENCH_PERF_PATH` (default
//! `/profile`) is under load, `BENCH_PERF_EXPORT=FILE` while it exports at `FV_CONCURRENCY=8`.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it does a tiny smoke run only.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "dashboard/load.rs"]
mod load;
#[path = "dashboard/pages.rs"]
mod pages;
#[path = "dashboard/procs.rs"]
mod procs;

use std::time::{Duration, Instant};

use common::{location, Browser, Choice};
use load::{export_once, hammer, slow_client, Load};
use procs::{free_port, App, StandIn};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The whole login as the demo user through the stand-in's sign-in page.
pub async fn login(app: &App) -> Browser {
    let b = Browser::new();
    let r = b.get(&app.url("/auth/login")).await;
    assert!(r.status().is_redirection(), "login redirects");
    let callback = b
        .provider_choose(&location(&r), Choice::User("fv-user-1001"))
        .await;
    let r = b.get(&callback).await;
    assert!(r.status().is_redirection(), "callback redirects");
    b
}

/// Signed-in pages against a gateway with `latency` per call: what the app adds to the
/// gateway's time. At as many connections as the user's share of `FV_CONCURRENCY` the pages
/// do not queue; at 64 they queue for the pool by design (one user, 8 calls in flight).
async fn slow_gateway_pages(load: &Load, latency: Duration) {
    let app_port = free_port();
    let fake = StandIn::start(1250, app_port);
    let app = App::start(&fake, app_port, 8).await;
    let b = login(&app).await;
    let warm = Load {
        concurrency: 8,
        max_requests: 64,
        max_time: Duration::from_secs(10),
    };
    for path in ["/profile", "/projects"] {
        hammer(&b.http, app.url(path), &warm, &app.proc).await;
    }
    fake.control(serde_json::json!({ "gateway_latency_ms": latency.as_millis() as u64 }))
        .await;
    println!(
        "-- pages against a gateway with {} ms latency per call, FV_CONCURRENCY=8, one user",
        latency.as_millis()
    );
    println!(
        "{:<38} {:>9} {:>10} {:>10} {:>14}",
        "page @ connections", "req/s", "p50 ms", "p99 ms", "app CPU/req ms"
    );
    for conns in [8, load.concurrency] {
        let at = Load {
            concurrency: conns,
            ..*load
        };
        for (label, path, calls) in [
            ("/projects (1 call; summary cached)", "/projects", 1u32),
            ("/profile (2 calls)", "/profile", 2),
        ] {
            // Keep the summary within its minute.
            let _ = b.get(&app.url("/projects")).await;
            let f = hammer(&b.http, app.url(path), &at, &app.proc).await;
            f.print(&format!("{label} @ {conns}"));
            println!(
                "   p50 is the gateway's {} ms + {:.1} ms",
                (latency * calls).as_millis(),
                (f.p50.as_secs_f64() - (latency * calls).as_secs_f64()) * 1e3
            );
        }
    }
}

async fn exports(projects: usize, latency: Duration, runs: usize, concurrencies: &[usize]) {
    let app_port = free_port();
    let fake = StandIn::start(projects, app_port);
    let pages = projects.div_ceil(1000);
    println!(
        "-- export of {projects} projects ({pages} pages of 1,000), gateway latency {} ms, median of {runs} runs",
        latency.as_millis()
    );
    println!(
        "{:>14} {:>9} {:>9} {:>7} {:>9} {:>6} {:>10} {:>12} {:>15}",
        "FV_CONCURRENCY",
        "time ms",
        "ideal ms",
        "ratio",
        "cold ms",
        "calls",
        "in flight",
        "app CPU ms",
        "stand-in CPU ms"
    );
    for &c in concurrencies {
        let app = App::start(&fake, app_port, c).await;
        let b = login(&app).await;
        fake.control(serde_json::json!({ "gateway_latency_ms": latency.as_millis() as u64 }))
            .await;
        // Cold: nobody looked at the dashboard, so the total is unknown to the app.
        let url = app.url("/projects/export.csv?archived=1");
        let (cold, rows) = export_once(&b.http, &url).await;
        assert_eq!(rows, projects, "cold export row count");
        // Warm: the dashboard's summary (cached) already knows the total.
        let _ = b.get(&app.url("/projects?archived=1")).await;
        let mut times = Vec::new();
        let mut calls = (0, 0);
        let cpu = (app.proc.cpu(), fake.proc.cpu());
        // `BENCH_PERF_EXPORT=FILE`: the app under `perf record` during the runs at 8.
        let perf = (c == 8)
            .then(|| std::env::var("BENCH_PERF_EXPORT").ok())
            .flatten()
            .map(|out| load::perf_record(&app.proc, &out));
        for _ in 0..runs {
            fake.control(serde_json::json!({ "reset_gateway_stats": true }))
                .await;
            let (t, rows) = export_once(&b.http, &url).await;
            assert_eq!(rows, projects, "export row count");
            times.push(t);
            calls = fake.gateway_stats().await;
        }
        if let Some(mut p) = perf {
            load::perf_stop(&mut p);
        }
        let per_run = |d: Duration| d.as_secs_f64() * 1e3 / runs as f64;
        let app_cpu = per_run(app.proc.cpu().saturating_sub(cpu.0));
        let fake_cpu = per_run(fake.proc.cpu().saturating_sub(cpu.1));
        times.sort();
        let median = times[times.len() / 2];
        let ideal = latency * pages.div_ceil(c) as u32;
        println!(
            "{c:>14} {:>9.1} {:>9.1} {:>6.2}x {:>9.1} {:>6} {:>10} {:>12.1} {:>15.1}",
            median.as_secs_f64() * 1e3,
            ideal.as_secs_f64() * 1e3,
            median.as_secs_f64() / ideal.as_secs_f64().max(1e-9),
            cold.as_secs_f64() * 1e3,
            calls.0,
            calls.1,
            app_cpu,
            fake_cpu,
        );
        fake.control(serde_json::json!({ "gateway_latency_ms": 0 }))
            .await;
    }
}

async fn memory(projects: usize) {
    let app_port = free_port();
    let fake = StandIn::start(projects, app_port);
    let app = App::start(&fake, app_port, 8).await;
    let b = login(&app).await;
    let url = app.url("/projects/export.csv?archived=1");
    // Idle = signed in, the dashboard seen (the stand-in built its data), no export yet: an
    // export before would leave its high-water mark in the allocator and hide the growth.
    let _ = b.get(&app.url("/projects?archived=1")).await;
    let idle = app.proc.rss_kib();
    app.proc.reset_peak();
    let started = Instant::now();
    let (_, rows) = export_once(&b.http, &url).await;
    let took = started.elapsed();
    let peak = app.proc.peak_kib();
    assert_eq!(rows, projects);
    println!(
        "-- memory: export of {rows} projects in {:.2} s: app RSS idle {:.1} MB, peak {:.1} MB, peak over idle {:.1} MB (target <= 30)",
        took.as_secs_f64(),
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak.saturating_sub(idle) as f64 / 1024.0
    );
    app.proc.reset_peak();
    let idle = app.proc.rss_kib();
    fake.control(serde_json::json!({ "reset_gateway_stats": true }))
        .await;
    let stall = Duration::from_secs(env_num("BENCH_STALL_SECS", 3));
    let read = slow_client(&app, &b, "/projects/export.csv?archived=1", stall).await;
    let (calls, _) = fake.gateway_stats().await;
    let peak = app.proc.peak_kib();
    println!(
        "-- slow client: read {} KB then stopped for {} s: {calls} of {} pages fetched, app RSS peak over idle {:.1} MB",
        read / 1024,
        stall.as_secs(),
        projects.div_ceil(1000),
        peak.saturating_sub(idle) as f64 / 1024.0
    );
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    println!(
        "fv-partner-app dashboard benchmark: {} cores (shared with whatever else runs)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    if !full {
        // `cargo test --all-targets`: prove it runs, measure nothing.
        pages::pages(&Load {
            concurrency: 4,
            max_requests: 20,
            max_time: Duration::from_secs(5),
        })
        .await;
        exports(2000, Duration::ZERO, 1, &[4]).await;
        return;
    }
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "pages" {
        pages::pages(&Load {
            concurrency: env_num("BENCH_CONNS", 64) as usize,
            max_requests: 1_000_000,
            max_time: Duration::from_secs(env_num("BENCH_SECS", 8)),
        })
        .await;
    }
    if only.is_empty() || only == "latency" {
        slow_gateway_pages(
            &Load {
                concurrency: env_num("BENCH_CONNS", 64) as usize,
                max_requests: 1_000_000,
                max_time: Duration::from_secs(env_num("BENCH_SECS", 8)),
            },
            Duration::from_millis(50),
        )
        .await;
    }
    if only.is_empty() || only == "export" {
        exports(10_000, Duration::from_millis(50), 5, &[1, 8, 25]).await;
    }
    if only.is_empty() || only == "memory" {
        memory(100_000).await;
    }
}
