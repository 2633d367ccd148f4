//! The soak of issue 12 (see the bench's module docs). Real time, real token expiry: the
//! point is what many lifetimes of rotating refresh tokens do under aborts.

use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use super::{common::*, percentile};

/// Sends a request and closes the socket after `after`, like a browser navigating away.
async fn abandon(app: &TestApp, cookie: &str, path: &str, after: Duration) {
    let Ok(mut socket) = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await else {
        return;
    };
    let request = format!(
        "GET {path} HTTP/1.1\\r\\nHost: localhost:{}\\r\\nCookie: fv_session={cookie}\\r\\n\\r\\n",
        app.port
    );
    let _ = socket.write_all(request.as_bytes()).await;
    tokio::time::sleep(after).await;
}

pub async fn run(full: bool) {
    let (sessions, secs, workers) = if full { (200, 60, 32) } else { (10, 2, 4) };
    let ttl = Duration::from_secs(5);
    let app = spawn_app(TestOptions {
        access_token_ttl: ttl,
        ..Default::default()
    })
    .await;
    let browsers: Vec<(Browser, String)> = futures::stream::iter(0..sessions)
        .map(|_| async {
            let b = app.browser();
            b.login(&app, "fv-user-1001", None).await;
            let cookie = b.session_cookie(&app).expect("signed in");
            (b, cookie)
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let control = app.control();
    control.set_refresh_delay(Duration::from_millis(20));
    let refreshes_before = control.successful_refreshes();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let browsers = &browsers;
    let app = &app;
    let runs = (0..workers).map(|_| async move {
        let mut latencies = Vec::new();
        let (mut aborted, mut failed) = (0u64, 0u64);
        while Instant::now() < deadline {
            let (b, cookie) = &browsers[rand::random::<usize>() % browsers.len()];
            let path = if rand::random::<bool>() {
                "/profile"
            } else {
                "/projects"
            };
            if rand::random::<u8>() % 10 == 0 {
                let after = Duration::from_micros(rand::random::<u64>() % 25_000);
                abandon(app, cookie, path, after).await;
                aborted += 1;
                continue;
            }
            let t = Instant::now();
            match b.http.get(app.url(path)).send().await {
                Ok(r) if r.status().is_success() => {
                    let _ = r.bytes().await;
                    latencies.push(t.elapsed());
                }
                _ => failed += 1,
            }
        }
        (latencies, aborted, failed)
    });
    let results = futures::future::join_all(runs).await;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = results.iter().flat_map(|r| r.0.clone()).collect();
    latencies.sort();
    let aborted: u64 = results.iter().map(|r| r.1).sum();
    let failed: u64 = results.iter().map(|r| r.2).sum();
    // Afterwards every session must still work.
    let mut lost = 0;
    for (b, _) in browsers {
        if !b.get(&app.url("/profile")).await.status().is_success() {
            lost += 1;
        }
    }
    let refreshes = control.successful_refreshes() - refreshes_before;
    let lifetimes = elapsed.as_secs_f64() / ttl.as_secs_f64();
    println!(
        "soak ({sessions} sessions, {:.1?}, {workers} workers, 5 s tokens, 1 in 10 requests abandoned, debug={})",
        elapsed,
        cfg!(debug_assertions)
    );
    println!(
        "  {} requests ok ({failed} failed, {aborted} abandoned); p50 {:.2?}, p99 {:.2?}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    println!(
        "  refreshes per session per token lifetime: {:.2} ({refreshes} refreshes, {lifetimes:.1} lifetimes)",
        refreshes as f64 / sessions as f64 / lifetimes
    );
    println!(
        "  reused refresh tokens: {} (must be 0); lost sessions: {lost} (must be 0)",
        control.reused_refresh_tokens()
    );
}
