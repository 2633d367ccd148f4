//! `fv-partner-app pat verify`, run as the binary: who the PAT acts as, and each failure's
//! exit code and message (a bad PAT never printed).

use super::*;

fn bin(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("FV_") || k == "DATABASE_URL" || k == "CLIENT_ID" || k == "CLIENT_SECRET" {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn");
    c.env("DATABASE_URL", format!("sqlite://{}/pat.db", dir.display()));
    c.args(["pat", "verify"]);
    c
}

fn run(c: &mut Command) -> (Option<i32>, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn pat_verify_in_demo_mode_says_who_the_pat_is() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&mut bin(dir.path()));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("Reporting Bot <reporting-bot@lovelace-law.example>"),
        "{out}"
    );
    assert!(out.contains("Service account"), "{out}");
    assert!(out.contains("#5001"), "{out}");
    assert!(out.contains("1200 s"), "{out}");
    assert!(out.contains("fv.api.gateway.access"), "{out}");
    assert!(out.trim_end().ends_with("OK"), "{out}");
    assert!(!out.contains(DEMO_PAT) && !err.contains(DEMO_PAT));
}

#[test]
fn pat_verify_with_another_service_account_email_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) =
        run(bin(dir.path()).env("FV_SERVICE_ACCOUNT_EMAIL", "ada@lovelace-law.example"));
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("FV_SERVICE_ACCOUNT_EMAIL"), "{err}");
    assert!(err.contains(BOT_EMAIL), "{err}");
    // The right email passes.
    let (code, out, _) =
        run(bin(dir.path()).env("FV_SERVICE_ACCOUNT_EMAIL", BOT_EMAIL.to_uppercase()));
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn pat_verify_with_a_bad_pat_fails_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bin(dir.path())
        .env("FV_DEMO", "true")
        .env("FV_PAT", WRONG_PAT)
        .env("RUST_LOG", "debug"));
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("refused the personal access token"), "{err}");
    assert!(
        out.contains("…4a") || out.contains("5b4a"),
        "last four shown: {out}"
    );
    assert!(
        !out.contains(WRONG_PAT) && !err.contains(WRONG_PAT),
        "PAT printed"
    );
}

#[test]
fn pat_verify_without_a_pat_outside_demo_says_to_set_fv_pat() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bin(dir.path())
        .env("FV_DEMO", "false")
        .env("FV_AUTHORITY", "http://127.0.0.1:9")
        .env("FV_GATEWAY_URL", "http://127.0.0.1:9")
        .env("FV_CLIENT_ID", "id")
        .env("FV_CLIENT_SECRET", "secret-secret")
        .env("FV_SECRET_KEY", SECRET_KEY_HEX));
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(err.contains("set FV_PAT"), "{err}");
}

#[test]
fn pat_verify_with_the_provider_unreachable_fails_helpfully() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bin(dir.path())
        .env("FV_DEMO", "false")
        .env("FV_AUTHORITY", "http://127.0.0.1:9")
        .env("FV_GATEWAY_URL", "http://127.0.0.1:9")
        .env("FV_CLIENT_ID", "id")
        .env("FV_CLIENT_SECRET", "secret-secret")
        .env("FV_SECRET_KEY", SECRET_KEY_HEX)
        .env("FV_PAT", WRONG_PAT));
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("unreachable"), "{err}");
    assert!(!out.contains(WRONG_PAT) && !err.contains(WRONG_PAT));
}
