//! Building and running the app: `Application::build(settings)` binds (port 0 in tests),
//! starts the demo stand-in when asked, discovers the provider, opens the database and
//! returns something that can be run until a shutdown signal.

use fake_filevine::{FakeClient, FakeFilevine, FakeOptions};
use std::{
    future::{Future, IntoFuture},
    net::SocketAddr,
    sync::Arc,
    time::Duration,
};

use axum::Router;
use secrecy::SecretString;
use url::Url;

use crate::util::Clock;
use crate::{
    auth::{oidc::DiscoveryError, OidcProvider, TokenVault},
    config::{Settings, TlsMode},
    crypto::Cipher,
    filevine::HttpGateway,
    state::{AppInner, AppState},
    store::{Db, DbError},
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
    #[error("DATABASE_URL: {0}")]
    Db(#[from] DbError),
    #[error("the demo stand-in for Filevine could not start: {0}")]
    Fake(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("{0}")]
    Routes(String),
}

/// A built, bound, not yet running app.
pub struct Application {
    listener: std::net::TcpListener,
    router: Router,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    state: AppState,
    fake: Option<FakeFilevine>,
}

impl Application {
    /// Binds `settings.listen` and builds.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let listener =
            std::net::TcpListener::bind(settings.listen).map_err(|source| StartupError::Bind {
                addr: settings.listen,
                source,
            })?;
        Self::build_with_listener(settings, listener).await
    }

    /// Builds on a throwaway loopback port, for the one-shot commands (`check`, `pat verify`,
    /// exports): discovery, the database and, in demo mode, the stand-in come up exactly as
    /// when serving, but nothing listens where a browser would look.
    pub async fn build_for_command(mut settings: Settings) -> Result<Self, StartupError> {
        settings.listen = ([127, 0, 0, 1], 0).into();
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
        mut settings: Settings,
        listener: std::net::TcpListener,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        crate::metrics::install();
        listener
            .set_nonblocking(true)
            .map_err(|source| StartupError::Bind {
                addr: settings.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.listen,
            source,
        })?;
        let tls = tls_config(&settings.tls).await?;

        let fake = if settings.demo {
            Some(start_demo_provider(&mut settings, addr, tls.is_some()).await?)
        } else {
            None
        };
        check_routes(&settings)?;

        let http = reqwest::Client::builder()
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
            .map_err(|e| StartupError::Tls(e.to_string()))?;

        let oidc = OidcProvider::discover(&settings, http.clone(), clock.clone()).await?;
        let db = Db::connect(&settings.database_url).await?;
        let cipher = Cipher::new(&settings.secret_key);
        let vault = TokenVault::new(
            db.clone(),
            cipher.clone(),
            oidc.clone(),
            settings.refresh_margin,
            settings.session_absolute_timeout,
            clock,
        );
        let gateway = Arc::new(HttpGateway::new(
            http.clone(),
            settings.gateway_url.clone(),
            settings.concurrency,
        ));
        let https = settings.redirect_uri.scheme() == "https";
        let pat = pat_connection(&settings, &oidc, http.clone(), &db, &cipher).await?;
        let store = db.session_store();
        let state = AppState::new(AppInner {
            settings,
            oidc,
            vault,
            gateway,
            cipher,
            db,
            https,
            summaries: Default::default(),
            pat,
        });
        let router = web::router(state.clone(), store);
        spawn_cleanup(state.clone());
        web::health::spawn_background(&state);
        crate::reporting::spawn_snapshots(state.clone());
        Ok(Self {
            listener,
            router,
            tls,
            state,
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

    /// What the provider's discovery said.
    pub fn oidc_summary(&self) -> &crate::auth::oidc::ProviderSummary {
        self.state.oidc.summary()
    }

    /// The shared state (tests reach the vault and database through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The embedded stand-in, in demo mode.
    pub fn fake(&self) -> Option<&FakeFilevine> {
        self.fake.as_ref()
    }

    /// The URL a browser should open.
    pub fn public_url(&self) -> Url {
        let mut u = self.state.settings.redirect_uri.clone();
        u.set_path("/");
        u.set_query(None);
        u
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let result = match self.tls {
            Some(config) => {
                let handle = axum_server::Handle::new();
                let h = handle.clone();
                tokio::spawn(async move {
                    shutdown.await;
                    h.graceful_shutdown(Some(DRAIN_TIMEOUT));
                });
                axum_server::from_tcp_rustls(self.listener, config)?
                    .handle(handle)
                    .serve(service)
                    .await
            }
            None => {
                let listener = tokio::net::TcpListener::from_std(self.listener)?;
                // Once the signal comes, in-flight requests get DRAIN_TIMEOUT to finish; a
                // slow client or a long export must not keep the process from exiting.
                let (tx, rx) = tokio::sync::watch::channel(false);
                let signalled = async move {
                    shutdown.await;
                    let _ = tx.send(true);
                };
                let mut rx2 = rx.clone();
                let serve = axum::serve(listener, service).with_graceful_shutdown(signalled);
                tokio::select! {
                    r = serve.into_future() => r,
                    _ = async move {
                        let _ = rx2.wait_for(|s| *s).await;
                        tokio::time::sleep(DRAIN_TIMEOUT).await;
                    } => {
                        tracing::warn!(drain_s = DRAIN_TIMEOUT.as_secs(), "requests still running after the drain time; closing them");
                        drop(rx);
                        Ok(())
                    }
                }
            }
        };
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

/// How long in-flight requests may run after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// Starts the embedded stand-in and points the settings at it. The app's own URIs follow the
/// port actually bound, so `FV_LISTEN=127.0.0.1:0` works in demo mode too.
async fn start_demo_provider(
    settings: &mut Settings,
    addr: SocketAddr,
    tls: bool,
) -> Result<FakeFilevine, StartupError> {
    let scheme = if tls { "https" } else { "http" };
    for uri in [
        &mut settings.redirect_uri,
        &mut settings.post_logout_redirect_uri,
    ] {
        let host_is_local = matches!(uri.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if host_is_local {
            let _ = uri.set_scheme(scheme);
            let _ = uri.set_port(Some(addr.port()));
        }
    }
    let client = FakeClient::demo_for(
        settings.redirect_uri.as_str(),
        settings.post_logout_redirect_uri.as_str(),
    );
    let (client_id, secret) = (client.client_id.clone(), client.client_secret.clone());
    let options = FakeOptions {
        clients: vec![client],
        ..FakeOptions::default()
    };
    let fake = FakeFilevine::start(options)
        .await
        .map_err(|e| StartupError::Fake(e.to_string()))?;
    settings.authority =
        Url::parse(&fake.issuer()).map_err(|e| StartupError::Fake(e.to_string()))?;
    settings.gateway_url = fake.gateway_url();
    settings.client_id = client_id;
    settings.client_secret = SecretString::from(secret);
    Ok(fake)
}

/// The callback and post-logout paths become routes: they must not shadow the app's own.
fn check_routes(settings: &Settings) -> Result<(), StartupError> {
    const RESERVED: [&str; 9] = [
        "/",
        "/auth/login",
        "/auth/logout",
        "/profile",
        "/userinfo",
        "/org",
        "/healthz",
        "/readyz",
        "/metrics",
    ];
    let cb = settings.redirect_uri.path();
    let out = settings.post_logout_redirect_uri.path();
    if RESERVED.contains(&cb) || cb.starts_with("/static/") {
        return Err(StartupError::Routes(format!("FV_REDIRECT_URI: its path {cb} is one of the app's own pages; register a callback such as /auth/callback or /signin-oidc")));
    }
    if RESERVED.contains(&out) || out.starts_with("/static/") {
        return Err(StartupError::Routes(format!("FV_POST_LOGOUT_REDIRECT_URI: its path {out} is one of the app's own pages; use /auth/logout/callback or /signout-callback-oidc")));
    }
    if cb == out {
        return Err(StartupError::Routes(
            "FV_REDIRECT_URI and FV_POST_LOGOUT_REDIRECT_URI have the same path; they must differ"
                .into(),
        ));
    }
    Ok(())
}

async fn tls_config(
    mode: &TlsMode,
) -> Result<Option<axum_server::tls_rustls::RustlsConfig>, StartupError> {
    use axum_server::tls_rustls::RustlsConfig;
    match mode {
        TlsMode::Off => Ok(None),
        TlsMode::SelfSigned => {
            let cert = rcgen::generate_simple_self_signed(vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
            ])
            .map_err(|e| StartupError::Tls(e.to_string()))?;
            let config = RustlsConfig::from_der(
                vec![cert.cert.der().to_vec()],
                cert.signing_key.serialize_der(),
            )
            .await
            .map_err(|e| StartupError::Tls(e.to_string()))?;
            Ok(Some(config))
        }
        TlsMode::Files { cert, key } => RustlsConfig::from_pem_file(cert, key)
            .await
            .map(Some)
            .map_err(|e| {
                StartupError::Tls(format!(
                    "FV_TLS_CERT/FV_TLS_KEY ({}, {}): {e}",
                    cert.display(),
                    key.display()
                ))
            }),
    }
}

/// The PAT exchange client (at discovery's token endpoint) and the PAT from `FV_PAT` or the
/// database.
async fn pat_connection(
    settings: &Settings,
    oidc: &OidcProvider,
    http: reqwest::Client,
    db: &Db,
    cipher: &Cipher,
) -> Result<crate::service_account::PatConnection, StartupError> {
    use crate::service_account::{PatClient, PatConnection};
    let endpoint = Url::parse(&oidc.summary().token_endpoint)
        .map_err(|e| StartupError::Discovery(DiscoveryError::BadIssuer(e.to_string())))?;
    let client = PatClient::new(
        http,
        endpoint,
        settings.client_id.clone(),
        settings.client_secret.clone(),
    );
    Ok(PatConnection::load(client, settings.pat.clone(), db, cipher).await)
}

/// Purges expired sessions and vault rows every few minutes.
fn spawn_cleanup(state: AppState) {
    use tower_sessions::ExpiredDeletion;
    tokio::spawn(async move {
        let store = state.db.session_store();
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
            if let Err(e) = state
                .db
                .vault_delete_expired(crate::util::clock::now_unix())
                .await
            {
                tracing::warn!(error = %e, "could not purge expired tokens");
            }
        }
    });
}
