//! Several environments (`FV_ENVIRONMENTS`) at the command line: `check` discovers and reports
//! every environment's provider by name, and one that cannot be reached fails the check (and
//! start-up), naming it. Two stand-ins on loopback play the environments; serving them is in
//! `tests/it/environments.rs`.

use crate::common;

use std::process::{Command, Output};

use common::SECRET_KEY_HEX;
use fake_filevine::{FakeFilevine, FakeOptions};

/// `fv-partner-app check` with `FV_ENVIRONMENTS=us,dev`, `us` at `us` and `dev` at `dev_issuer`.
fn check(dir: &std::path::Path, us: &FakeFilevine, dev_issuer: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("FV_") || k == "DATABASE_URL" {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn")
        .env("FV_ENVIRONMENTS", "us,dev")
        .env("FV_US_AUTHORITY", us.issuer())
        .env("FV_US_GATEWAY_URL", us.gateway_url().to_string())
        .env("FV_US_CLIENT_ID", "test-client")
        .env("FV_US_CLIENT_SECRET", "us-secret-0123456789")
        .env("FV_DEV_AUTHORITY", dev_issuer)
        .env("FV_DEV_GATEWAY_URL", "http://127.0.0.1:9/")
        .env("FV_DEV_CLIENT_ID", "dev-client")
        .env("FV_DEV_CLIENT_SECRET", "dev-secret-0123456789")
        .env("FV_SECRET_KEY", SECRET_KEY_HEX)
        .arg("check");
    c
}

/// Runs the command off the runtime's thread: the stand-ins answering it live on this runtime.
async fn run(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn check_reports_every_environment_and_fails_naming_an_unreachable_one() {
    let us = FakeFilevine::start(FakeOptions::default()).await.unwrap();
    let dev = FakeFilevine::start(FakeOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = run(check(dir.path(), &us, &dev.issuer())).await;
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{o}\n{e}");
    let us_issuer = us.issuer();
    let dev_issuer = dev.issuer();
    assert!(
        o.contains(&format!("Provider discovery of `us` ({us_issuer}")),
        "{o}"
    );
    assert!(
        o.contains(&format!("Provider discovery of `dev` ({dev_issuer}")),
        "{o}"
    );
    assert!(
        o.contains("FV_DEV_CLIENT_ID") && !o.contains("dev-secret-0123456789"),
        "{o}"
    );

    // The dev provider is down: the check says which environment and fails.
    let out = run(check(dir.path(), &us, "http://127.0.0.1:9")).await;
    let o = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{o}");
    assert!(o.contains("Problem: environment `dev`"), "{o}");
}
