//! `projects export --output FILE`, black-box through the binary: the file is created 0600, a
//! symlink planted at `FILE.partial` is not followed (demo mode), no PAT means exit 2, and a
//! gateway failing mid-export leaves neither `FILE` nor `FILE.partial` (against a stand-in the
//! test controls).

#![cfg(unix)]

use std::{os::unix::fs::PermissionsExt, process::Command};

fn bin(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("FV_") || k == "DATABASE_URL" {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn").env("FV_LISTEN", "127.0.0.1:0");
    c
}

#[test]
fn export_files_are_private_and_a_planted_symlink_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    // Someone else's file, and a link to it where the export writes first.
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out_path = dir.path().join("projects.csv");
    std::os::unix::fs::symlink(&victim, dir.path().join("projects.csv.partial")).unwrap();

    let out = bin(dir.path())
        .args(["projects", "export", "--output"])
        .arg(&out_path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");

    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "precious\n",
        "the export wrote through the symlink"
    );
    let meta = std::fs::symlink_metadata(&out_path).unwrap();
    assert!(meta.file_type().is_file(), "the export is a regular file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "export mode");
    assert!(std::fs::read_to_string(&out_path).unwrap().lines().count() > 1);
    assert!(!dir.path().join("projects.csv.partial").exists());
}

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[test]
fn export_without_a_pat_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.csv");
    let out = bin(dir.path())
        .env("FV_CLIENT_ID", "partner-app")
        .env("FV_CLIENT_SECRET", "partner-secret-0123456789")
        .env("FV_SECRET_KEY", KEY)
        .args(["projects", "export", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("set FV_PAT"), "{err}");
    assert!(!file.exists() && !dir.path().join("x.csv.partial").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_failing_mid_export_leaves_no_file_behind() {
    use fake_filevine::{FakeFilevine, FakeOptions, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PAT};
    let fake = FakeFilevine::start(FakeOptions {
        projects_per_org: 20_000,
        gateway_latency: std::time::Duration::from_millis(100),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.csv");
    let partial = dir.path().join("all.csv.partial");
    let child = bin(dir.path())
        .env("FV_AUTHORITY", fake.issuer())
        .env("FV_GATEWAY_URL", fake.gateway_url().to_string())
        .env("FV_CLIENT_ID", DEMO_CLIENT_ID)
        .env("FV_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("FV_SECRET_KEY", KEY)
        .env("FV_PAT", DEMO_PAT)
        .env("FV_CONCURRENCY", "1")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/app.db", dir.path().display()),
        )
        .args(["projects", "export", "--archived", "-o"])
        .arg(&file)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the export is under way (its partial file exists), every gateway call fails.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !partial.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the export never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    fake.control().fail_next_gateway_calls(500, 10_000, None);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!file.exists(), "a half export was left as the file");
    assert!(!partial.exists(), "the partial file was left behind");
}
