//! The certified peer: `oidc-provider` on Node (`tests/e2e/provider.mjs`), the gateway
//! stand-in trusting its tokens by introspection, and the app against both; plus the plain
//! HTTP walk through the provider's development login and consent forms.
//!
//! Needs Node and `npm ci` in `tests/e2e` (`./scripts/test.sh` installs them).

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use fake_filevine::{DemoUser, FakeFilevine, FakeOptions, TrustedIntrospection, ADA, BEN};
use fv_partner_app::{
    config::{self, Sources},
    startup::Application,
    state::AppState,
    util::Clock,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use url::Url;

use super::{hidden_inputs, location, Browser, SECRET_KEY_HEX};

pub const PEER_CLIENT_ID: &str = "fv-partner-app-peer";
pub const PEER_CLIENT_SECRET: &str = "peer-client-secret-0123456789abcdef";
const GATEWAY_RESOURCE: &str = "urn:fv-partner-app:e2e:gateway";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The claims the provider gives a demo user (Ada's verified email makes her an admin).
fn claims(u: &DemoUser) -> Value {
    json!({
        "name": u.name(),
        "given_name": u.first_name,
        "family_name": u.last_name,
        "email": u.email,
        "email_verified": true,
        "preferred_username": u.username,
    })
}

/// The provider process and the JSON events it printed.
pub struct Peer {
    _child: tokio::process::Child,
    pub issuer: Url,
    events: Arc<Mutex<Vec<Value>>>,
}

impl Peer {
    /// Starts the provider for an app at `app_base`, access tokens living `ttl`.
    pub async fn start(app_base: &Url, ttl: Duration) -> Self {
        Self::start_with(app_base, ttl, None).await
    }

    /// [`Peer::start`], and with `backchannel_logout` the client is registered for OpenID
    /// Connect Back-Channel Logout there (with `sid`): a sign-out at the provider posts a
    /// logout token to it (`backchannel.success` / `backchannel.error` events).
    pub async fn start_with(
        app_base: &Url,
        ttl: Duration,
        backchannel_logout: Option<&Url>,
    ) -> Self {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "tests/e2e/node_modules is missing: run ./scripts/test.sh (it runs npm ci there)"
        );
        let port = free_port();
        let accounts = json!({ ADA.sub: claims(&ADA), BEN.sub: claims(&BEN) });
        let mut command = tokio::process::Command::new("node");
        if let Some(uri) = backchannel_logout {
            command.env("BACKCHANNEL_LOGOUT_URI", uri.as_str());
        }
        let mut child = command
            .arg("provider.mjs")
            .current_dir(&dir)
            .env("PORT", port.to_string())
            .env("CLIENT_ID", PEER_CLIENT_ID)
            .env("CLIENT_SECRET", PEER_CLIENT_SECRET)
            .env(
                "REDIRECT_URI",
                app_base.join("/auth/callback").unwrap().as_str(),
            )
            .env(
                "POST_LOGOUT_REDIRECT_URI",
                app_base.join("/auth/logout/callback").unwrap().as_str(),
            )
            .env("ACCESS_TOKEN_TTL", ttl.as_secs().to_string())
            .env("ACCOUNTS", accounts.to_string())
            .env("GATEWAY_RESOURCE", GATEWAY_RESOURCE)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node tests/e2e/provider.mjs starts");
        let events = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = events.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let event = serde_json::from_str(&line).unwrap_or(Value::String(line));
                sink.lock().unwrap().push(event);
            }
        });
        let issuer = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let discovery = issuer.join("/.well-known/openid-configuration").unwrap();
        for _ in 0..300 {
            if reqwest::get(discovery.clone())
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Self {
                    _child: child,
                    issuer,
                    events,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the provider did not serve discovery within 30 s");
    }

    /// How many token requests of `grant_type` ended in `event` (`grant.success`).
    pub fn grants(&self, event: &str, grant_type: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == event && e["grant_type"] == grant_type)
            .count()
    }

    /// How many `event`s were printed (`grant.error` carries no grant type).
    pub fn count(&self, event: &str) -> usize {
        let events = self.events.lock().unwrap();
        events.iter().filter(|e| e["event"] == event).count()
    }

    /// Every event, one JSON line each.
    pub fn log(&self) -> String {
        let events = self.events.lock().unwrap();
        let lines: Vec<String> = events.iter().map(Value::to_string).collect();
        lines.join("\n")
    }
}

/// The app (and the gateway stand-in trusting `peer`) on `listener`, served in the
/// background; `extra_env` is added to the configuration.
pub async fn peer_app(
    peer: &Peer,
    listener: std::net::TcpListener,
    clock: Clock,
    db_dir: &std::path::Path,
    extra_env: &[(&str, &str)],
) -> (AppState, FakeFilevine) {
    peer_app_with(
        peer,
        listener,
        clock,
        db_dir,
        extra_env,
        FakeOptions::default(),
    )
    .await
}

/// [`peer_app`] with the gateway stand-in's data and behaviour set by `fake`.
pub async fn peer_app_with(
    peer: &Peer,
    listener: std::net::TcpListener,
    clock: Clock,
    db_dir: &std::path::Path,
    extra_env: &[(&str, &str)],
    fake: FakeOptions,
) -> (AppState, FakeFilevine) {
    let port = listener.local_addr().unwrap().port();
    let app_base = Url::parse(&format!("http://localhost:{port}/")).unwrap();
    let fake_options = fake;
    let fake = FakeFilevine::start(FakeOptions {
        trusted_introspection: Some(TrustedIntrospection {
            url: peer.issuer.join("/token/introspection").unwrap(),
            client_id: PEER_CLIENT_ID.into(),
            client_secret: PEER_CLIENT_SECRET.into(),
            audience: Some(GATEWAY_RESOURCE.into()),
        }),
        ..fake_options
    })
    .await
    .unwrap();
    let mut env: Vec<(String, String)> = [
        (
            "FV_AUTHORITY",
            peer.issuer.as_str().trim_end_matches('/').to_owned(),
        ),
        ("FV_GATEWAY_URL", fake.gateway_url().to_string()),
        ("FV_CLIENT_ID", PEER_CLIENT_ID.to_owned()),
        ("FV_CLIENT_SECRET", PEER_CLIENT_SECRET.to_owned()),
        ("FV_SECRET_KEY", SECRET_KEY_HEX.to_owned()),
        (
            "FV_REDIRECT_URI",
            app_base.join("/auth/callback").unwrap().to_string(),
        ),
        (
            "FV_POST_LOGOUT_REDIRECT_URI",
            app_base.join("/auth/logout/callback").unwrap().to_string(),
        ),
        ("FV_LISTEN", format!("127.0.0.1:{port}")),
        (
            "DATABASE_URL",
            format!("sqlite://{}", db_dir.join("app.db").display()),
        ),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .to_vec();
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let settings = config::resolve(Sources {
        env,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("settings invalid:\n{e}"));
    let app = Application::build_with_clock(settings, listener, clock)
        .await
        .expect("app builds against the provider");
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    (state, fake)
}

/// Walks the provider from `start` (its login form, any password, its consent form) as
/// `user`, and returns the first URL that leads back to `app_base` (the callback), unvisited.
pub async fn walk_provider(b: &Browser, start: Url, app_base: &Url, user: &str) -> Url {
    let mut next = start;
    for _ in 0..20 {
        if next.origin() == app_base.origin() {
            return next;
        }
        let r = b.http.get(next.clone()).send().await.unwrap();
        if r.status().is_redirection() {
            next = location(&r);
            continue;
        }
        assert_eq!(r.status(), StatusCode::OK, "at {next}");
        let page = r.url().clone();
        let html = r.text().await.unwrap();
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no form at {page}:\n{html}"));
        let mut form = hidden_inputs(&html);
        if html.contains("name=\"login\"") {
            form.push(("login".into(), user.into()));
            form.push(("password".into(), "any password will do".into()));
        }
        let r = b
            .http
            .post(page.join(action).unwrap())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_redirection(),
            "form at {page}: {}",
            r.status()
        );
        next = location(&r);
    }
    panic!("the provider did not send the browser back to the app");
}

/// Signs `user` in to the app at `app_base` through the provider.
pub async fn peer_login(b: &Browser, app_base: &Url, user: &str) {
    let r = b.get(&app_base.join("/auth/login").unwrap()).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let callback = walk_provider(b, location(&r), app_base, user).await;
    let r = b.get(&callback).await;
    assert!(r.status().is_redirection(), "callback: {}", r.status());
    let to = location(&r);
    assert!(!to.path().starts_with("/auth/"), "signed in: {to}");
}
