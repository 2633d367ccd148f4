//! Settings: every knob the app runs with, resolved once at start-up and validated, so a wrong
//! value fails loudly with a fix instead of at the first login.
//!
//! Sources, later wins ([`Sources`] is the in-memory form [`resolve`] takes):
//! 1. built-in defaults (and the region's presets for authority and gateway);
//! 2. `config.json` in the Node sample's shape, so a sample's config works unchanged
//!    (`--config <path>`; `config.json` in the working directory when it exists);
//! 3. `.env` (`--env-file <path>`; `.env` when it exists), read without touching the process
//!    environment; the Python sample's names (`CLIENT_ID`, `CLIENT_SECRET`, `AUTH_CONFIG`,
//!    `SCOPES`, `GATEWAY_URL`) are accepted as aliases;
//! 4. the process environment;
//! 5. command-line flags ([`Overrides`]). Secrets have no flag: a command line is visible in `ps`.
//!
//! One exception to "later wins": a Python-sample alias never beats an `FV_*` name, wherever
//! each was set, so a stray `CLIENT_ID` in the shell cannot override `FV_CLIENT_ID` from `.env`.
//! Empty values count as unset. Every value's origin is kept in [`Settings::origins`].
//!
//! Every variable with its meaning, range and default is in `docs/configuration.md` and in
//! `.env.example` (a test checks that the example lists every key); the parsers
//! in `validate/` say the ranges in their error messages.

pub mod alerts;
mod display;
mod error;
mod files;
mod parse;
mod routes;
mod served;
mod sources;
mod validate;

#[cfg(test)]
mod tests;

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::SecretString;
use url::Url;

pub use alerts::{AlertSettings, SmtpSettings};
pub use error::{ConfigError, ConfigErrors};
pub use routes::check_route_paths;
pub use served::ServedEnvironment;
pub use sources::{Origin, Sources};
pub use validate::{resolve, DEFAULT_SCOPES};

/// Filevine region; picks the preset authority and gateway URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Production US: `identity.filevine.com`, `api.filevineapp.com`.
    Us,
    /// Production Canada. The identity host is `identity.filevineapp.ca`: Filevine's Identity
    /// API reference is the only source naming a Canadian host (nothing names
    /// `identity.filevine.ca`); `check` says when discovery's issuer differs.
    Ca,
}

impl Region {
    /// The region's preset OIDC issuer; `FV_AUTHORITY` overrides it.
    pub fn authority(self) -> &'static str {
        match self {
            Region::Us => "https://identity.filevine.com",
            Region::Ca => "https://identity.filevineapp.ca",
        }
    }

    /// The region's preset API gateway; `FV_GATEWAY_URL` overrides it.
    pub fn gateway_url(self) -> &'static str {
        match self {
            Region::Us => "https://api.filevineapp.com",
            Region::Ca => "https://api.filevineapp.ca",
        }
    }

    /// The name used in `FV_REGION`, for messages and `check`.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Ca => "ca",
        }
    }
}

/// How the server speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain http (a proxy in front terminates TLS, or local development on http://localhost).
    Off,
    /// A certificate for `localhost` made at start-up.
    SelfSigned,
    /// PEM certificate chain and private key from files (`FV_TLS_CERT`, `FV_TLS_KEY`).
    Files {
        /// The certificate chain, PEM.
        cert: PathBuf,
        /// The private key, PEM.
        key: PathBuf,
    },
}

/// The 32-byte key that encrypts tokens and PATs at rest.
#[derive(Clone)]
pub struct SecretKey(pub(crate) std::sync::Arc<secrecy::SecretBox<[u8; 32]>>);

impl SecretKey {
    /// Wraps raw key bytes so they are zeroed on drop and never printed.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(std::sync::Arc::new(secrecy::SecretBox::new(Box::new(
            bytes,
        ))))
    }
    /// The raw key, for the cipher.
    pub fn expose(&self) -> &[u8; 32] {
        use secrecy::ExposeSecret;
        self.0.expose_secret()
    }
    /// A throwaway key for demo mode.
    pub fn random() -> Self {
        use rand::RngCore;
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        Self::from_bytes(b)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(****)")
    }
}

/// Every setting the app runs with, resolved and validated, in one section per consumer: each
/// part of the app takes only its own section (the OIDC client never sees the database URL).
///
/// Made by [`load`] (files, environment, flags) or [`resolve`] (in-memory sources, for tests:
/// `resolve(Sources::default())` gives demo settings). `Debug` masks every secret, including a
/// password inside the database URL.
#[derive(Clone)]
pub struct Settings {
    /// Run the embedded stand-in for Filevine. Start-up resolves demo mode into final settings
    /// (stand-in authority, gateway, client, demo admin) before anything else is built.
    pub demo: bool,
    /// Where and how the server listens.
    pub server: ServerSettings,
    /// The confidential OpenID Connect client.
    pub oidc: OidcSettings,
    /// The Filevine API gateway.
    pub gateway: GatewaySettings,
    /// `FV_ENVIRONMENTS`: every environment served at once, the first also in `oidc` and
    /// `gateway`. Empty without it: the single environment of `oidc` and `gateway`
    /// (`FV_REGION`), as before.
    pub environments: Vec<EnvironmentSettings>,
    /// Browser sessions and the tokens they hold.
    pub session: SessionSettings,
    /// Storage: the database and the key that seals what is stored.
    pub db: DatabaseSettings,
    /// The service account (PAT) connection and who may manage it.
    pub service_account: ServiceAccountSettings,
    /// Connection health checks and where alerts go.
    pub alerts: AlertSettings,
    /// Whether and how the server speaks TLS.
    pub tls: TlsMode,
    /// The zone pages show dates in (`FV_TIME_ZONE`, an IANA name, default UTC).
    pub time_zone: crate::util::dates::Zone,
    /// Things that work but are probably not what the operator meant (no `offline_access`, a
    /// localhost redirect URI on another port, ...): start-up logs them, `check` prints them.
    pub warnings: Vec<String>,
    /// Where each setting's value came from, keyed by its environment name (`FV_LISTEN`, ...),
    /// for `check` and for error messages.
    pub origins: BTreeMap<&'static str, Origin>,
}

/// `FV_LISTEN`, `FV_HEADER_READ_TIMEOUT_SECONDS`, `FV_KEEP_ALIVE_SECONDS`,
/// `FV_MAX_CONNECTIONS`, `FV_REQUEST_TIMEOUT_SECONDS`, `FV_RATE_LIMIT_PER_MINUTE`,
/// `FV_FEED_RATE_PER_MINUTE`, `FV_TRUSTED_PROXIES`, `FV_PUBLIC_URL` (parsed in `validate/edge.rs`, which documents them).
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// Where the server binds.
    pub listen: SocketAddr,
    /// A client that has not sent a request's headers (or finished the TLS handshake) within
    /// this is disconnected: slowloris protection.
    pub header_read_timeout: std::time::Duration,
    /// An idle kept-alive connection is closed after this.
    pub keep_alive: std::time::Duration,
    /// Connections served at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Time a handler has to produce its response head before the client gets a 503 page.
    pub request_timeout: std::time::Duration,
    /// Login starts, callbacks and POSTs allowed per client address per minute.
    pub rate_limit_per_minute: u32,
    /// Feed requests allowed per feed key per minute (`/feeds/...`).
    pub feed_rate_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client (rate limits); none by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where the world reaches this app (`FV_PUBLIC_URL`): webhook subscriptions point there.
    pub public_url: Option<Url>,
}

/// `FV_REGION`, `FV_AUTHORITY`, `FV_CLIENT_ID`, `FV_CLIENT_SECRET`, `FV_REDIRECT_URI`,
/// `FV_POST_LOGOUT_REDIRECT_URI`, `FV_SCOPES`, `FV_CLOCK_SKEW_SECONDS`.
#[derive(Clone)]
pub struct OidcSettings {
    /// The region whose presets filled authority and gateway when they were not set.
    pub region: Region,
    /// The OIDC issuer. Note that `Url` serialises a bare host with a trailing `/`: compare it
    /// with discovery's `issuer` with that in mind.
    pub authority: Url,
    /// The confidential client's id.
    pub client_id: String,
    /// The confidential client's secret.
    pub client_secret: SecretString,
    /// The registered callback; its path is where the callback route is mounted.
    pub redirect_uri: Url,
    /// The registered post-logout landing; its path is where that route is mounted.
    pub post_logout_redirect_uri: Url,
    /// Scopes requested at login; always contains `openid`.
    pub scopes: Vec<String>,
    /// Leeway on token times (`exp`, `iat`, `nbf`).
    pub clock_skew: Duration,
}

impl OidcSettings {
    /// Whether the browser-facing site is https (cookies get `Secure` and `__Host-`).
    pub fn https(&self) -> bool {
        self.redirect_uri.scheme() == "https"
    }
}

/// One environment of `FV_ENVIRONMENTS`: `FV_<E>_CLIENT_ID`, `FV_<E>_CLIENT_SECRET`,
/// `FV_<E>_AUTHORITY`, `FV_<E>_GATEWAY_URL` (presets for `us` and `ca`), and optionally
/// `FV_<E>_REDIRECT_URI`, `FV_<E>_POST_LOGOUT_REDIRECT_URI` (default: the unprefixed ones).
#[derive(Clone)]
pub struct EnvironmentSettings {
    /// Lower-case, as in URLs and forms (`us`, `ca`, `dev`).
    pub name: String,
    /// The preset this environment's name stands for (`us`, `ca`), if any.
    pub preset: Option<Region>,
    pub authority: Url,
    pub gateway_url: Url,
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: Url,
    pub post_logout_redirect_uri: Url,
}

impl Settings {
    /// The names of the environments served: `FV_ENVIRONMENTS`, else the one `FV_REGION`.
    pub fn environment_names(&self) -> Vec<String> {
        if self.environments.is_empty() {
            return vec![self.oidc.region.as_str().to_owned()];
        }
        self.environments.iter().map(|e| e.name.clone()).collect()
    }
}

/// `FV_GATEWAY_URL`, `FV_CONCURRENCY`.
#[derive(Clone, Debug)]
pub struct GatewaySettings {
    /// The API gateway base URL.
    pub url: Url,
    /// Concurrent gateway calls per connection (exports), 1 to 25.
    pub concurrency: usize,
}

/// `FV_SESSION_IDLE_MINUTES`, `FV_SESSION_ABSOLUTE_HOURS`, `FV_REFRESH_MARGIN_SECONDS`.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// Sign a session out after this long without a request.
    pub idle_timeout: Duration,
    /// Sign a session out this long after login, however active it is.
    pub absolute_timeout: Duration,
    /// Refresh the access token when it expires within this margin.
    pub refresh_margin: Duration,
}

/// `DATABASE_URL`, `FV_SECRET_KEY`.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// `sqlite:...` or `postgres://...`; may hold a password, so never log it raw.
    pub url: String,
    /// Encrypts tokens and PATs at rest. In demo mode without `FV_SECRET_KEY`, a key kept next
    /// to the demo database (`startup::demo_key`).
    pub secret_key: SecretKey,
}

/// `FV_PAT`, `FV_SERVICE_ACCOUNT_EMAIL`, `FV_ADMIN_EMAILS`.
#[derive(Clone)]
pub struct ServiceAccountSettings {
    /// A service account's personal access token, if configured by the operator.
    pub pat: Option<SecretString>,
    /// The service account's email, shown next to the PAT connection.
    pub email: Option<String>,
    /// Lowercased emails of users who may manage the service-account connection. In demo
    /// mode with none configured, start-up puts the demo admin here.
    pub admin_emails: Vec<String>,
    /// The PAT one-shot commands (`pat verify`, `projects export`) use when `FV_PAT` is not
    /// set: in demo mode, start-up puts the stand-in's demo PAT here; otherwise none.
    pub demo_pat: Option<SecretString>,
    /// The demo service account's email, shown with the demo PAT on the connections page
    /// (demo data, not a secret).
    pub demo_email: Option<String>,
    /// How often each connection records its per-phase snapshot (`FV_SNAPSHOT_MINUTES`,
    /// 0 to 1440, default 15); `None` (0) turns the snapshots off.
    pub snapshot_every: Option<std::time::Duration>,
}

impl ServiceAccountSettings {
    /// The PAT a one-shot command acts through: `FV_PAT`, else (demo mode) the stand-in's.
    pub fn command_pat(&self) -> Option<SecretString> {
        self.pat.clone().or_else(|| self.demo_pat.clone())
    }
}

/// What the command line sets. Flags mirror the environment names and win over every other
/// source. There is deliberately no `--client-secret`: a command line leaks into `ps` and shell
/// history, so secrets come from `config.json`, `.env` or the environment only.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct Overrides {
    /// Node-sample-shaped config file [default: config.json, when it exists]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// dotenv file, read without changing the process environment [default: .env, when it exists]
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    /// Bind address, e.g. 127.0.0.1:7059 (FV_LISTEN)
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Filevine region: us or ca (FV_REGION)
    #[arg(long, value_name = "us|ca")]
    pub region: Option<String>,
    /// OIDC issuer URL (FV_AUTHORITY)
    #[arg(long, value_name = "URL")]
    pub authority: Option<String>,
    /// API gateway base URL (FV_GATEWAY_URL)
    #[arg(long, value_name = "URL")]
    pub gateway_url: Option<String>,
    /// OAuth client id (FV_CLIENT_ID); the secret comes from file or environment only
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Registered callback URL (FV_REDIRECT_URI)
    #[arg(long, value_name = "URL")]
    pub redirect_uri: Option<String>,
    /// Registered post-logout landing URL (FV_POST_LOGOUT_REDIRECT_URI)
    #[arg(long, value_name = "URL")]
    pub post_logout_redirect_uri: Option<String>,
    /// Space-separated scopes (FV_SCOPES)
    #[arg(long, value_name = "SCOPES")]
    pub scopes: Option<String>,
    /// sqlite:... or postgres://... (DATABASE_URL); prefer the environment when it holds a password
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Run the built-in stand-in for Filevine (FV_DEMO)
    #[arg(long)]
    pub demo: bool,
    /// Serve https with a certificate for localhost made at start-up (FV_TLS_SELF_SIGNED)
    #[arg(long)]
    pub tls_self_signed: bool,
    /// PEM certificate chain to serve https (FV_TLS_CERT); needs --tls-key
    #[arg(long, value_name = "PATH")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key to serve https (FV_TLS_KEY); needs --tls-cert
    #[arg(long, value_name = "PATH")]
    pub tls_key: Option<PathBuf>,
}

/// Reads every source (config file, dotenv file, process environment, flags) and resolves them
/// with [`resolve`]. Reading files and the environment is all it adds: the rules live in
/// `resolve`, which tests call with in-memory sources. The process environment is never changed.
pub fn load(overrides: &Overrides) -> Result<Settings, ConfigErrors> {
    let mut errors = Vec::new();
    let json = files::read_config_file(overrides.config.as_deref(), &mut errors);
    let dotenv = files::read_dotenv_file(overrides.env_file.as_deref(), &mut errors);
    let env = files::read_process_env(&mut errors);
    let resolved = resolve(Sources {
        json,
        dotenv,
        env,
        overrides: overrides.clone(),
    });
    if errors.is_empty() {
        return resolved;
    }
    if let Err(ConfigErrors(more)) = resolved {
        errors.extend(more);
    }
    Err(ConfigErrors(errors))
}
