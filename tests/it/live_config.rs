//! `FV_PUBLIC_URL` on the command line: `check` prints it; a value that is not an https URL
//! (plain http only to loopback) stops start-up with exit code 2 and one line naming the key.

use std::process::Command;

use crate::common::child;

fn bin(dir: &std::path::Path) -> Command {
    let mut c = child::app_command(dir);
    c.env("RUST_LOG", "warn").env(
        "DATABASE_URL",
        format!("sqlite://{}/check.db", dir.display()),
    );
    c
}

#[test]
fn check_prints_fv_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .env("FV_PUBLIC_URL", "https://reports.example-firm.com")
        .arg("check")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("FV_PUBLIC_URL"))
        .unwrap_or_else(|| panic!("no FV_PUBLIC_URL row:\n{stdout}"));
    assert!(line.contains("https://reports.example-firm.com/"), "{line}");
}

#[test]
fn a_bad_fv_public_url_stops_start_up_naming_the_key() {
    for bad in [
        "http://reports.example-firm.com",
        "reports.example-firm.com",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = bin(dir.path())
            .env("FV_PUBLIC_URL", bad)
            .arg("check")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| l.contains("FV_PUBLIC_URL"))
            .collect();
        assert_eq!(lines.len(), 1, "{bad}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
