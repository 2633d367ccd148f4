//! Ingest across a `kill -9`: the app's binary runs as a child process on its own SQLite
//! database; `BENCH_SENDERS` senders post `BENCH_RESTART_DELIVERIES` distinct deliveries,
//! retrying one that got no answer (as Filevine retries) with the same token and body; once
//! half are answered 2xx the child is killed with SIGKILL and started again on the same port.
//! Then, once its worker is done: every delivery answered 2xx must be applied exactly once.
//! The binary is the one `cargo bench` built: its profile is printed with the figures.

use std::{
    collections::HashMap,
    process::{Child, Command},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use fv_partner_app::store::Db;

use crate::common::TestApp;
use crate::support::env_num;

const ORG: i64 = 5001;
/// Project ids of this benchmark's deliveries start here.
const BASE: i64 = 3_000_000;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(app: &TestApp, db_url: &str, port: u16) -> Child {
    let mut c: Command = app.command(&[]);
    c.env("DATABASE_URL", db_url)
        .env("FV_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    c.spawn().expect("the app's binary starts")
}

async fn until_up(base: &str) {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        let up = http.get(format!("{base}/healthz")).send().await;
        if up.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the app did not come up");
}

/// Posts delivery `n` until it is answered; whether it was answered 2xx.
async fn send(http: &reqwest::Client, url: &str, token: &str, n: i64) -> bool {
    let body = serde_json::json!({"Event": "PhaseChanged", "Object": "Project",
        "ProjectId": BASE + n, "OrgId": ORG, "Timestamp": n.to_string()})
    .to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let sent = http
            .post(url)
            .bearer_auth(token)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(r) => return r.status().is_success(),
            // The app is down: Filevine would retry the same delivery.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    false
}

pub async fn run(app: &TestApp, token: impl Fn() -> String) {
    let senders = env_num("BENCH_SENDERS", 64);
    let total = env_num("BENCH_RESTART_DELIVERIES", 4000) as i64;
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("restart.db").display());
    let db = Db::connect(&db_url).await.unwrap();
    let env = app.state.environments.default_env().name.clone();
    db.served_org_note(&env, ORG, app.clock.now_unix())
        .await
        .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start(app, &db_url, port);
    until_up(&base).await;

    let url = format!("{base}/webhooks/filevine");
    let (next, answered) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let tokens: Vec<String> = (0..total).map(|_| token()).collect();
    let tokens = Arc::new(tokens);
    let t = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let (next, answered, tokens) = (next.clone(), answered.clone(), tokens.clone());
            let (url, http) = (url.clone(), reqwest::Client::new());
            tokio::spawn(async move {
                let mut ok = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed) as i64;
                    if n >= total {
                        return ok;
                    }
                    if send(&http, &url, &tokens[n as usize], n).await {
                        answered.fetch_add(1, Ordering::Relaxed);
                        ok.push(n);
                    }
                }
            })
        })
        .collect();
    while answered.load(Ordering::Relaxed) < total as u64 / 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let killed_at = answered.load(Ordering::Relaxed);
    let pending_at_kill = db.inbox_depth().await.unwrap();
    let down = Instant::now();
    let mut child = start(app, &db_url, port);
    until_up(&base).await;
    let restart = down.elapsed();
    let mut ok = Vec::new();
    for task in tasks {
        ok.extend(task.await.unwrap());
    }
    let secs = t.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(120);
    while db.inbox_depth().await.unwrap() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let applied_in = t.elapsed().as_secs_f64();
    let rows = db.inbox_recent(&env, i64::MAX).await.unwrap();
    let mut applied: HashMap<i64, usize> = HashMap::new();
    for r in rows.iter().filter(|r| r.outcome == "applied") {
        *applied
            .entry(r.project_id.unwrap_or_default() - BASE)
            .or_default() += 1;
    }
    let lost = ok.iter().filter(|n| !applied.contains_key(n)).count();
    let twice = applied.values().filter(|c| **c > 1).count();
    let profile = if env!("CARGO_BIN_EXE_fv-partner-app").contains("/release/") {
        "release"
    } else {
        "debug (unoptimised: slower than production)"
    };
    println!(
        "ingest across kill -9 ({profile} binary, SQLite): {} of {total} answered 2xx by {senders} senders in {secs:.2} s ({:.0}/s, restart included); killed after {killed_at} answered, {pending_at_kill} of them not yet applied; back up in {restart:.2?}; all applied {applied_in:.2} s after the first send",
        ok.len(),
        ok.len() as f64 / secs
    );
    println!(
        "ingest across kill -9: {} applied, {lost} lost (answered 2xx, not applied), {twice} applied twice",
        applied.len()
    );
    let _ = child.kill();
    let _ = child.wait();
}
