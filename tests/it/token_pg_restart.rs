//! Issue 12: PostgreSQL restarted under load. Requests during the outage get the 503 retry
//! page, none gets a 500, and every session works afterwards (including those whose refresh
//! happened while the database was away: the refresh task keeps trying to store).
//!
//! Runs against a private PostgreSQL cluster this test creates in a temporary directory on a
//! port of its own (restarting the shared one would disturb every other test running), with
//! PostgreSQL's server binaries (`initdb`, `pg_ctl`): `FV_TEST_PG_BIN` when set, else the
//! newest `/usr/lib/postgresql/<version>/bin` (Debian's layout), else `pg_config --bindir`.
//! Without them the test fails, naming what to install: a skip would read as a pass.

use crate::common;

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use common::*;
use reqwest::StatusCode;

const TTL: Duration = Duration::from_secs(60);

/// The directory holding `initdb` and `pg_ctl` (see the module docs); panics when none does.
fn pg_bin() -> PathBuf {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file();
    if let Some(dir) = std::env::var_os("FV_TEST_PG_BIN").map(PathBuf::from) {
        assert!(
            has_initdb(&dir),
            "FV_TEST_PG_BIN={} has no initdb",
            dir.display()
        );
        return dir;
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_initdb(bin))
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return bin;
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|dir| has_initdb(dir));
    from_pg_config.unwrap_or_else(|| {
        panic!(
            "no PostgreSQL initdb found (FV_TEST_PG_BIN, /usr/lib/postgresql/*/bin, pg_config \
             --bindir): install Debian's postgresql package"
        )
    })
}

/// A throwaway PostgreSQL cluster: `initdb` into a temp dir, trust auth, loopback only.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
}

impl Cluster {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root).
    fn pg(&self, tool: &str, args: &[&str]) {
        let bin = self.bin.join(tool);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        let out = cmd.args(args).output().expect("run a PostgreSQL binary");
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start() -> Self {
        let bin = pg_bin();
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres:postgres", dir.path().to_str().unwrap()])
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster { dir, port, bin };
        let data = cluster.data();
        cluster.pg(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        cluster.ctl("start");
        cluster
    }

    fn ctl(&self, action: &str) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("pg.log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                action,
            ],
        );
    }

    /// `pg_ctl <action>` without blocking the runtime the app is serving on.
    async fn ctl_async(&self, action: &str) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let data = self.data();
        let log = self.dir.path().join("pg.log");
        let args = [
            "-D",
            data.to_str().unwrap(),
            "-o",
            &opts,
            "-l",
            log.to_str().unwrap(),
            "-m",
            "fast",
            "-w",
            action,
        ];
        let bin = self.bin.join("pg_ctl");
        let mut cmd = if is_root() {
            let mut c = tokio::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&bin);
            c
        } else {
            tokio::process::Command::new(&bin)
        };
        let out = cmd.args(args).output().await.expect("pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl {action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| self.ctl("stop"));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[tokio::test]
async fn postgres_restarted_under_load_means_503s_then_every_session_works() {
    let cluster = Cluster::start();
    let app = spawn_app(TestOptions {
        access_token_ttl: TTL,
        database_url: Some(cluster.url()),
        ..Default::default()
    })
    .await;
    let mut browsers = Vec::new();
    for _ in 0..10 {
        let b = app.browser();
        b.login(&app, "fv-user-1001", None).await;
        browsers.push(b);
    }
    // Half the sessions need a refresh when the database goes away (the provider answers
    // slowly, so their refreshes are in flight and must store afterwards); the other half is
    // plain traffic that meets the outage.
    app.control().set_refresh_delay(Duration::from_millis(300));
    // 46 s in, every token is inside its (capped, 15 s) refresh margin: refresh sessions 0-4
    // now, so that 15 s later only sessions 5-9 need a refresh.
    app.advance_clock(Duration::from_secs(46));
    for b in &browsers[..5] {
        assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    }
    app.advance_clock(Duration::from_secs(15));
    let load = browsers.iter().map(|b| {
        let (http, url) = (b.http.clone(), app.url("/profile"));
        async move {
            let mut seen = Vec::new();
            for _ in 0..60 {
                if let Ok(r) = http.get(url.clone()).send().await {
                    seen.push(r.status());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            seen
        }
    });
    // A restart with the server away for 7 s: longer than the pool's 5 s acquire timeout, so
    // requests meet the outage instead of just waiting it out.
    let restart = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        cluster.ctl_async("stop").await;
        tokio::time::sleep(Duration::from_secs(7)).await;
        cluster.ctl_async("start").await;
    };
    let (statuses, ()) = tokio::join!(futures::future::join_all(load), restart);
    let statuses: Vec<StatusCode> = statuses.into_iter().flatten().collect();
    let outage = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    println!(
        "{} requests during the restart: {outage} answered 503",
        statuses.len()
    );
    assert!(outage > 0, "the outage was seen: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE),
        "only pages or the retry page: {statuses:?}"
    );
    app.control().set_refresh_delay(Duration::ZERO);
    for b in &browsers {
        assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    }
    assert_eq!(app.control().reused_refresh_tokens(), 0);
}
