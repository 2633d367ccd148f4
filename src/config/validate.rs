//! Turns the merged raw text into typed, checked [`Settings`], collecting every problem at once
//! so an operator fixes a configuration in one go rather than one restart per mistake.
//!
//! Secret values (client secret, key, PAT) never appear in a message; other values do, since
//! seeing `localhost:7059` quoted back is what makes "not a socket address" actionable.

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::SecretString;
use url::Url;

use super::parse::{
    in_range, is_loopback, parse_bool, parse_database_url, parse_email, parse_email_list,
    parse_key, parse_listen, parse_provider_url, parse_region, parse_scopes, redirect_url, Bad,
    DISCOVERY_SUFFIX, KEY_FIX,
};
use super::sources::Raw;

mod edge;
use super::{
    ConfigError, ConfigErrors, DatabaseSettings, GatewaySettings, OidcSettings, Origin, Region,
    SecretKey, ServiceAccountSettings, SessionSettings, Settings, Sources, TlsMode,
};

/// The scopes the Filevine samples request: `offline_access` for refresh tokens, the gateway
/// scopes for API calls.
pub const DEFAULT_SCOPES: &str = "openid profile email offline_access tenant fv.auth.tenant.read filevine.v2.api.* fv.api.gateway.access";
const DEFAULT_REDIRECT_URI: &str = "http://localhost:7059/auth/callback";
const DEFAULT_POST_LOGOUT_REDIRECT_URI: &str = "http://localhost:7059/auth/logout/callback";
const DEFAULT_DATABASE_URL: &str = "sqlite://fv-partner-app.db";
/// Demo-mode stand-ins for authority and gateway until start-up fills in the stand-in's
/// address; `.invalid` never resolves, so a forgotten placeholder fails fast.
const DEMO_URL: &str = "http://fake-filevine.invalid/";
const DEMO_CLIENT_ID: &str = "fv-partner-app-demo";
/// The values `config.example.json` and `.env.example` ship with.
const EXAMPLE_CLIENT_ID: &str = "your-client-id";
const EXAMPLE_CLIENT_SECRET: &str = "your-client-secret";

/// Resolves in-memory sources into validated settings: the whole configuration logic, with no
/// file or environment access (except checking that TLS files exist), so tests can drive it.
pub fn resolve(sources: Sources) -> Result<Settings, ConfigErrors> {
    let mut errors = Vec::new();
    let raw = Raw::collect(&sources, &mut errors);
    let mut r = Resolver {
        raw,
        errors,
        warnings: Vec::new(),
        origins: BTreeMap::new(),
    };

    let demo_setting = r.optional("FV_DEMO", Origin::Default, parse_bool);
    let configured = ["FV_CLIENT_ID", "FV_CLIENT_SECRET", "FV_AUTHORITY"]
        .into_iter()
        .any(|key| r.raw.get(key).is_some());
    let demo = demo_setting.unwrap_or(!configured);
    let region = r.value("FV_REGION", Region::Us, parse_region);
    let (authority, gateway_url, client_id, client_secret) = if demo {
        r.demo_client()
    } else {
        r.real_client(region, demo_setting)
    };
    let redirect_uri = r.value(
        "FV_REDIRECT_URI",
        fixed_url(DEFAULT_REDIRECT_URI),
        redirect_url,
    );
    let post_logout_redirect_uri = r.value(
        "FV_POST_LOGOUT_REDIRECT_URI",
        fixed_url(DEFAULT_POST_LOGOUT_REDIRECT_URI),
        redirect_url,
    );
    let scopes = r.value("FV_SCOPES", default_scopes(), parse_scopes);
    let clock_skew = Duration::from_secs(r.value("FV_CLOCK_SKEW_SECONDS", 60, |t| {
        in_range(t, 0, 600, "seconds")
    }));
    let listen = r.value("FV_LISTEN", default_listen(), parse_listen);
    let database_url = r.value(
        "DATABASE_URL",
        DEFAULT_DATABASE_URL.to_owned(),
        parse_database_url,
    );
    let secret_key = r.secret_key(demo);
    let pat = r.optional("FV_PAT", Origin::Default, |t| {
        Ok(SecretString::from(t.to_owned()))
    });
    let service_account_email =
        r.optional("FV_SERVICE_ACCOUNT_EMAIL", Origin::Default, parse_email);
    let admin_emails = r.value("FV_ADMIN_EMAILS", Vec::new(), parse_email_list);
    let concurrency = r.value("FV_CONCURRENCY", 8, |t| in_range(t, 1, 25, "calls"));
    let tls = r.tls();
    let refresh_margin = Duration::from_secs(r.value("FV_REFRESH_MARGIN_SECONDS", 60, |t| {
        in_range(t, 0, 900, "seconds")
    }));
    let idle_minutes = r.value("FV_SESSION_IDLE_MINUTES", 120, |t| {
        in_range(t, 1, 7 * 24 * 60, "minutes")
    });
    let absolute_hours = r.value("FV_SESSION_ABSOLUTE_HOURS", 24, |t| {
        in_range(t, 1, 720, "hours")
    });

    let settings = Settings {
        demo,
        server: edge::server(&mut r, listen),
        oidc: OidcSettings {
            region,
            authority,
            client_id,
            client_secret,
            redirect_uri,
            post_logout_redirect_uri,
            scopes,
            clock_skew,
        },
        gateway: GatewaySettings {
            url: gateway_url,
            concurrency,
        },
        session: SessionSettings {
            idle_timeout: Duration::from_secs(idle_minutes * 60),
            absolute_timeout: Duration::from_secs(absolute_hours * 3600),
            refresh_margin,
        },
        db: DatabaseSettings {
            url: database_url,
            secret_key,
        },
        service_account: ServiceAccountSettings {
            pat,
            email: service_account_email,
            admin_emails,
            demo_pat: None,
        },
        tls,
        warnings: Vec::new(),
        origins: BTreeMap::new(),
    };
    r.cross_check(&settings);
    if !r.errors.is_empty() {
        return Err(ConfigErrors(r.errors));
    }
    Ok(Settings {
        warnings: r.warnings,
        origins: r.origins,
        ..settings
    })
}

/// Collects values, their origins, errors and warnings while settings are resolved.
struct Resolver {
    raw: Raw,
    errors: Vec<ConfigError>,
    warnings: Vec<String>,
    origins: BTreeMap<&'static str, Origin>,
}

impl Resolver {
    /// The text set for `key`, recording where it came from (`unset` when no source set it).
    fn text(&mut self, key: &'static str, unset: Origin) -> Option<(String, Origin)> {
        let found = self.raw.get(key).map(|(t, o)| (t.to_owned(), o));
        self.origins
            .insert(key, found.as_ref().map_or(unset, |(_, o)| *o));
        found
    }

    /// `key` parsed, or `None` when unset or invalid (an invalid value is recorded as an error).
    fn optional<T>(
        &mut self,
        key: &'static str,
        unset: Origin,
        parse: impl FnOnce(&str) -> Result<T, Bad>,
    ) -> Option<T> {
        let (text, origin) = self.text(key, unset)?;
        match parse(&text) {
            Ok(value) => Some(value),
            Err(Bad(problem, fix)) => {
                self.error(key, format!("{problem} (from {origin})"), fix);
                None
            }
        }
    }

    /// `key` parsed, or `default` when unset or invalid (an invalid value is recorded as an
    /// error, so the default never reaches a running app).
    fn value<T>(
        &mut self,
        key: &'static str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, Bad>,
    ) -> T {
        self.optional(key, Origin::Default, parse)
            .unwrap_or(default)
    }

    fn error(&mut self, key: &'static str, problem: impl Into<String>, fix: impl Into<String>) {
        self.errors.push(ConfigError::new(key, problem, fix));
    }

    /// Demo mode: placeholders that start-up replaces with the stand-in's, and a warning for
    /// each real setting that is being ignored.
    fn demo_client(&mut self) -> (Url, Url, String, SecretString) {
        for key in [
            "FV_AUTHORITY",
            "FV_GATEWAY_URL",
            "FV_CLIENT_ID",
            "FV_CLIENT_SECRET",
        ] {
            if let Some((_, origin)) = self.text(key, Origin::Demo) {
                self.warnings.push(format!(
                    "{key} (from {origin}) is ignored: demo mode uses the built-in stand-in for Filevine"
                ));
                self.origins.insert(key, Origin::Demo);
            }
        }
        (
            fixed_url(DEMO_URL),
            fixed_url(DEMO_URL),
            DEMO_CLIENT_ID.to_owned(),
            SecretString::from(DEMO_CLIENT_ID),
        )
    }

    /// Real Filevine: authority and gateway from settings or the region's presets; client id
    /// and secret required.
    fn real_client(
        &mut self,
        region: Region,
        demo_setting: Option<bool>,
    ) -> (Url, Url, String, SecretString) {
        let preset = Origin::Preset(region);
        let authority = self
            .optional("FV_AUTHORITY", preset, parse_provider_url)
            .unwrap_or_else(|| fixed_url(region.authority()));
        if let Some((text, origin)) = self.raw.get("FV_AUTHORITY") {
            if origin != Origin::DotEnv("AUTH_CONFIG")
                && origin != Origin::Env("AUTH_CONFIG")
                && text.trim_end_matches('/').ends_with(DISCOVERY_SUFFIX)
            {
                self.warnings.push(format!(
                    "FV_AUTHORITY (from {origin}) is a discovery URL; using the issuer {authority} it belongs to"
                ));
            }
        }
        if region == Region::Ca && self.raw.get("FV_AUTHORITY").is_none() {
            self.warnings.push(format!(
                "FV_REGION is ca: the Canadian identity host {} is not confirmed by a public source; if discovery fails, set FV_AUTHORITY to the issuer Filevine gave you",
                region.authority()
            ));
        }
        let gateway = self
            .optional("FV_GATEWAY_URL", preset, parse_provider_url)
            .unwrap_or_else(|| fixed_url(region.gateway_url()));

        let client_id = self.credential(
            "FV_CLIENT_ID",
            EXAMPLE_CLIENT_ID,
            "set FV_CLIENT_ID to the client id Filevine issued for this app",
            demo_setting,
        );
        let client_secret = SecretString::from(self.credential(
            "FV_CLIENT_SECRET",
            EXAMPLE_CLIENT_SECRET,
            "set FV_CLIENT_SECRET to the secret Filevine issued with your client id",
            demo_setting,
        ));
        (authority, gateway, client_id, client_secret)
    }

    /// A required client credential. Missing, it names what else is set (so the operator sees
    /// why this is not the demo); still the example's placeholder, it is refused too.
    fn credential(
        &mut self,
        key: &'static str,
        placeholder: &str,
        fix: &str,
        demo_setting: Option<bool>,
    ) -> String {
        match self.text(key, Origin::Default) {
            Some((value, origin)) => {
                if value == placeholder {
                    let problem = format!("still the example placeholder (from {origin})");
                    self.error(key, problem, fix);
                }
                value
            }
            None => {
                let set = ["FV_CLIENT_ID", "FV_CLIENT_SECRET", "FV_AUTHORITY"]
                    .into_iter()
                    .filter(|k| *k != key)
                    .find_map(|k| self.raw.get(k).map(|(_, o)| set_by(k, o)));
                let problem = match (set, demo_setting) {
                    (Some(set), _) => format!("missing ({set})"),
                    (None, Some(false)) => "missing (FV_DEMO is false)".to_owned(),
                    (None, _) => "missing".to_owned(),
                };
                self.error(key, problem, fix);
                String::new()
            }
        }
    }

    /// The at-rest key: required outside demo, random in demo when unset.
    fn secret_key(&mut self, demo: bool) -> SecretKey {
        let unset = if demo { Origin::Demo } else { Origin::Default };
        let given = self.text("FV_SECRET_KEY", unset);
        match given {
            Some((text, origin)) => parse_key(&text).unwrap_or_else(|Bad(problem, fix)| {
                self.error("FV_SECRET_KEY", format!("{problem} (from {origin})"), fix);
                SecretKey::random()
            }),
            None if demo => {
                if !self.raw.ignored.is_empty() {
                    self.warnings.push(format!(
                        "{} is not used as the at-rest key: demo mode uses a random one, so saved sessions do not survive a restart",
                        self.raw.ignored.join(", ")
                    ));
                }
                SecretKey::random()
            }
            None => {
                let mut fix = format!("set FV_SECRET_KEY: {KEY_FIX}");
                if !self.raw.ignored.is_empty() {
                    fix.push_str(&format!(
                        " ({} is not used: it is not a 32-byte encryption key)",
                        self.raw.ignored.join(", ")
                    ));
                }
                self.error("FV_SECRET_KEY", "missing (required outside demo mode)", fix);
                SecretKey::random()
            }
        }
    }

    /// TLS from the cert/key pair (both or neither, files present) or the self-signed switch.
    fn tls(&mut self) -> TlsMode {
        let self_signed = self
            .optional("FV_TLS_SELF_SIGNED", Origin::Default, parse_bool)
            .unwrap_or(false);
        let cert = self.text("FV_TLS_CERT", Origin::Default);
        let key = self.text("FV_TLS_KEY", Origin::Default);
        match (cert, key) {
            (Some((cert, cert_origin)), Some((key, key_origin))) => {
                for (name, path, origin) in [
                    ("FV_TLS_CERT", &cert, cert_origin),
                    ("FV_TLS_KEY", &key, key_origin),
                ] {
                    if !std::path::Path::new(path).is_file() {
                        self.error(
                            name,
                            format!("no file at {path} (from {origin})"),
                            format!("point {name} at a PEM file, relative to the working directory or absolute"),
                        );
                    }
                }
                if self_signed {
                    self.error(
                        "FV_TLS_SELF_SIGNED",
                        "set together with FV_TLS_CERT and FV_TLS_KEY",
                        "choose one: your certificate files, or a self-signed certificate",
                    );
                }
                TlsMode::Files {
                    cert: PathBuf::from(cert),
                    key: PathBuf::from(key),
                }
            }
            (Some((_, origin)), None) => {
                self.error(
                    "FV_TLS_KEY",
                    format!("missing ({})", set_by("FV_TLS_CERT", origin)),
                    "set FV_TLS_KEY to the certificate's PEM private key, or unset FV_TLS_CERT",
                );
                TlsMode::Off
            }
            (None, Some((_, origin))) => {
                self.error(
                    "FV_TLS_CERT",
                    format!("missing ({})", set_by("FV_TLS_KEY", origin)),
                    "set FV_TLS_CERT to the PEM certificate chain, or unset FV_TLS_KEY",
                );
                TlsMode::Off
            }
            (None, None) if self_signed => TlsMode::SelfSigned,
            (None, None) => TlsMode::Off,
        }
    }

    /// Checks that involve several settings.
    fn cross_check(&mut self, s: &Settings) {
        if !s.oidc.scopes.iter().any(|scope| scope == "offline_access") {
            self.warnings.push(
                "FV_SCOPES has no offline_access: Filevine issues no refresh token, so users must log in again when the access token expires".to_owned(),
            );
        }
        if s.oidc.redirect_uri.path() == s.oidc.post_logout_redirect_uri.path() {
            self.error(
                "FV_POST_LOGOUT_REDIRECT_URI",
                format!(
                    "has the same path as FV_REDIRECT_URI ({})",
                    s.oidc.redirect_uri.path()
                ),
                "give the callback and the post-logout landing different paths",
            );
        }
        let tls = s.tls != TlsMode::Off;
        for (key, uri) in [
            ("FV_REDIRECT_URI", &s.oidc.redirect_uri),
            (
                "FV_POST_LOGOUT_REDIRECT_URI",
                &s.oidc.post_logout_redirect_uri,
            ),
        ] {
            if !is_loopback(uri) {
                continue;
            }
            let port = uri.port_or_known_default();
            if s.server.listen.port() != 0 && port != Some(s.server.listen.port()) {
                self.warnings.push(format!(
                    "{key} {uri} is on port {}, but FV_LISTEN is {}: fine behind a proxy, otherwise the browser will not reach it",
                    port.unwrap_or(0),
                    s.server.listen
                ));
            }
            match (uri.scheme(), tls) {
                ("https", false) => self.warnings.push(format!(
                    "{key} {uri} is https but TLS is off: pass --tls-self-signed (or set FV_TLS_CERT and FV_TLS_KEY), or register an http://localhost URI"
                )),
                ("http", true) => self.warnings.push(format!(
                    "{key} {uri} is http but the server speaks TLS: register an https:// URI"
                )),
                _ => {}
            }
        }
        if s.session.idle_timeout > s.session.absolute_timeout {
            self.warnings.push(
                "FV_SESSION_IDLE_MINUTES is longer than FV_SESSION_ABSOLUTE_HOURS: the absolute limit always ends sessions first".to_owned(),
            );
        }
    }
}

/// "FV_CLIENT_ID is set", naming the source when it was not the canonical variable.
fn set_by(key: &str, origin: Origin) -> String {
    match origin {
        Origin::Env(name) | Origin::DotEnv(name) if name == key => format!("{key} is set"),
        origin => format!("{key} is set by {origin}"),
    }
}

/// A URL from a constant of this module (covered by a test).
fn fixed_url(text: &'static str) -> Url {
    Url::parse(text).expect("built-in URLs parse")
}

fn default_scopes() -> Vec<String> {
    DEFAULT_SCOPES.split(' ').map(str::to_owned).collect()
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 7059))
}

#[cfg(test)]
pub(super) const EXAMPLE_VALUES: (&str, &str) = (EXAMPLE_CLIENT_ID, EXAMPLE_CLIENT_SECRET);

#[cfg(test)]
pub(super) const BUILT_IN_URLS: &[&str] = &[
    DEFAULT_REDIRECT_URI,
    DEFAULT_POST_LOGOUT_REDIRECT_URI,
    DEMO_URL,
];
