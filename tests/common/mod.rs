//! Black-box test harness: the app on port 0 against the stand-in, and a browser-like client
//! (cookie jar, redirects off) that walks the login.
#![allow(dead_code)]

use fake_filevine::{FakeClient, FakeControl, FakeFilevine, FakeOptions};
use std::{net::TcpListener, sync::Arc, time::Duration};

use fv_partner_app::{
    config::{self, Settings, Sources},
    startup::Application,
};
use reqwest::{header, StatusCode};
use url::Url;

pub mod alert_sinks;
mod browser;
pub mod child;
pub mod connections;
pub mod feeds;
pub mod peer;
mod signed_in;
pub mod two_envs;
// Each test binary uses a part of the harness: an unused re-export is not a smell here.
#[allow(unused_imports)]
pub use browser::{csrf_of, hidden_inputs, location, rel_link, Browser, Choice};
#[allow(unused_imports)]
pub use signed_in::signed_in_with_ttl;

pub const CLIENT_ID: &str = "test-client";
pub const CLIENT_SECRET: &str = "test-client-secret-0123456789";
pub const SECRET_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// What to vary per test.
pub struct TestOptions {
    pub callback_path: &'static str,
    pub post_logout_path: &'static str,
    pub access_token_ttl: Duration,
    pub refresh_margin_secs: u64,
    pub database_url: Option<String>,
    pub extra_env: Vec<(String, String)>,
    pub fake: FakeOptions,
    /// Serve the app over https with a self-signed certificate (`FV_TLS_SELF_SIGNED`) and an
    /// https redirect URI; browsers then accept that certificate.
    pub https: bool,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            callback_path: "/auth/callback",
            post_logout_path: "/auth/logout/callback",
            access_token_ttl: Duration::from_secs(1200),
            refresh_margin_secs: 60,
            database_url: None,
            extra_env: Vec::new(),
            fake: FakeOptions::default(),
            https: false,
        }
    }
}

/// A running app plus its stand-in.
pub struct TestApp {
    pub base: Url,
    pub port: u16,
    pub fake: Arc<FakeFilevine>,
    pub settings: Settings,
    pub db_dir: Arc<tempfile::TempDir>,
    pub db_path: std::path::PathBuf,
    pub state: fv_partner_app::state::AppState,
    /// The app clock, shared by every replica of one [`spawn_replicas`] call.
    pub clock: fv_partner_app::util::Clock,
}

/// Every flow of every test that uses the harness is held to Filevine's published contract:
/// the stand-in refuses a request outside it (an unpublished path, method or parameter, a
/// missing tenant header), and a test that ends with such a refusal on record fails here, even
/// when the app tolerated the refusal (a failed GetUserOrgsWithToken at sign-in is only
/// logged). Likewise every answer the stand-in gave in the flow is validated against the
/// published schema, so the app was never taught a shape Filevine does not promise.
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let control = self.fake.control();
        let violations = control.contract_violations();
        assert!(
            violations.is_empty(),
            "the app sent requests outside Filevine's published contract: {violations:#?}"
        );
        let answers = control.answer_problems();
        assert!(
            answers.is_empty(),
            "the stand-in answered outside Filevine's published schema: {answers:#?}"
        );
    }
}

impl TestApp {
    pub fn control(&self) -> FakeControl {
        self.fake.control()
    }

    /// Moves time forward for the app (every replica) and the stand-in: tokens expire unslept.
    pub fn advance_clock(&self, by: Duration) {
        self.clock.advance(by);
        self.control().advance_clock(by);
    }

    /// A fresh browser: own cookie jar, no redirects (trusting an https app's own certificate).
    pub fn browser(&self) -> Browser {
        Browser::with_tls(self.base.scheme() == "https")
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    /// The binary configured for this app's stand-in and database, like an operator's cron
    /// job (no other `FV_` variable of the test's environment leaks in).
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
        c.current_dir(self.db_dir.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("FV_") || k == "DATABASE_URL" {
                c.env_remove(k);
            }
        }
        c.env("RUST_LOG", "warn")
            .env("FV_LISTEN", "127.0.0.1:0")
            .env("FV_AUTHORITY", self.fake.issuer())
            .env("FV_GATEWAY_URL", self.fake.gateway_url().to_string())
            .env("FV_CLIENT_ID", CLIENT_ID)
            .env("FV_CLIENT_SECRET", CLIENT_SECRET)
            .env("FV_SECRET_KEY", SECRET_KEY_HEX)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", self.db_path.display()),
            )
            .args(args);
        c
    }
}

/// Settings for an app on `port` against `fake`, through the real configuration resolver.
pub fn settings_for(fake: &FakeFilevine, port: u16, opts: &TestOptions, db_url: &str) -> Settings {
    let scheme = opts.scheme();
    let mut env: Vec<(String, String)> = vec![
        ("FV_AUTHORITY".into(), fake.issuer()),
        ("FV_GATEWAY_URL".into(), fake.gateway_url().to_string()),
        ("FV_CLIENT_ID".into(), CLIENT_ID.into()),
        ("FV_CLIENT_SECRET".into(), CLIENT_SECRET.into()),
        ("FV_SECRET_KEY".into(), SECRET_KEY_HEX.into()),
        (
            "FV_REDIRECT_URI".into(),
            format!("{scheme}://localhost:{port}{}", opts.callback_path),
        ),
        (
            "FV_POST_LOGOUT_REDIRECT_URI".into(),
            format!("{scheme}://localhost:{port}{}", opts.post_logout_path),
        ),
        ("FV_LISTEN".into(), format!("127.0.0.1:{port}")),
        ("DATABASE_URL".into(), db_url.to_owned()),
        (
            "FV_REFRESH_MARGIN_SECONDS".into(),
            opts.refresh_margin_secs.to_string(),
        ),
    ];
    if opts.https {
        env.push(("FV_TLS_SELF_SIGNED".into(), "true".into()));
    }
    // Tests drive hundreds of logins from one address; the rate-limit tests set their own.
    env.push(("FV_RATE_LIMIT_PER_MINUTE".into(), "100000".into()));
    // `{app}` in a value stands for this replica's own base URL (e.g. FV_PUBLIC_URL).
    let own = format!("{}://localhost:{port}", opts.scheme());
    env.extend(
        opts.extra_env
            .iter()
            .map(|(k, v)| (k.clone(), v.replace("{app}", &own))),
    );
    config::resolve(Sources {
        env,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("test settings invalid:\n{e}"))
}

impl TestOptions {
    fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }
}

/// Log lines captured from every test of this binary (see [`capture_logs`]).
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per test binary) a global subscriber with `filter` that writes every event
/// into a shared buffer (through the app's own [`fv_partner_app::telemetry::env_filter`], as
/// `RUST_LOG=filter` would), and bridges the `log` crate (reqwest, hyper-util, rustls) into it.
/// Call before [`spawn_app`]; the first call's filter wins.
pub fn capture_logs(filter: &str) -> LogBuffer {
    static BUFFER: std::sync::OnceLock<LogBuffer> = std::sync::OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = LogBuffer::default();
            let writer = buffer.clone();
            tracing_subscriber::fmt()
                .with_env_filter(fv_partner_app::telemetry::env_filter(filter))
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .try_init()
                .expect("capture_logs runs before any other subscriber is installed");
            buffer
        })
        .clone()
}

/// The error page's reference (`<code>...</code>` after "Reference"), to find its log line.
pub fn error_reference(html: &str) -> Option<String> {
    let at = html.find("eference")?;
    let rest = &html[at..];
    let start = rest.find("<code>")? + "<code>".len();
    let end = start + rest[start..].find("</code>")?;
    Some(rest[start..end].trim().to_owned())
}

/// Starts a stand-in and the app against it.
pub async fn spawn_app(opts: TestOptions) -> TestApp {
    spawn_replicas(1, opts).await.pop().unwrap()
}

/// Starts one stand-in and `n` app processes (replicas) sharing its client registration and
/// the database.
pub async fn spawn_replicas(n: usize, mut opts: TestOptions) -> Vec<TestApp> {
    let scheme = opts.scheme();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let mut fake_opts = std::mem::take(&mut opts.fake);
    fake_opts.access_token_ttl = opts.access_token_ttl;
    fake_opts.clients = vec![FakeClient {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uris: ports
            .iter()
            .map(|p| format!("{scheme}://localhost:{p}{}", opts.callback_path))
            .collect(),
        post_logout_redirect_uris: ports
            .iter()
            .map(|p| format!("{scheme}://localhost:{p}{}", opts.post_logout_path))
            .collect(),
    }];
    let fake = Arc::new(FakeFilevine::start(fake_opts).await.expect("fake starts"));
    let db_dir = Arc::new(tempfile::tempdir().unwrap());
    let db_path = db_dir.path().join("app.db");
    let db_url = opts
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", db_path.display()));
    let mut apps = Vec::new();
    let clock = fv_partner_app::util::Clock::system();
    for (listener, port) in listeners.into_iter().zip(ports) {
        let settings = settings_for(&fake, port, &opts, &db_url);
        let app = Application::build_with_clock(settings.clone(), listener, clock.clone())
            .await
            .expect("app builds");
        let state = app.state().clone();
        tokio::spawn(app.run_until(std::future::pending()));
        apps.push(TestApp {
            base: Url::parse(&format!("{scheme}://localhost:{port}/")).unwrap(),
            port,
            fake: fake.clone(),
            settings,
            db_dir: db_dir.clone(),
            db_path: db_path.clone(),
            state,
            clock: clock.clone(),
        });
    }
    apps
}

/// The PostgreSQL URL the test script provides.
pub fn postgres_url() -> String {
    std::env::var("FV_TEST_DATABASE_URL").expect(
        "FV_TEST_DATABASE_URL is not set: run the tests with ./scripts/test.sh, which starts PostgreSQL",
    )
}
