//! Composition: `Application::build(settings)` binds (port 0 in tests), resolves demo mode
//! into final settings ([`demo`]), discovers the provider, opens the database, wires the
//! services into [`AppState`], and returns something that can be served ([`server`]) until a
//! shutdown signal. Background tasks start in [`jobs`]; TLS comes from [`tls`].

#[cfg(feature = "demo")]
mod demo;
mod demo_gate;
#[cfg(feature = "demo")]
mod demo_key;
pub mod jobs;
mod server;
mod tls;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use url::Url;

pub use server::{shutdown_signal, DRAIN_TIMEOUT};

use crate::{
    auth::{oidc::DiscoveryError, Environment, Environments, OidcProvider, TokenVault},
    config::{ConfigErrors, Settings},
    crypto::Cipher,
    filevine::{Gateway, HttpGateway},
    state::{AppInner, AppState},
    store::{Db, DbError},
    util::Clock,
    web,
};

/// Why the app could not start. Each message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("could not listen on {addr}: {source}. Is another copy running? Set FV_LISTEN to another address")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// Discovery of one of several environments failed: the message names it.
    #[error("environment `{name}`: {source}")]
    EnvironmentDiscovery {
        name: String,
        source: DiscoveryError,
    },
    #[error("DATABASE_URL: {0}")]
    Db(#[from] DbError),
    #[error("the demo stand-in for Filevine could not start: {0}")]
    Fake(String),
    /// Demo mode asked of a build without the stand-in ([`demo_gate`]).
    #[error("this build has no demo stand-in (built without the `demo` feature): set FV_CLIENT_ID, FV_CLIENT_SECRET and FV_SECRET_KEY, or build with default features")]
    NoDemo,
    #[error("TLS: {0}")]
    Tls(String),
    /// Demo mode's kept key (`startup::demo_key`) is unreadable.
    #[error("{0}")]
    DemoKey(String),
    /// A setting that only start-up can judge (a callback path that is one of the app's own
    /// routes): reported like any configuration error, one line per key.
    #[error("the configuration has problems.\n{0}")]
    Config(#[from] ConfigErrors),
}

impl StartupError {
    /// The process exit code: 2 for configuration the operator must fix, 1 for everything
    /// else (a port in use, a provider that is down).
    pub fn exit_code(&self) -> u8 {
        match self {
            StartupError::Config(_) | StartupError::DemoKey(_) | StartupError::NoDemo => 2,
            _ => 1,
        }
    }
}

/// A built, bound, not yet running app.
pub struct Application {
    listener: std::net::TcpListener,
    router: Router,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    state: AppState,
    #[cfg(feature = "demo")]
    fake: Option<fake_filevine::FakeFilevine>,
}

impl Application {
    /// Binds `settings.server.listen` and builds.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let listener = std::net::TcpListener::bind(settings.server.listen).map_err(|source| {
            StartupError::Bind {
                addr: settings.server.listen,
                source,
            }
        })?;
        Self::build_with_listener(settings, listener).await
    }

    /// Builds on a throwaway loopback port, for the one-shot commands (`check`, `pat verify`,
    /// exports): discovery, the database and, in demo mode, the stand-in come up exactly as
    /// when serving, but nothing listens where a browser would look.
    pub async fn build_for_command(mut settings: Settings) -> Result<Self, StartupError> {
        settings.server.listen = ([127, 0, 0, 1], 0).into();
        Self::build(settings).await
    }

    /// Builds on an already bound listener (tests bind port 0 first so that they know the
    /// redirect URI before the provider is told about it).
    pub async fn build_with_listener(
        settings: Settings,
        listener: std::net::TcpListener,
    ) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, listener, Clock::system()).await
    }

    /// [`Application::build_with_listener`] with the app's clock given: tests share one
    /// [`Clock`] between replicas and move it instead of sleeping until tokens expire.
    pub async fn build_with_clock(
        settings: Settings,
        listener: std::net::TcpListener,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        crate::metrics::install();
        let bind_error = |source| StartupError::Bind {
            addr: settings.server.listen,
            source,
        };
        listener.set_nonblocking(true).map_err(bind_error)?;
        if settings.demo {
            demo_gate::available(cfg!(feature = "demo"))?;
        }
        let tls = tls::config(&settings.tls).await?;
        #[cfg(feature = "demo")]
        let (settings, fake) = if settings.demo {
            let addr = listener.local_addr().map_err(bind_error)?;
            let (settings, fake) =
                demo::resolve(settings, addr, tls.is_some(), clock.now_utc()).await?;
            (settings, Some(fake))
        } else {
            (settings, None)
        };
        crate::config::check_route_paths(&settings, &web::served_paths())?;

        let http = provider_http_client()?;
        let environments = Arc::new(environments(&settings, &http, &clock).await?);
        let db = Db::connect(&settings.db.url).await?;
        let cipher = Cipher::new(&settings.db.secret_key);
        let vault = Arc::new(TokenVault::new(
            db.clone(),
            cipher.clone(),
            environments.clone(),
            settings.session.refresh_margin,
            settings.session.absolute_timeout,
            clock.clone(),
        ));
        let https = settings.oidc.https();
        let connections =
            connections(&settings, &environments, http.clone(), &db, &cipher, &vault).await?;
        let health = jobs::health(&settings, &connections, &db, &clock);
        let store = db.session_store();
        let feed_limits =
            crate::util::keyed_rate::KeyedRate::new(settings.server.feed_rate_per_minute);
        let summaries = Arc::new(crate::projects::SummaryCache::new(clock.clone()));
        let reports = Arc::new(crate::projects::report_scan::ReportCache::new(
            clock.clone(),
        ));
        let pages = Arc::new(crate::projects::page_cache::PageCache::new(clock.clone()));
        let live = Arc::new(crate::live::LiveHub::new(vec![
            summaries.clone(),
            reports.clone(),
            pages.clone(),
        ]));
        let state = AppState::new(AppInner {
            settings,
            clock,
            environments,
            vault,
            cipher,
            db,
            https,
            summaries,
            reports,
            pages,
            feed_limits,
            connections,
            health,
            exports: crate::util::slots::KeyedSlots::new(crate::state::EXPORTS_PER_USER),
            summary_scans: crate::util::slots::KeyedSlots::new(
                crate::state::SUMMARY_SCANS_PER_USER,
            ),
            live,
        });
        let router = web::router(state.clone(), store);
        jobs::spawn_all(&state).await;
        Ok(Self {
            listener,
            router,
            tls,
            state,
            #[cfg(feature = "demo")]
            fake,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// The resolved settings (in demo mode, pointing at the stand-in).
    pub fn settings(&self) -> &Settings {
        &self.state.settings
    }

    /// What the default environment's provider said at discovery.
    pub fn oidc_summary(&self) -> &crate::auth::oidc::ProviderSummary {
        self.state.environments.default_env().oidc.summary()
    }

    /// The shared state (tests reach the vault and database through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// What each environment of `FV_ENVIRONMENTS` after the first said at discovery, for
    /// `check`, which reports each (start-up already failed if one did not answer).
    pub fn other_environments(&self) -> Vec<(String, crate::auth::oidc::ProviderSummary)> {
        self.state
            .environments
            .iter()
            .skip(1)
            .map(|e| (e.name.clone(), e.oidc.summary().clone()))
            .collect()
    }

    /// The embedded stand-in, in demo mode.
    #[cfg(feature = "demo")]
    pub fn fake(&self) -> Option<&fake_filevine::FakeFilevine> {
        self.fake.as_ref()
    }

    /// The URL a browser should open.
    pub fn public_url(&self) -> Url {
        let mut u = self.state.settings.oidc.redirect_uri.clone();
        u.set_path("/");
        u.set_query(None);
        u
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests (at most
    /// [`DRAIN_TIMEOUT`]) and stops the demo stand-in.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let limits = self.state.settings.server.clone();
        let result = server::serve(self.listener, self.router, self.tls, &limits, shutdown).await;
        #[cfg(feature = "demo")]
        if let Some(fake) = self.fake {
            fake.shutdown().await;
        }
        result
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

/// Every served environment: its provider (discovery and keys; a provider that does not
/// answer stops start-up, naming it) and its interactive gateway (`FV_CONCURRENCY`).
async fn environments(
    settings: &Settings,
    http: &reqwest::Client,
    clock: &Clock,
) -> Result<Environments, StartupError> {
    let mut list = Vec::new();
    for served in settings.served_environments() {
        let oidc = OidcProvider::discover(&served.oidc, http.clone(), clock.clone())
            .await
            .map_err(|source| match settings.environments.is_empty() {
                true => StartupError::Discovery(source),
                false => StartupError::EnvironmentDiscovery {
                    name: served.name.clone(),
                    source,
                },
            })?;
        let gateway: Arc<dyn Gateway> = Arc::new(HttpGateway::new(
            http.clone(),
            served.gateway_url.clone(),
            settings.gateway.concurrency,
        ));
        list.push(Environment {
            label: crate::auth::environments::label_of(&served.name),
            name: served.name,
            oidc,
            gateway,
            redirect_uri: served.oidc.redirect_uri,
            post_logout_redirect_uri: served.oidc.post_logout_redirect_uri,
        });
    }
    Ok(Environments::new(list))
}

/// The named connections: per environment, the PAT exchange client (at discovery's token
/// endpoint, with that environment's client) and a gateway client of their own (their pools
/// limit them, not `FV_CONCURRENCY`, which is the signed-in users' interactive pool);
/// `FV_PAT` as the connection `env` of the default environment.
async fn connections(
    settings: &Settings,
    environments: &Environments,
    http: reqwest::Client,
    db: &Db,
    cipher: &Cipher,
    vault: &Arc<TokenVault>,
) -> Result<Arc<crate::connections::ConnectionsService>, StartupError> {
    use crate::{
        connections::{ConnectionsConfig, ConnectionsService, EnvironmentClients, MAX_CONCURRENCY},
        service_account::PatClient,
    };
    let served = settings.served_environments();
    let mut sides = Vec::new();
    for (env, served) in environments.iter().zip(&served) {
        let endpoint = Url::parse(&env.oidc.summary().token_endpoint)
            .map_err(|e| StartupError::Discovery(DiscoveryError::BadIssuer(e.to_string())))?;
        let client = PatClient::new(
            http.clone(),
            endpoint,
            served.oidc.client_id.clone(),
            served.oidc.client_secret.clone(),
        )
        .with_clock(vault.clock().clone());
        let gateway: Arc<dyn Gateway> = Arc::new(HttpGateway::new(
            http.clone(),
            served.gateway_url.clone(),
            usize::from(MAX_CONCURRENCY),
        ));
        sides.push(EnvironmentClients {
            name: env.name.clone(),
            client,
            gateway,
        });
    }
    let concurrency = u8::try_from(settings.gateway.concurrency)
        .unwrap_or(MAX_CONCURRENCY)
        .clamp(1, MAX_CONCURRENCY);
    Ok(ConnectionsService::load(ConnectionsConfig {
        db: db.clone(),
        cipher: cipher.clone(),
        environments: sides,
        clock: vault.clock().clone(),
        vault: vault.clone(),
        env_pat: settings.service_account.pat.clone(),
        env_email: settings.service_account.email.clone(),
        concurrency,
        public_url: settings.server.public_url.clone(),
    })
    .await)
}

/// The one HTTP client for the provider and the gateway: never follows redirects (a redirect
/// from a token endpoint is an attack or a misconfiguration), always verifies TLS (rustls with
/// the web PKI roots), bounded connect and request times.
fn provider_http_client() -> Result<reqwest::Client, StartupError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "fv-partner-app/",
            env!("CARGO_PKG_VERSION"),
            " (+reference Filevine partner app)"
        ))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| StartupError::Tls(e.to_string()))
}
