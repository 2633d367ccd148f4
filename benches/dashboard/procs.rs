//! The two child processes of the dashboard benchmark, both the release binary under test:
//! the stand-in (`fv-partner-app fake-filevine`) and the app (`fv-partner-app`, configured by
//! environment). Separate processes, so the app's CPU time and resident memory are read from
//! its own `/proc/<pid>` and include neither the stand-in's work nor the load generator's.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use url::Url;

use crate::common::{CLIENT_ID, CLIENT_SECRET, SECRET_KEY_HEX};

const BIN: &str = env!("CARGO_BIN_EXE_fv-partner-app");

/// A free loopback port (bound, read, released: a tiny race nobody else on loopback runs).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A child process that is killed when dropped.
pub struct Proc {
    pub child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// CPU time (user + system) the process has used so far.
    pub fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which may contain spaces) start at `) `.
        let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
        let f: Vec<u64> = rest.split(' ').map(|v| v.parse().unwrap_or(0)).collect();
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after `) `.
        let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
        Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64)
    }

    fn status_kib(&self, key: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Resident memory now, KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// Peak resident memory since [`Proc::reset_peak`], KiB.
    pub fn peak_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// Resets the kernel's peak-RSS mark (`5` to `/proc/<pid>/clear_refs`).
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }
}

fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// The stand-in in its own process, with `projects` projects per org and the benchmark's
/// client registered for an app on `app_port`.
pub struct StandIn {
    /// The stand-in's process (killed on drop).
    pub proc: Proc,
    pub base: Url,
    http: reqwest::Client,
}

impl StandIn {
    pub fn start(projects: usize, app_port: u16) -> StandIn {
        let port = free_port();
        let child = Command::new(BIN)
            .arg("fake-filevine")
            .args(["--fake-listen", &format!("127.0.0.1:{port}")])
            .args(["--fake-client-id", CLIENT_ID])
            .args(["--fake-client-secret", CLIENT_SECRET])
            .args([
                "--fake-redirect-uri",
                &format!("http://localhost:{app_port}/auth/callback"),
            ])
            .args([
                "--fake-post-logout-redirect-uri",
                &format!("http://localhost:{app_port}/auth/logout/callback"),
            ])
            .args(["--fake-projects", &projects.to_string()])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("stand-in starts");
        let mut proc = Proc { child };
        // It prints its addresses, then "Press Ctrl-C to stop." once it is listening.
        let out = proc.child.stdout.take().expect("stdout");
        for line in BufReader::new(out).lines() {
            if line.map(|l| l.starts_with("Press Ctrl-C")).unwrap_or(true) {
                break;
            }
        }
        StandIn {
            proc,
            base: Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap(),
            http: reqwest::Client::new(),
        }
    }

    /// `POST /_fake/control` with `body`; returns the stats it answers with.
    pub async fn control(&self, body: serde_json::Value) -> serde_json::Value {
        self.http
            .post(self.base.join("_fake/control").unwrap())
            .json(&body)
            .send()
            .await
            .expect("control")
            .json()
            .await
            .expect("control json")
    }

    /// Gateway calls since the last reset, and the most in flight at once.
    pub async fn gateway_stats(&self) -> (u64, u64) {
        let s: serde_json::Value = self
            .http
            .get(self.base.join("_fake/stats").unwrap())
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats json");
        (
            s["gateway_requests"].as_u64().unwrap_or(0),
            s["gateway_max_in_flight"].as_u64().unwrap_or(0),
        )
    }
}

/// The app in its own process against `fake`, on `port`, with `FV_CONCURRENCY=concurrency`.
pub struct App {
    pub proc: Proc,
    pub base: Url,
    /// Where the app's log goes (its standard output, as a service manager would collect it).
    pub log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// How much the app logs: `Info` is its default filter (one access-log line per request),
/// `Warn` is `RUST_LOG=warn`, `Error` is the quiet benchmarks' `RUST_LOG=error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

impl App {
    pub async fn start(fake: &StandIn, port: u16, concurrency: usize) -> App {
        Self::start_logging(fake, port, concurrency, LogLevel::Error).await
    }

    /// [`App::start`] logging at `level` into a file of its own ([`App::log`]).
    pub async fn start_logging(
        fake: &StandIn,
        port: u16,
        concurrency: usize,
        level: LogLevel,
    ) -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let issuer = fake.base.as_str().trim_end_matches('/').to_owned();
        let mut cmd = Command::new(BIN);
        for (k, _) in std::env::vars() {
            if k.starts_with("FV_") || k == "DATABASE_URL" || k == "RUST_LOG" {
                cmd.env_remove(k);
            }
        }
        match level {
            LogLevel::Info => {}
            LogLevel::Warn => {
                cmd.env("RUST_LOG", "warn");
            }
            LogLevel::Error => {
                cmd.env("RUST_LOG", "error");
            }
        }
        let log = dir.path().join("app.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let child = cmd
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("FV_AUTHORITY", &issuer)
            .env("FV_GATEWAY_URL", fake.base.as_str())
            .env("FV_CLIENT_ID", CLIENT_ID)
            .env("FV_CLIENT_SECRET", CLIENT_SECRET)
            .env("FV_SECRET_KEY", SECRET_KEY_HEX)
            .env(
                "FV_REDIRECT_URI",
                format!("http://localhost:{port}/auth/callback"),
            )
            .env(
                "FV_POST_LOGOUT_REDIRECT_URI",
                format!("http://localhost:{port}/auth/logout/callback"),
            )
            .env("FV_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("app.db").display()),
            )
            .env("FV_CONCURRENCY", concurrency.to_string())
            .env("FV_RATE_LIMIT_PER_MINUTE", "100000")
            .stdout(log_file)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("app starts");
        let app = App {
            proc: Proc { child },
            base: Url::parse(&format!("http://localhost:{port}/")).unwrap(),
            log,
            _dir: dir,
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(app.url("/healthz")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "app never came up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        app
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    /// Lines the app has logged so far.
    pub fn log_lines(&self) -> usize {
        std::fs::read(&self.log)
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .unwrap_or(0)
    }
}
