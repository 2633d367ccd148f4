//! The real world for browser end-to-end tests: a certified OpenID provider (`oidc-provider`
//! on Node, see `tests/e2e/provider.mjs`), the app against it, the gateway stand-in trusting
//! that provider's tokens (by introspection), and headless Chromium driven over WebDriver
//! (chromedriver). A test module starts a [`World`], walks its journey and hands the outcome to
//! [`World::finish`].
//!
//! Each step leaves a screenshot in `target/e2e-screenshots/<test>/` (a CI artifact). A test
//! fails on any browser console error (chromedriver's `goog:loggingPrefs` browser log).
//!
//! Needs Debian's `chromium` and `chromium-driver`, Node and `npm ci` in `tests/e2e`:
//! `./scripts/test.sh` installs what is missing. Everything listens on loopback only, and the
//! browser is told to resolve no other host name.
#![allow(dead_code)]

pub mod driver;

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{ensure, Result};
use fake_filevine::{FakeFilevine, FakeOptions, ADA};
use fantoccini::Locator;
use url::Url;

use crate::common::peer::peer_app_with;
/// The certified provider: the peer every token test shares (`tests/common/peer.rs`).
pub use crate::common::peer::Peer as Provider;
pub use driver::{Driver, Session};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const SECRET_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/// The provider's access-token lifetime; a test moves the app's clock past it instead of
/// waiting, so it can be long enough that no page before that step needs a refresh.
pub const ACCESS_TOKEN_TTL_SECS: u64 = 60;
pub const REFRESH_MARGIN_SECS: u64 = 2;
/// How long one page may take to show what we wait for.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(20);

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails with a clear message when a tool the test needs is missing.
pub fn preflight() -> Result<()> {
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
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("bound address").port()
}

/// From the app's signed-out home page: Login with Filevine, Ada at the provider's
/// (devInteractions) login form (any password), its consent page, and back at the app signed
/// in. Screenshots `02-provider-login`, `03-provider-consent` and `04-signed-in`.
pub async fn sign_in(s: &mut Session, provider: &Provider) -> Result<()> {
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

    s.wait_for_text(&["Authorize"]).await?;
    s.step("03-provider-consent").await?;
    s.click("button[type='submit']").await?;

    s.wait_for_url("the app after the callback", |u| {
        s.on_app(u) && !u.path().starts_with("/auth/")
    })
    .await?;
    s.wait_for_text(&[&format!("Welcome, {}", ADA.name()), "Log out"])
        .await?;
    s.step("04-signed-in").await
}

/// Everything one browser test runs against. Dropping it stops the processes.
pub struct World {
    pub session: Session,
    pub provider: Provider,
    pub fake: FakeFilevine,
    pub state: fv_partner_app::state::AppState,
    started: Instant,
    _driver: Driver,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl World {
    /// Starts the provider, the stand-in, the app (with `extra_env` on top of the e2e
    /// settings) and a browser whose screenshots go to `target/e2e-screenshots/<name>/`.
    pub async fn start(name: &str, extra_env: &[(&str, &str)]) -> World {
        Self::start_with(name, extra_env, FakeOptions::default()).await
    }

    /// [`World::start`] with the gateway stand-in's data and behaviour set by `fake`.
    pub async fn start_with(name: &str, extra_env: &[(&str, &str)], fake: FakeOptions) -> World {
        Self::start_full(name, extra_env, fake, false).await
    }

    /// [`World::start`] with the app's `/auth/backchannel-logout` registered at the provider
    /// (as `http://127.0.0.1:<port>/...`, the address the app listens on): a sign-out at the
    /// provider posts a logout token to the app, server to server.
    pub async fn start_backchannel(name: &str, extra_env: &[(&str, &str)]) -> World {
        Self::start_full(name, extra_env, FakeOptions::default(), true).await
    }

    async fn start_full(
        name: &str,
        extra_env: &[(&str, &str)],
        fake: FakeOptions,
        backchannel: bool,
    ) -> World {
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
        // `localhost` for the app, `127.0.0.1` for the provider: two sites, so neither sees
        // the other's cookies (cookies ignore ports).
        let app_base = Url::parse(&format!("http://localhost:{app_port}/")).unwrap();

        let backchannel = backchannel.then(|| {
            Url::parse(&format!(
                "http://127.0.0.1:{app_port}/auth/backchannel-logout"
            ))
            .unwrap()
        });
        let ttl = Duration::from_secs(ACCESS_TOKEN_TTL_SECS);
        let provider = Provider::start_with(&app_base, ttl, backchannel.as_ref()).await;
        let db_dir = tempfile::tempdir().unwrap();
        let margin = REFRESH_MARGIN_SECS.to_string();
        let mut env = vec![("FV_REFRESH_MARGIN_SECONDS", margin.as_str())];
        env.extend_from_slice(extra_env);
        let clock = fv_partner_app::util::Clock::system();
        let (state, fake) = peer_app_with(
            &provider,
            app_listener,
            clock.clone(),
            db_dir.path(),
            &env,
            fake,
        )
        .await;

        let driver = Driver::start().await.expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let client = driver
            .session(profile.path())
            .await
            .expect("browser starts");
        let shots = manifest_dir().join("target/e2e-screenshots").join(name);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        World {
            session: Session {
                client,
                clock,
                app: app_base,
                shots,
                console_errors: Vec::new(),
            },
            provider,
            fake,
            state,
            started,
            _driver: driver,
            _dirs: (db_dir, profile),
        }
    }

    /// Ends the test: a failure screenshot and the provider's events when `outcome` failed,
    /// then a panic on the failure or on any browser console error.
    pub async fn finish(mut self, outcome: Result<()>) {
        if outcome.is_err() {
            let _ = self.session.step("99-failure").await;
        }
        let _ = self.session.client.clone().close().await;
        eprintln!(
            "browser e2e: {:?}, screenshots in {}",
            self.started.elapsed(),
            self.session.shots.display()
        );
        if let Err(e) = outcome {
            panic!(
                "browser e2e failed: {e:#}\nprovider events:\n{}",
                self.provider.log()
            );
        }
        assert!(
            self.session.console_errors.is_empty(),
            "browser console errors:\n{}",
            self.session.console_errors.join("\n")
        );
    }
}
