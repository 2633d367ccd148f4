//! The service account's PAT: the token source (cache, single flight, refusals, outages),
//! the settings page (admins only, Verify then Save, Remove, CSRF, nothing leaks) and
//! `fv-partner-app pat verify`.

#[path = "../common/mod.rs"]
mod common;
mod pat_verify;
mod settings_page;
mod token_source;

use fake_filevine::DEMO_PAT;
use std::{
    io::Write,
    process::Command,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use common::*;
use fv_partner_app::service_account::{PatClient, PatError};
use reqwest::{header, StatusCode};
use secrecy::SecretString;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";
const BOT_EMAIL: &str = "reporting-bot@lovelace-law.example";
const PAT_GRANT: &str = "personal_access_token";
const WRONG_PAT: &str = "fvpat_wrong_value_for_tests_9f8e7d6c5b4a";

// ------------------------------------------------------------------ captured logs

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log line of this test binary (debug and up) to a buffer, before the harness
/// installs its own subscriber.
fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let b = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_ansi(false)
            .with_writer(move || Capture(b.clone()))
            .try_init();
        buf
    })
    .clone()
}

fn logs_text() -> String {
    String::from_utf8_lossy(&capture_logs().lock().unwrap()).into_owned()
}

// ------------------------------------------------------------------ helpers

fn client_of(app: &TestApp) -> PatClient {
    let mut c = app.state.connections.pat_client().clone();
    c.backoff = Duration::from_millis(20);
    c
}

fn admin_opts() -> TestOptions {
    TestOptions {
        extra_env: vec![(
            "FV_ADMIN_EMAILS".into(),
            "someone@else.example, ADA@Lovelace-Law.example".into(),
        )],
        ..Default::default()
    }
}

async fn signed_in(app: &TestApp, sub: &str) -> Browser {
    let b = app.browser();
    b.login(app, sub, None).await;
    b
}

async fn settings_html(app: &TestApp, b: &Browser) -> (StatusCode, String) {
    let r = b.get(&app.url("/settings/connections")).await;
    (r.status(), r.text().await.unwrap())
}

/// Every file in the test's database directory (the SQLite file, -wal, -shm), concatenated.
fn db_bytes(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(app.db_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}
