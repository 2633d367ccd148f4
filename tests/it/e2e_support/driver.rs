//! Headless Debian Chromium through chromedriver: the driver process, a session with a fresh
//! profile, and the steps a test takes (screenshot, console errors, waits, clicks).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use fantoccini::{wd::WebDriverCompatibleCommand, Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use url::Url;

use super::{free_port, CHROMEDRIVER, CHROMIUM, STEP_TIMEOUT};

/// chromedriver on a free loopback port.
pub struct Driver {
    _child: Child,
    url: String,
}

impl Driver {
    pub async fn start() -> Result<Self> {
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
    pub async fn session(&self, profile: &Path) -> Result<Client> {
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
pub struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// The browser, where screenshots go, and the console errors seen so far.
pub struct Session {
    pub client: Client,
    /// The app's clock, moved past token expiry instead of sleeping.
    pub clock: fv_partner_app::util::Clock,
    pub app: Url,
    pub shots: PathBuf,
    pub console_errors: Vec<String>,
}

impl Session {
    /// Screenshot the page as `NN-name.png` and collect the console errors of the step.
    pub async fn step(&mut self, name: &str) -> Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(self.shots.join(format!("{name}.png")), png)?;
        self.collect_console(name).await
    }

    pub async fn collect_console(&mut self, step: &str) -> Result<()> {
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
    pub async fn wait_for_url(&self, what: &str, pred: impl Fn(&Url) -> bool) -> Result<Url> {
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
    pub async fn wait_for_text(&self, needles: &[&str]) -> Result<String> {
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

    pub async fn click(&self, css: &str) -> Result<()> {
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

    pub fn on_app(&self, url: &Url) -> bool {
        url.origin() == self.app.origin()
    }
}
