//! The `healthcheck` subcommand against a running server, and shutdown on SIGTERM.

use crate::common::child;

use std::{
    process::Command,
    time::{Duration, Instant},
};

fn bin(dir: &std::path::Path, listen: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("FV_") || k == "DATABASE_URL" || k == "CLIENT_ID" || k == "CLIENT_SECRET" {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn")
        .env("FV_LISTEN", listen)
        .env("DATABASE_URL", format!("sqlite://{}/app.db", dir.display()));
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A stand-in for Filevine on loopback, and `c` configured against it as a real (not demo)
/// deployment: demo mode listens on loopback only, and the container binds every interface.
/// The runtime serves the stand-in from its own thread while the test runs.
fn against_stand_in() -> (tokio::runtime::Runtime, fake_filevine::FakeFilevine) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt
        .block_on(fake_filevine::FakeFilevine::start(Default::default()))
        .unwrap();
    (rt, fake)
}

fn real(mut c: Command, fake: &fake_filevine::FakeFilevine) -> Command {
    c.env("FV_AUTHORITY", fake.issuer())
        .env("FV_GATEWAY_URL", fake.gateway_url().as_str())
        .env("FV_CLIENT_ID", fake_filevine::DEMO_CLIENT_ID)
        .env("FV_CLIENT_SECRET", fake_filevine::DEMO_CLIENT_SECRET)
        .env("FV_SECRET_KEY", "00".repeat(32));
    c
}

/// Starts the server `c` and waits until it says it is running.
fn serve(c: Command) -> std::process::Child {
    child::spawn_until(c, |line| line.contains("is running"), None).0
}

/// Under TLS (`--tls-self-signed`) the probe speaks https to the self-signed server.
#[test]
fn healthcheck_speaks_https_when_tls_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut tls = bin(dir.path(), &listen);
    tls.env("FV_TLS_SELF_SIGNED", "true");
    let mut child = serve(tls);
    let mut probe = bin(dir.path(), &listen);
    let out = probe
        .env("FV_TLS_SELF_SIGNED", "true")
        .arg("healthcheck")
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let body = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{body} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(body.contains("\"ready\""), "{body}");
}

#[test]
fn healthcheck_follows_the_server_and_sigterm_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The server binds every interface, as in the container; the probe must use loopback.
    let listen = format!("0.0.0.0:{port}");
    let (_rt, fake) = against_stand_in();
    let bin = |dir: &std::path::Path, listen: &str| real(bin(dir, listen), &fake);

    // Nothing listens yet: not healthy.
    let out = bin(dir.path(), &listen)
        .arg("healthcheck")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");

    let mut child = serve(bin(dir.path(), &listen));

    let out = bin(dir.path(), &listen)
        .arg("healthcheck")
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{body} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(body.contains("\"ready\""), "{body}");

    // SIGTERM: the server drains and exits 0, well within the drain bound.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the server did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");

    let out = bin(dir.path(), &listen)
        .arg("healthcheck")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
