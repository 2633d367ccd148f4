//! The demo and the stand-in from the command line: demo mode's own key, its loopback-only
//! listen address, and the stand-in run alone.

use super::cli::bin;
use crate::common::child;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Demo mode keeps its at-rest key next to its database, so a restart keeps demo sessions and
/// the saved demo PAT readable; a broken key file is a one-line start-up error, never a panic.
#[cfg(unix)]
#[test]
fn demo_mode_keeps_its_key_next_to_its_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("fv-partner-app.db.key");
    let first = bin(dir.path()).arg("check").output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let written = std::fs::read_to_string(&key).expect("the first demo start writes its key");
    assert_eq!(written.trim().len(), 64, "a 32-byte key in hex");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the key file is private");

    let second = bin(dir.path()).arg("check").output().unwrap();
    assert!(second.status.success());
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        written,
        "a restart reuses the key"
    );
    let out = String::from_utf8_lossy(&second.stdout).into_owned()
        + &String::from_utf8_lossy(&second.stderr);
    assert!(!out.contains(written.trim()), "the key was printed");

    std::fs::write(&key, "garbage\n").unwrap();
    let broken = bin(dir.path()).arg("check").output().unwrap();
    let err = String::from_utf8_lossy(&broken.stderr);
    assert_eq!(broken.status.code(), Some(2), "{err}");
    assert!(
        err.contains("fv-partner-app.db.key") && err.contains("FV_SECRET_KEY"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // An operator's own key wins, and no key file is needed then.
    std::fs::remove_file(&key).unwrap();
    let own = bin(dir.path())
        .arg("check")
        .env("FV_SECRET_KEY", "11".repeat(32))
        .output()
        .unwrap();
    assert!(own.status.success());
    assert!(
        !key.exists(),
        "a key file was written although FV_SECRET_KEY is set"
    );
}

/// Demo mode signs anyone in as a demo user: listening beyond loopback is a one-line
/// configuration error naming FV_LISTEN and the fix, never a silent start.
#[test]
fn demo_mode_refuses_a_listen_address_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    for listen in ["0.0.0.0:0", "[::]:0", "192.0.2.10:7059"] {
        let mut c = bin(dir.path());
        c.env("FV_LISTEN", listen)
            .env("DATABASE_URL", "sqlite::memory:");
        let out = output_within(c, Duration::from_secs(30));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{listen}: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| l.contains("FV_LISTEN")).collect();
        assert_eq!(lines.len(), 1, "{listen}: {err}");
        assert!(
            lines[0].starts_with("FV_LISTEN: ") && lines[0].contains("FV_LISTEN=127.0.0.1:"),
            "{listen}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = bin(dir.path())
        .arg("check")
        .env("FV_LISTEN", "127.0.0.1:0")
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The output of `c` once it exits, or (killed) after `limit`: a server that starts where it
/// should have refused fails the test instead of hanging it.
fn output_within(mut c: Command, limit: Duration) -> std::process::Output {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

/// The stand-in alone, as a partner developer runs it to test their own client against the
/// export's PascalCase: its banner says how it speaks, and its gateway answers so.
#[test]
fn fake_filevine_alone_can_speak_pascal_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = bin(dir.path());
    c.args([
        "fake-filevine",
        "--fake-listen",
        "127.0.0.1:0",
        "--fake-pascal-case",
    ]);
    let (mut child, issuer_line) =
        child::spawn_until(c, |l| l.contains("issuer (FV_AUTHORITY)"), None);
    let issuer = issuer_line.split_whitespace().last().unwrap().to_owned();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let me: serde_json::Value = rt.block_on(async {
        let http = reqwest::Client::builder()
            .user_agent("cli-test")
            .build()
            .unwrap();
        let token: serde_json::Value = http
            .post(format!("{issuer}/connect/token"))
            .form(&[
                ("grant_type", "personal_access_token"),
                ("token", fake_filevine::DEMO_PAT),
                ("scope", "fv.api.gateway.access openid"),
                ("client_id", fake_filevine::DEMO_CLIENT_ID),
                ("client_secret", "demo-secret-change-me"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        http.get(format!("{issuer}/fv-app/v2/Users/Me"))
            .bearer_auth(token["access_token"].as_str().expect("a token"))
            .header("x-fv-orgid", "5001")
            .header(
                "x-fv-userid",
                fake_filevine::REPORTING_BOT.user_id.to_string(),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        me["OrgUserId"]["Native"],
        fake_filevine::REPORTING_BOT.org_user_id(5001),
        "{me}"
    );
}
