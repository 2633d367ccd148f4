//! The command line: configuration errors at start-up, `check`, the demo start and the
//! stand-in alone.

use crate::common::child;

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn bin(dir: &std::path::Path) -> Command {
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
