//! The edge benchmark: `cargo bench --bench edge`. Prints figures, asserts nothing.
//!
//! A signed-in client measures its own p99 on `/` alone, then again while `BENCH_FLOOD_CONNS`
//! (64) connections flood the app for `BENCH_SECS` (30) seconds with mixed bad traffic: slow
//! headers (a byte a second), made-up methods, oversized bodies, random paths and anonymous
//! login starts. Printed: the signed-in p50/p99 with and without the flood, what the flood
//! got (answers by status class, connections cut), resident memory (VmRSS) before and after,
//! and the growth of the SQLite database file.
//!
//! Everything runs in this one process on loopback (app, stand-in, flood, client), so the
//! flood competes with the app for the same cores: read the ratio, not the absolute numbers.
//! Without `--bench` (as `cargo test --all-targets` runs it) it does nothing.

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use common::{spawn_app, TestApp, TestOptions};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

fn main() {
    support::bench_main("edge", "cargo bench --bench edge", run);
}

fn db_bytes(app: &TestApp) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut p = app.db_path.clone().into_os_string();
            p.push(suffix);
            std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
        })
        .sum()
}

/// The signed-in client's latencies over `secs` seconds of back-to-back requests.
async fn measure(app: &TestApp, b: &common::Browser, secs: u64) -> Vec<Duration> {
    let mut out = Vec::new();
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        let t = Instant::now();
        let ok = b
            .http
            .get(app.url("/"))
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if ok {
            out.push(t.elapsed());
        }
    }
    out.sort();
    out
}

fn pct(v: &[Duration], p: f64) -> String {
    if v.is_empty() {
        return "n/a".to_owned();
    }
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    format!("{:.2} ms", v[i].as_secs_f64() * 1e3)
}

#[derive(Default)]
struct FloodStats {
    answered_2xx_3xx: AtomicU64,
    answered_4xx: AtomicU64,
    answered_5xx: AtomicU64,
    cut: AtomicU64,
}

/// One flood connection: picks a kind of bad request by `i`, sends it, reads what comes back.
async fn flood_one(port: u16, i: u64, stats: &FloodStats) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await else {
        stats.cut.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let request: Vec<u8> = match i % 5 {
        0 => {
            // Slow headers: a byte a second until cut off.
            for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n" {
                if s.write_all(&[*b]).await.is_err() {
                    stats.cut.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Vec::new()
        }
        1 => format!("M{i:0>150} / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes(),
        2 => {
            let mut r = b"POST /auth/logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n".to_vec();
            r.extend(std::iter::repeat_n(b'x', 256 * 1024));
            r
        }
        3 => format!(
            "GET /no/such/{i:x}/{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "p".repeat((i % 97) as usize)
        )
        .into_bytes(),
        _ => b"GET /auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
    };
    if !request.is_empty() && s.write_all(&request).await.is_err() {
        stats.cut.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut buf = vec![0u8; 16 * 1024];
    match tokio::time::timeout(Duration::from_secs(15), s.read(&mut buf)).await {
        Ok(Ok(n)) if n > 12 => {
            let code = &buf[9..10];
            let counter = match code {
                b"2" | b"3" => &stats.answered_2xx_3xx,
                b"4" => &stats.answered_4xx,
                _ => &stats.answered_5xx,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            stats.cut.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn run() {
    let secs = support::env_num("BENCH_SECS", 30);
    let conns = support::env_num("BENCH_FLOOD_CONNS", 64);
    let app = Arc::new(spawn_app(TestOptions::default()).await);
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;

    let quiet = measure(&app, &b, secs.min(10)).await;
    let rss_before = support::rss_kib();
    let db_before = db_bytes(&app);

    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(FloodStats::default());
    let counter = Arc::new(AtomicU64::new(0));
    let mut flood = Vec::new();
    for _ in 0..conns {
        let (stop, stats, counter, port) = (stop.clone(), stats.clone(), counter.clone(), app.port);
        flood.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                flood_one(port, i, &stats).await;
            }
        }));
    }
    let flooded = measure(&app, &b, secs).await;
    stop.store(true, Ordering::Relaxed);
    for f in flood {
        let _ = tokio::time::timeout(Duration::from_secs(20), f).await;
    }
    let rss_after = support::rss_kib();
    let db_after = db_bytes(&app);

    println!("edge benchmark ({secs} s flood, {conns} connections, one process on loopback)");
    println!(
        "signed-in GET /  quiet:   n={:>6}  p50 {:>10}  p99 {:>10}",
        quiet.len(),
        pct(&quiet, 0.50),
        pct(&quiet, 0.99)
    );
    println!(
        "signed-in GET /  flooded: n={:>6}  p50 {:>10}  p99 {:>10}",
        flooded.len(),
        pct(&flooded, 0.50),
        pct(&flooded, 0.99)
    );
    println!(
        "flood: {} requests; answered 2xx/3xx {}, 4xx {}, 5xx {}; cut or refused {}",
        counter.load(Ordering::Relaxed),
        stats.answered_2xx_3xx.load(Ordering::Relaxed),
        stats.answered_4xx.load(Ordering::Relaxed),
        stats.answered_5xx.load(Ordering::Relaxed),
        stats.cut.load(Ordering::Relaxed)
    );
    println!(
        "RSS: {:.1} MB before, {:.1} MB after the flood",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    println!(
        "database: {:.1} KB before, {:.1} KB after (+{:.1} KB)",
        db_before as f64 / 1024.0,
        db_after as f64 / 1024.0,
        db_after.saturating_sub(db_before) as f64 / 1024.0
    );
}
