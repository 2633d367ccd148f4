//! The cancellation fault of issue 12 against an independent, certified provider
//! (`oidc-provider` on Node, `tests/e2e/provider.mjs`): rotating refresh tokens with reuse
//! detection (a consumed refresh token presented again revokes the grant). Requests on
//! sessions that need a refresh are abandoned by their client at a random point; afterwards
//! every session still works and the provider refused no refresh.
//!
//! Needs Node and `npm ci` in `tests/e2e` (`./scripts/test.sh` installs them). The login is
//! walked with plain HTTP through the provider's development login and consent forms.

mod common;

use std::{process::Stdio, sync::Arc, time::Duration};

use common::{hidden_inputs, location, Browser, SECRET_KEY_HEX};
use fake_filevine::{FakeFilevine, FakeOptions, TrustedIntrospection};
use fv_partner_app::{
    config::{self, Sources},
    startup::Application,
    util::Clock,
};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use url::Url;

const CLIENT_ID: &str = "fv-partner-app-peer";
const CLIENT_SECRET: &str = "peer-client-secret-0123456789abcdef";
const GATEWAY_RESOURCE: &str = "urn:fv-partner-app:e2e:gateway";
/// The provider's access-token lifetime; the app's clock passes it before every round.
const TTL: Duration = Duration::from_secs(20);
const SESSIONS: usize = 10;
const ROUNDS: usize = 10;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the provider and returns it with its issuer and the JSON events it prints.
async fn start_provider(
    app_base: &Url,
) -> (
    tokio::process::Child,
    Url,
    Arc<std::sync::Mutex<Vec<Value>>>,
) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    assert!(
        dir.join("node_modules/oidc-provider").exists(),
        "tests/e2e/node_modules is missing: run ./scripts/test.sh (it runs npm ci there)"
    );
    let port = free_port();
    let mut child = tokio::process::Command::new("node")
        .arg("provider.mjs")
        .current_dir(&dir)
        .env("PORT", port.to_string())
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env(
            "REDIRECT_URI",
            app_base.join("/auth/callback").unwrap().as_str(),
        )
        .env(
            "POST_LOGOUT_REDIRECT_URI",
            app_base.join("/auth/logout/callback").unwrap().as_str(),
        )
        .env("ACCESS_TOKEN_TTL", TTL.as_secs().to_string())
        .env("GATEWAY_RESOURCE", GATEWAY_RESOURCE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node tests/e2e/provider.mjs starts");
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stdout = child.stdout.take().unwrap();
    let sink = events.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            sink.lock()
                .unwrap()
                .push(serde_json::from_str(&line).unwrap_or(Value::String(line)));
        }
    });
    let issuer = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let discovery = issuer.join("/.well-known/openid-configuration").unwrap();
    for _ in 0..300 {
        if reqwest::get(discovery.clone())
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return (child, issuer, events);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the provider did not serve discovery within 30 s");
}

/// Walks the login: the app's redirect, the provider's login form (any password), its
/// consent form, the callback.
async fn peer_login(b: &Browser, app_base: &Url, user: &str) {
    let mut next = app_base.join("/auth/login").unwrap();
    for _ in 0..20 {
        let r = b.http.get(next.clone()).send().await.unwrap();
        if r.status().is_redirection() {
            let to = location(&r);
            if to.origin() == app_base.origin() && !to.path().starts_with("/auth/") {
                return;
            }
            next = to;
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
    panic!("the login did not come back to the app");
}

async fn abandoned_get(port: u16, cookie: &str, after: Duration) {
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!(
        "GET /profile HTTP/1.1\r\nHost: localhost:{port}\r\nCookie: fv_session={cookie}\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(after).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_refreshes_against_a_certified_provider_lose_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app_base = Url::parse(&format!("http://localhost:{port}/")).unwrap();
    let (_provider, issuer, events) = start_provider(&app_base).await;
    let fake = FakeFilevine::start(FakeOptions {
        trusted_introspection: Some(TrustedIntrospection {
            url: issuer.join("/token/introspection").unwrap(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            audience: Some(GATEWAY_RESOURCE.into()),
        }),
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    let db_dir = tempfile::tempdir().unwrap();
    let env = [
        (
            "FV_AUTHORITY",
            issuer.as_str().trim_end_matches('/').to_owned(),
        ),
        ("FV_GATEWAY_URL", fake.gateway_url().to_string()),
        ("FV_CLIENT_ID", CLIENT_ID.to_owned()),
        ("FV_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
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
            format!("sqlite://{}", db_dir.path().join("app.db").display()),
        ),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    let settings = config::resolve(Sources {
        env: env.to_vec(),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("settings invalid:\n{e}"));
    let clock = Clock::system();
    let app = Application::build_with_clock(settings, listener, clock.clone())
        .await
        .expect("app builds against the provider");
    tokio::spawn(app.run_until(std::future::pending()));

    let mut browsers = Vec::new();
    for _ in 0..SESSIONS {
        let b = Browser::new();
        peer_login(&b, &app_base, "fv-user-1001").await;
        let cookie = {
            use reqwest::cookie::CookieStore;
            let header = b.jar.cookies(&app_base).expect("a session cookie");
            header
                .to_str()
                .unwrap()
                .split("; ")
                .find_map(|c| c.strip_prefix("fv_session=").map(str::to_owned))
                .expect("signed in")
        };
        browsers.push((b, cookie));
    }
    let grants = |events: &std::sync::Mutex<Vec<Value>>, event: &str| {
        events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == event && e["grant_type"] == "refresh_token")
            .count()
    };
    for _ in 0..ROUNDS {
        // Past the access tokens' lifetime by the app's clock: every session refreshes.
        clock.advance(TTL + Duration::from_secs(1));
        futures::future::join_all(browsers.iter().map(|(_, cookie)| {
            let after = Duration::from_micros(rand::random::<u64>() % 15_000);
            abandoned_get(port, cookie, after)
        }))
        .await;
        for (b, _) in &browsers {
            let r = b.get(&app_base.join("/profile").unwrap()).await;
            assert_eq!(r.status(), StatusCode::OK, "session lost after an abort");
        }
    }
    let log: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect();
    println!(
        "{} refresh grants at the provider for {} abandoned requests",
        grants(&events, "grant.success"),
        SESSIONS * ROUNDS
    );
    assert!(
        !log.iter().any(|l| l.contains("grant.error")),
        "the provider refused a grant (a reused refresh token?):\n{}",
        log.join("\n")
    );
    assert!(
        grants(&events, "grant.success") >= ROUNDS,
        "refreshes happened"
    );
}
