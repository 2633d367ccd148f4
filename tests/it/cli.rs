//! The command line: configuration errors at start-up, `check` and the demo start.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

pub(crate) fn bin(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("FV_") || k == "DATABASE_URL" || k == "CLIENT_ID" || k == "CLIENT_SECRET" {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn");
    c
}

#[test]
fn partial_configuration_fails_naming_each_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .env("FV_CLIENT_ID", "abc")
        .env("FV_CONCURRENCY", "99")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FV_CLIENT_SECRET"), "{err}");
    assert!(err.contains("FV_CONCURRENCY"), "{err}");
    assert!(err.contains("FV_SECRET_KEY"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn node_sample_config_json_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"port": 7059, "sessionSecret": "x", "fvApiGateway": {"Url": "https://api.filevineapp.com",
           "Authority": "http://evil.example", "ClientId": "id", "ClientSecret": "super-secret-value",
           "RedirectUri": "https://localhost:7059/signin-oidc", "PostLogoutRedirectUri": "https://localhost:7059/signout-callback-oidc",
           "ClockSkewSeconds": 30, "Scopes": ["openid", "email"]}}"#,
    )
    .unwrap();
    let out = bin(dir.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // A plain-http authority that is not loopback is refused, naming the key.
    assert!(
        err.contains("FV_AUTHORITY") || err.contains("Authority"),
        "{err}"
    );
    assert!(!err.contains("super-secret-value"), "secret leaked: {err}");
}

#[test]
fn check_in_demo_mode_reports_discovery_and_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/check.db", dir.path().display()),
        )
        .arg("check")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Provider discovery"), "{stdout}");
    assert!(stdout.contains("S256"), "{stdout}");
    assert!(stdout.contains("Demo mode"), "{stdout}");
    // What the provider really sends: where the user claims are, and which it supplies.
    assert!(stdout.contains("userinfo endpoint"), "{stdout}");
    assert!(stdout.contains("/connect/userinfo"), "{stdout}");
    assert!(stdout.contains("claims supported"), "{stdout}");
    assert!(stdout.contains("email_verified"), "{stdout}");
    // The ID-token algorithms, revocation and back-channel logout, as the stand-in advertises.
    let row = |label: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} row: {stdout}"))
            .to_owned()
    };
    assert!(row("ID token algorithms").contains("RS256"), "{stdout}");
    assert!(
        row("revocation endpoint").contains("/connect/revocation"),
        "{stdout}"
    );
    assert!(row("back-channel logout").contains("yes"), "{stdout}");
    assert!(!stdout.contains("Warning: FV_ADMIN_EMAILS"), "{stdout}");
    assert!(stdout.trim_end().ends_with("OK"));
}

#[test]
fn check_warns_when_admin_emails_could_never_match() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/check.db", dir.path().display()),
        )
        .env("FV_ADMIN_EMAILS", "boss@firm.example")
        // Neither the `email` scope nor the gateway's: no email can ever arrive.
        .env("FV_SCOPES", "openid profile offline_access")
        .arg("check")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Warning: FV_ADMIN_EMAILS is set, but no email can reach this app"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("fv.api.gateway.access"), "{stdout}");
}

#[test]
fn cargo_run_with_nothing_configured_starts_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin(dir.path())
        .env("FV_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let mut url = None;
    while Instant::now() < deadline
        && !(url.is_some() && seen.iter().any(|l: &String| l.contains("not Filevine")))
    {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(rest) = line.split("open ").nth(1) {
                url = Some(rest.trim().to_owned());
            }
            seen.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let url = url.unwrap_or_else(|| panic!("no URL printed: {seen:?}"));
    assert!(url.starts_with("http://localhost:"), "{url}");
    assert!(seen.iter().any(|l| l.contains("DEMO MODE")), "{seen:?}");
    assert!(seen.iter().any(|l| l.contains("not Filevine")), "{seen:?}");
}

/// A concrete path that the route `template` answers (`{id}` -> `42`, `/static/` -> a file).
fn concrete(template: &str) -> String {
    let mut path = template.replace("{id}", "42");
    if path.ends_with('/') && path.len() > 1 {
        path.push_str("x.css");
    }
    path
}

fn real_config(c: &mut Command) -> &mut Command {
    c.env("FV_CLIENT_ID", "id")
        .env("FV_CLIENT_SECRET", "client-secret-value-0123")
        .env("FV_AUTHORITY", "https://identity.example.com")
        .env("FV_SECRET_KEY", "00".repeat(32))
        .env("DATABASE_URL", "sqlite::memory:")
}

/// Exit code 2, no panic, and exactly one line, naming `key`, about it.
fn assert_route_collision(out: &std::process::Output, key: &str, path: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{key}={path}: {err}");
    assert!(!err.contains("panicked"), "{key}={path}: {err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with(&format!("{key}:")))
        .collect();
    assert_eq!(lines.len(), 1, "{key}={path}: {err}");
    assert!(lines[0].contains(path), "{key}={path}: {err}");
}

#[test]
fn a_callback_on_one_of_the_apps_routes_is_a_configuration_error_for_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let routes = fv_partner_app::web::served_paths();
    assert!(routes.contains(&"/projects") && routes.contains(&"/projects/{id}"));
    for template in routes {
        let path = concrete(template);
        for key in ["FV_REDIRECT_URI", "FV_POST_LOGOUT_REDIRECT_URI"] {
            let out = real_config(&mut bin(dir.path()))
                .env(key, format!("http://localhost:7059{path}"))
                .output()
                .unwrap();
            assert_route_collision(&out, key, &path);
        }
    }
}

#[test]
fn a_callback_on_one_of_the_apps_routes_is_refused_in_demo_mode_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .env("FV_REDIRECT_URI", "http://localhost:7059/projects")
        .env("FV_LISTEN", "127.0.0.1:0")
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert_route_collision(&out, "FV_REDIRECT_URI", "/projects");
}

#[test]
fn several_environments_with_an_unprefixed_client_id_exit_2_naming_the_prefixed_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path())
        .arg("check")
        .env("FV_ENVIRONMENTS", "us,ca")
        .env("FV_CLIENT_ID", "which-environment")
        .env("FV_US_CLIENT_ID", "us-client")
        .env("FV_US_CLIENT_SECRET", "us-secret-value-0123456789")
        .env("FV_CA_CLIENT_ID", "ca-client")
        .env("FV_DEV_CLIENT_SECRET", "stray-secret-value-0123")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("FV_CLIENT_ID") && err.contains("FV_US_CLIENT_ID, FV_CA_CLIENT_ID"),
        "{err}"
    );
    assert!(err.contains("FV_CA_CLIENT_SECRET"), "{err}");
    assert!(err.contains("FV_DEV_CLIENT_SECRET"), "{err}");
    assert!(
        !err.contains("stray-secret-value") && !err.contains("panicked"),
        "{err}"
    );
}
