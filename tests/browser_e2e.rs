//! The real thing, end to end: a certified OpenID provider (`oidc-provider` on Node, see
//! `tests/e2e/provider.mjs`), the app against it, the gateway stand-in trusting that provider's
//! tokens (by introspection), and headless Chromium driven over WebDriver (chromedriver) through
//! home, login, consent, profile, a page after the access token expired (refresh), logout with
//! the provider's confirmation, and the signed-out page.
//!
//! Each step leaves a screenshot in `target/e2e-screenshots/` (a CI artifact). The test fails on
//! any browser console error (chromedriver's `goog:loggingPrefs` browser log).
//!
//! Needs Debian's `chromium` and `chromium-driver`, Node and `npm ci` in `tests/e2e`:
//! `./scripts/test.sh` installs what is missing. Everything listens on loopback only, and the
//! browser is told to resolve no other host name.

use fake_filevine::{FakeFilevine, FakeOptions, TrustedIntrospection, ADA};
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use fantoccini::{wd::WebDriverCompatibleCommand, Client, ClientBuilder, Locator};
use fv_partner_app::{
    config::{self, Sources},
    startup::Application,
};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};
use url::Url;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CLIENT_ID: &str = "fv-partner-app-e2e";
const CLIENT_SECRET: &str = "e2e-client-secret-0123456789abcdef";
const SECRET_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/// The resource indicator the provider issues gateway access tokens for.
const GATEWAY_RESOURCE: &str = "urn:fv-partner-app:e2e:gateway";
/// The provider's access-token lifetime; the test moves the app's clock past it instead of
/// waiting, so it can be long enough that no page before that step needs a refresh.
const ACCESS_TOKEN_TTL_SECS: u64 = 60;
const REFRESH_MARGIN_SECS: u64 = 2;
/// How long one page may take to show what we wait for.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails with a clear message when a tool the test needs is missing.
fn preflight() -> Result<()> {
    let hint = "run the tests with ./scripts/test.sh, which installs Debian's chromium and \
                chromium-driver, and runs `npm ci` in tests/e2e";
    for tool in [CHROMIUM, CHROMEDRIVER] {
        ensure!(Path::new(tool).exists(), "{tool} is missing: {hint}");
    }
    let node = std::process::Command::new("node").arg("--version").output();
    ensure!(
        node.is_ok_and(|o| o.status.success()),
        "node is not on PATH: {hint}"
    );
    let modules = manifest_dir().join("tests/e2e/node_modules/oidc-provider");
    ensure!(modules.exists(), "{} is missing: {hint}", modules.display());
    Ok(())
}

/// A free loopback port (released again: the child process binds it right away).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("bound address").port()
}

/// The provider process and the JSON event lines it printed.
struct Provider {
    _child: Child,
    issuer: Url,
    events: Arc<Mutex<Vec<Value>>>,
}

impl Provider {
    /// Starts `tests/e2e/provider.mjs` and waits for its discovery document.
    async fn start(app_base: &Url, access_ttl: u64) -> Result<Self> {
        let port = free_port();
        let accounts = json!({
            ADA.sub: {
                "name": ADA.name(),
                "given_name": ADA.first_name,
                "family_name": ADA.last_name,
                "email": ADA.email,
                "email_verified": true,
                "preferred_username": ADA.username,
            }
        });
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(manifest_dir().join("tests/e2e"))
            .env("PORT", port.to_string())
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env("REDIRECT_URI", app_base.join("/auth/callback")?.as_str())
            .env(
                "POST_LOGOUT_REDIRECT_URI",
                app_base.join("/auth/logout/callback")?.as_str(),
            )
            .env("ACCESS_TOKEN_TTL", access_ttl.to_string())
            .env("ACCOUNTS", accounts.to_string())
            .env("GATEWAY_RESOURCE", GATEWAY_RESOURCE)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting node tests/e2e/provider.mjs")?;
        let events = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().context("provider stdout")?;
        let sink = events.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let event = serde_json::from_str(&line).unwrap_or(Value::String(line));
                sink.lock().unwrap().push(event);
            }
        });
        // The provider's warnings (development adapter, devInteractions) go to the test output.
        let stderr = child.stderr.take().context("provider stderr")?;
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[provider] {line}");
            }
        });
        let issuer = Url::parse(&format!("http://127.0.0.1:{port}"))?;
        let discovery = issuer.join("/.well-known/openid-configuration")?;
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(discovery.clone()).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if let Some(status) = child.try_wait()? {
                bail!("the provider exited with {status} before serving discovery");
            }
            ensure!(
                Instant::now() < deadline,
                "the provider did not serve discovery within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self {
            _child: child,
            issuer,
            events,
        })
    }

    /// How many token requests of this grant type succeeded.
    fn grants(&self, grant_type: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "grant.success" && e["grant_type"] == grant_type)
            .count()
    }

    fn saw(&self, event: &str) -> bool {
        self.events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e["event"] == event)
    }

    fn log(&self) -> String {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// chromedriver on a free loopback port.
struct Driver {
    _child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Result<Self> {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting chromedriver")?;
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = match http.get(format!("{url}/status")).send().await {
                Ok(r) => r
                    .json::<Value>()
                    .await
                    .ok()
                    .map(|v| v["value"]["ready"] == true),
                Err(_) => None,
            };
            if ready == Some(true) {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "chromedriver was not ready within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self { _child: child, url })
    }

    /// A headless Chromium session with a fresh profile that logs browser console messages.
    async fn session(&self, profile: &Path) -> Result<Client> {
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-extensions".to_owned(),
            "--disable-default-apps".to_owned(),
            "--window-size=1280,900".to_owned(),
            // Loopback only: no other host name resolves, whatever a page asks for.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
                .to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(caps) = caps else {
            unreachable!("capabilities are an object")
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .context("opening a chromedriver session")
    }
}

/// chromedriver's (pre-W3C) browser log endpoint: the console messages since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// The browser, where screenshots go, and the console errors seen so far.
struct Session {
    client: Client,
    /// The app's clock, moved past token expiry instead of sleeping.
    clock: fv_partner_app::util::Clock,
    app: Url,
    shots: PathBuf,
    console_errors: Vec<String>,
}

impl Session {
    /// Screenshot the page as `NN-name.png` and collect the console errors of the step.
    async fn step(&mut self, name: &str) -> Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(self.shots.join(format!("{name}.png")), png)?;
        self.collect_console(name).await
    }

    async fn collect_console(&mut self, step: &str) -> Result<()> {
        let entries = self.client.issue_cmd(BrowserLog).await?;
        for e in entries.as_array().into_iter().flatten() {
            let level = e["level"].as_str().unwrap_or_default();
            let message = e["message"].as_str().unwrap_or_default();
            eprintln!("[console {step}] {level} {message}");
            if level == "SEVERE" {
                self.console_errors.push(format!("{step}: {message}"));
            }
        }
        Ok(())
    }

    /// Waits for a page whose URL satisfies `pred`.
    async fn wait_for_url(&self, what: &str, pred: impl Fn(&Url) -> bool) -> Result<Url> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let url = self.client.current_url().await?;
            if pred(&url) {
                return Ok(url);
            }
            if Instant::now() > deadline {
                bail!("waited {STEP_TIMEOUT:?} for {what}; the browser is at {url}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's text contains every one of `needles`.
    ///
    /// The page may still be the previous one, or be replaced while we read it (a stale
    /// element): both mean "not yet".
    async fn wait_for_text(&self, needles: &[&str]) -> Result<String> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let text = match self.client.find(Locator::Css("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if needles.iter().all(|n| text.contains(n)) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                let url = self.client.current_url().await?;
                bail!("{url} does not show {needles:?}; it shows:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) -> Result<()> {
        self.client
            .wait()
            .at_most(STEP_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no {css} on the page"))?
            .click()
            .await?;
        Ok(())
    }

    fn on_app(&self, url: &Url) -> bool {
        url.origin() == self.app.origin()
    }
}

/// The journey. Each step waits for what a person would see, then screenshots it.
async fn journey(s: &mut Session, provider: &Provider) -> Result<()> {
    let org = ADA.orgs[0].name;

    // 1. Home page, signed out.
    s.client.goto(s.app.as_str()).await?;
    s.wait_for_text(&["Login with Filevine"]).await?;
    s.step("01-home").await?;

    // 2. Login with Filevine -> the provider's (devInteractions) login form: any username.
    s.click("main a[href='/auth/login']").await?;
    let provider_origin = provider.issuer.origin();
    s.wait_for_url("the provider's login page", |u| {
        u.origin() == provider_origin
    })
    .await?;
    let login = s
        .client
        .wait()
        .at_most(STEP_TIMEOUT)
        .for_element(Locator::Css("input[name='login']"))
        .await?;
    login.send_keys(ADA.sub).await?;
    s.client
        .find(Locator::Css("input[name='password']"))
        .await?
        .send_keys("any password will do")
        .await?;
    s.step("02-provider-login").await?;
    s.click("button[type='submit']").await?;

    // 3. The provider's consent page.
    s.wait_for_text(&["Authorize"]).await?;
    s.step("03-provider-consent").await?;
    s.click("button[type='submit']").await?;

    // 4. Back at the app, signed in.
    s.wait_for_url("the app after the callback", |u| {
        s.on_app(u) && !u.path().starts_with("/auth/")
    })
    .await?;
    s.wait_for_text(&[&format!("Welcome, {}", ADA.name()), "Log out"])
        .await?;
    s.step("04-signed-in").await?;

    // 5. The profile page: the user from the ID token and from the gateway (which only answers
    //    when the provider's access token introspects as live, with the gateway scope).
    s.client.goto(s.app.join("/profile")?.as_str()).await?;
    s.wait_for_text(&[&ADA.name(), ADA.email, org, "ID token claims"])
        .await?;
    s.step("05-profile").await?;
    ensure!(
        provider.grants("refresh_token") == 0,
        "no refresh expected yet:\n{}",
        provider.log()
    );

    // 6. Past the access token's lifetime (by the app's clock: no sleeping), the profile needs
    //    a refreshed token.
    s.clock
        .advance(Duration::from_secs(ACCESS_TOKEN_TTL_SECS + 1));
    s.client.goto(s.app.join("/profile")?.as_str()).await?;
    let text = s.wait_for_text(&[&ADA.name(), ADA.email, org]).await?;
    ensure!(
        !text.contains("could not") && !text.contains("Sign in again"),
        "the profile after expiry shows a problem:\n{text}"
    );
    s.step("06-profile-after-refresh").await?;
    ensure!(
        provider.grants("refresh_token") == 1,
        "expected exactly one refresh_token grant at the provider:\n{}",
        provider.log()
    );

    // 7. Log out -> the provider's end-session confirmation: "Yes, sign me out".
    s.click("form[action='/auth/logout'] button[type='submit']")
        .await?;
    s.wait_for_url("the provider's sign-out page", |u| {
        u.origin() == provider_origin
    })
    .await?;
    s.wait_for_text(&["Do you want to sign-out"]).await?;
    s.step("07-provider-logout").await?;
    s.click("button[name='logout'][value='yes']").await?;

    // 8. The app's signed-out landing page.
    s.wait_for_url("the app's signed-out page", |u| {
        s.on_app(u) && u.path() == "/auth/logout/callback"
    })
    .await?;
    s.wait_for_text(&["You are signed out"]).await?;
    s.step("08-signed-out").await?;
    ensure!(
        provider.saw("end_session.success"),
        "the provider did not end its session:\n{}",
        provider.log()
    );

    // 9. Signed out for real: the home page offers the login again.
    s.client.goto(s.app.as_str()).await?;
    let home = s.wait_for_text(&["Login with Filevine"]).await?;
    ensure!(!home.contains("Log out"), "still signed in:\n{home}");
    s.step("09-home-signed-out").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_login_refresh_logout_against_a_certified_provider() {
    let started = Instant::now();
    if let Err(e) = preflight() {
        panic!("browser e2e test cannot run: {e:#}");
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();

    let app_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let app_port = app_listener.local_addr().unwrap().port();
    // `localhost` for the app, `127.0.0.1` for the provider: two sites, so neither sees the
    // other's cookies (cookies ignore ports).
    let app_base = Url::parse(&format!("http://localhost:{app_port}/")).unwrap();

    let provider = Provider::start(&app_base, ACCESS_TOKEN_TTL_SECS)
        .await
        .expect("provider starts");
    let introspection = provider.issuer.join("/token/introspection").unwrap();
    let fake = FakeFilevine::start(FakeOptions {
        trusted_introspection: Some(TrustedIntrospection {
            url: introspection,
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            audience: Some(GATEWAY_RESOURCE.into()),
        }),
        ..FakeOptions::default()
    })
    .await
    .expect("gateway stand-in starts");

    let db_dir = tempfile::tempdir().unwrap();
    let env = [
        (
            "FV_AUTHORITY",
            provider.issuer.as_str().trim_end_matches('/'),
        ),
        ("FV_GATEWAY_URL", fake.gateway_url().as_str()),
        ("FV_CLIENT_ID", CLIENT_ID),
        ("FV_CLIENT_SECRET", CLIENT_SECRET),
        ("FV_SECRET_KEY", SECRET_KEY_HEX),
        (
            "FV_REDIRECT_URI",
            app_base.join("/auth/callback").unwrap().as_str(),
        ),
        (
            "FV_POST_LOGOUT_REDIRECT_URI",
            app_base.join("/auth/logout/callback").unwrap().as_str(),
        ),
        ("FV_LISTEN", &format!("127.0.0.1:{app_port}")),
        (
            "DATABASE_URL",
            &format!("sqlite://{}", db_dir.path().join("app.db").display()),
        ),
        (
            "FV_REFRESH_MARGIN_SECONDS",
            &REFRESH_MARGIN_SECS.to_string(),
        ),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let settings = config::resolve(Sources {
        env: env.to_vec(),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("e2e settings invalid:\n{e}"));
    let clock = fv_partner_app::util::Clock::system();
    let app = Application::build_with_clock(settings, app_listener, clock.clone())
        .await
        .expect("app builds against the provider");
    tokio::spawn(app.run_until(std::future::pending()));

    let driver = Driver::start().await.expect("chromedriver starts");
    let profile = tempfile::tempdir().unwrap();
    let client = driver
        .session(profile.path())
        .await
        .expect("browser starts");
    let shots = manifest_dir().join("target/e2e-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let mut session = Session {
        client,
        clock,
        app: app_base,
        shots,
        console_errors: Vec::new(),
    };

    let outcome = journey(&mut session, &provider).await;
    if outcome.is_err() {
        let _ = session.step("99-failure").await;
    }
    let Session {
        client,
        console_errors,
        shots,
        ..
    } = session;
    let _ = client.close().await;
    eprintln!(
        "browser e2e: {:?}, screenshots in {}",
        started.elapsed(),
        shots.display()
    );
    if let Err(e) = outcome {
        panic!(
            "browser e2e failed: {e:#}\nprovider events:\n{}",
            provider.log()
        );
    }
    assert!(
        console_errors.is_empty(),
        "browser console errors:\n{}",
        console_errors.join("\n")
    );
}
