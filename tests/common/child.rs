//! The app's binary as a child process that says when it is up: its stdout is read line by
//! line on a thread (and copied to a log file when asked), and the caller waits for the line
//! it needs. Shared by the tests that run the real binary as a server (`ops_cli.rs` includes
//! this file by path; it needs nothing else of the harness).

use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Starts `c` and returns it with the first line of its stdout for which `wanted` holds,
/// within 60 s; otherwise kills it and panics. With `log`, every line is appended there.
pub fn spawn_until(
    mut c: Command,
    wanted: impl Fn(&str) -> bool,
    log: Option<PathBuf>,
) -> (Child, String) {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = log.map(|path| {
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .unwrap()
        });
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(out) = out.as_mut() {
                let _ = writeln!(out, "{line}");
            }
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if wanted(&line) {
                return (child, line);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not print the line it was waited for");
}

/// Starts the demo (nothing configured, any free port) in `dir` and returns it with the URL it
/// printed; its log goes to `demo.log` there.
#[allow(dead_code)] // Not every test binary that includes this file starts the demo.
pub fn start_demo(dir: &std::path::Path) -> (Child, url::Url) {
    let mut c = app_command(dir);
    c.env("RUST_LOG", "info").env("FV_LISTEN", "127.0.0.1:0");
    let (child, line) = spawn_until(c, |l| l.contains("open "), Some(dir.join("demo.log")));
    let url = line.split("open ").nth(1).unwrap_or_default().trim();
    (
        child,
        url::Url::parse(url).expect("the demo prints its URL"),
    )
}

/// The app's binary in `dir`, with none of this environment's configuration (`FV_*`,
/// `DATABASE_URL`, the Python sample's `CLIENT_ID`/`CLIENT_SECRET`): what it does then is
/// what the test sets.
#[allow(dead_code)] // Not every test binary that includes this file runs the binary itself.
pub fn app_command(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("FV_") || k == "DATABASE_URL" || k == "CLIENT_ID" || k == "CLIENT_SECRET" {
            c.env_remove(k);
        }
    }
    c
}
