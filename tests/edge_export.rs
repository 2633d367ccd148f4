//! `projects export --output FILE`, black-box through the binary in demo mode: the file is
//! created 0600, and a symlink planted at `FILE.partial` is not followed.

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
