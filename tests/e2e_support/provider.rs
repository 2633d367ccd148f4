//! The certified OpenID provider: `tests/e2e/provider.mjs` (`oidc-provider` on Node) as a
//! child process, and the JSON event lines it prints.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use fake_filevine::ADA;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};
use url::Url;

use super::{free_port, manifest_dir, CLIENT_ID, CLIENT_SECRET, GATEWAY_RESOURCE};

/// The provider process and the JSON event lines it printed.
pub struct Provider {
    _child: Child,
    pub issuer: Url,
    events: Arc<Mutex<Vec<Value>>>,
}

impl Provider {
    /// Starts `tests/e2e/provider.mjs` and waits for its discovery document.
    pub async fn start(app_base: &Url, access_ttl: u64) -> Result<Self> {
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
    pub fn grants(&self, grant_type: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "grant.success" && e["grant_type"] == grant_type)
            .count()
    }

    pub fn saw(&self, event: &str) -> bool {
        self.events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e["event"] == event)
    }

    pub fn log(&self) -> String {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}
