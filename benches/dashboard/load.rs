//! The load side of the dashboard benchmark: a bounded request flood with latencies and the
//! app's CPU time, a streamed export that keeps nothing, a client that stops reading, and
//! `perf record` around a phase.

use std::{
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use crate::common::Browser;
use crate::procs::{App, Proc};

/// How hard and how long.
#[derive(Clone, Copy)]
pub struct Load {
    pub concurrency: usize,
    pub max_requests: usize,
    pub max_time: Duration,
}

/// What one flood measured.
pub struct Figures {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    /// The app process's CPU time (user + system) during the flood.
    pub app_cpu: Duration,
    /// Every successful request's latency, sorted (to merge floods).
    pub latencies: Vec<Duration>,
}

impl Figures {
    fn of(
        mut latencies: Vec<Duration>,
        errors: usize,
        elapsed: Duration,
        app_cpu: Duration,
    ) -> Self {
        latencies.sort();
        let pct = |p: f64| {
            latencies
                .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        Figures {
            requests: latencies.len(),
            errors,
            elapsed,
            p50: pct(0.50),
            p99: pct(0.99),
            app_cpu,
            latencies,
        }
    }

    /// The figures of two floods of the same page as one (requests, time and CPU added up).
    pub fn merge(self, other: Figures) -> Figures {
        let mut latencies = self.latencies;
        latencies.extend(other.latencies);
        Figures::of(
            latencies,
            self.errors + other.errors,
            self.elapsed + other.elapsed,
            self.app_cpu + other.app_cpu,
        )
    }

    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// Milliseconds of app CPU per successful request.
    pub fn cpu_per_request(&self) -> f64 {
        self.app_cpu.as_secs_f64() * 1e3 / self.requests.max(1) as f64
    }

    pub fn print(&self, label: &str) {
        println!(
            "{label:<38} {:>9.0} {:>10.2} {:>10.2} {:>14.3}   ({} ok, {} errors, {:.1} s)",
            self.rps(),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.cpu_per_request(),
            self.requests,
            self.errors,
            self.elapsed.as_secs_f64()
        );
    }
}

/// `load.concurrency` tasks share one cookie-carrying client (one keep-alive connection each)
/// and request `url` until the count or the time budget is used up.
pub async fn hammer(http: &reqwest::Client, url: Url, load: &Load, app: &Proc) -> Figures {
    let issued = Arc::new(AtomicUsize::new(0));
    let cpu_before = app.cpu();
    let started = Instant::now();
    let deadline = started + load.max_time;
    let mut tasks = Vec::new();
    for _ in 0..load.concurrency {
        let (http, url, issued) = (http.clone(), url.clone(), issued.clone());
        let max = load.max_requests;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < max {
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
    let app_cpu = app.cpu().saturating_sub(cpu_before);
    Figures::of(all, errors, elapsed, app_cpu)
}

/// One export, streamed and counted, never held: (time to the last byte, CSV data rows).
pub async fn export_once(http: &reqwest::Client, url: &Url) -> (Duration, usize) {
    let t = Instant::now();
    let r = http.get(url.clone()).send().await.expect("export request");
    assert!(r.status().is_success(), "export answered {}", r.status());
    let mut body = r.bytes_stream();
    // CSV records end with CRLF; a bare LF may sit inside a quoted cell.
    let (mut lines, mut prev) = (0usize, 0u8);
    while let Some(chunk) = body.next().await {
        for &b in chunk.expect("export body").iter() {
            lines += usize::from(b == b'\n' && prev == b'\r');
            prev = b;
        }
    }
    (t.elapsed(), lines.saturating_sub(1))
}

/// A raw TCP client (small receive buffer) that sends the request with the browser's
/// cookies, reads the first 64 KB and then stops reading for `stall` while the app's memory
/// is watched by the caller. Returns the bytes it read.
pub async fn slow_client(app: &App, b: &Browser, path: &str, stall: Duration) -> usize {
    use reqwest::cookie::CookieStore;
    let cookies = b
        .jar
        .cookies(&app.base)
        .and_then(|c| c.to_str().ok().map(str::to_owned))
        .unwrap_or_default();
    let addr = format!("127.0.0.1:{}", app.base.port().unwrap_or(80));
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let mut s = socket
        .connect(addr.parse().expect("addr"))
        .await
        .expect("connect");
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookies}\r\nUser-Agent: slow-client\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.expect("request");
    let mut buf = vec![0u8; 8192];
    let mut read = 0;
    while read < 64 * 1024 {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    tokio::time::sleep(stall).await;
    read
}

/// Starts `perf record` on the app process (call graphs from DWARF unwinding) into `out`.
pub fn perf_record(app: &Proc, out: &str) -> Child {
    let child = Command::new("perf")
        .args([
            "record",
            "-F",
            "499",
            "--call-graph",
            "dwarf,16384",
            "-o",
            out,
        ])
        .args(["-p", &app.child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("perf record starts (apt-get install linux-perf)");
    std::thread::sleep(Duration::from_millis(500));
    child
}

/// Stops `perf record` (SIGINT, so it writes its file) and waits for it.
pub fn perf_stop(p: &mut Child) {
    let _ = Command::new("kill")
        .args(["-INT", &p.id().to_string()])
        .status();
    let _ = p.wait();
}
