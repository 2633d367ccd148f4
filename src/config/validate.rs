//! Turns the merged raw text into typed, checked [`Settings`], collecting every problem at once
//! so an operator fixes a configuration in one go rather than one restart per mistake.
//!
//! Secret values (client secret, key, PAT) never appear in a message; other values do, since
//! seeing `localhost:7059` quoted back is what makes "not a socket address" actionable.

use std::{collections::BTreeMap, net::SocketAddr, time::Duration};

use secrecy::SecretString;
use url::Url;

use super::parse::{
    in_range, parse_bool, parse_database_url, parse_email, parse_email_list, parse_listen,
    parse_region, parse_scopes, redirect_url, Bad,
};
use super::sources::Raw;
use crate::util::dates::Zone;

mod alerts;
mod client;
mod cross;
mod edge;
mod environments;
mod tls_key;
use super::{
    ConfigError, ConfigErrors, DatabaseSettings, GatewaySettings, OidcSettings, Origin, Region,
    ServiceAccountSettings, SessionSettings, Settings, Sources,
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
    // An environment's own variables and FV_ENVIRONMENTS are real configuration too.
    let configured = [
        "FV_CLIENT_ID",
        "FV_CLIENT_SECRET",
        "FV_AUTHORITY",
        "FV_ENVIRONMENTS",
    ]
    .into_iter()
    .any(|key| r.raw.get(key).is_some())
        || r.raw.env_keys().next().is_some();
    let demo = demo_setting.unwrap_or(!configured);
    let region = r.value("FV_REGION", Region::Us, parse_region);
    let several = !demo && r.raw.get("FV_ENVIRONMENTS").is_some();
    let (authority, gateway_url, client_id, client_secret) = if demo {
        r.demo_client()
    } else if several {
        // Replaced below by the first environment's.
        let unset = fixed_url(DEMO_URL);
        (unset.clone(), unset, String::new(), SecretString::from(""))
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
    let environments = r.environments(demo, &redirect_uri, &post_logout_redirect_uri);
    let (
        region,
        authority,
        gateway_url,
        client_id,
        client_secret,
        redirect_uri,
        post_logout_redirect_uri,
    ) = match environments.first() {
        Some(e) => (
            e.preset.unwrap_or(region),
            e.authority.clone(),
            e.gateway_url.clone(),
            e.client_id.clone(),
            e.client_secret.clone(),
            e.redirect_uri.clone(),
            e.post_logout_redirect_uri.clone(),
        ),
        None => (
            region,
            authority,
            gateway_url,
            client_id,
            client_secret,
            redirect_uri,
            post_logout_redirect_uri,
        ),
    };
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
    let time_zone = r.value("FV_TIME_ZONE", Zone::utc(), |t| {
        Zone::named(t).map_err(|problem| {
            super::parse::bad(
                problem,
                "use an IANA time zone name, such as America/Denver, America/Toronto or UTC",
            )
        })
    });
    let snapshot_minutes = r.value("FV_SNAPSHOT_MINUTES", 15, |t| {
        in_range(t, 0, 24 * 60, "minutes")
    });
    let alerts = alerts::alerts(&mut r, &admin_emails);
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
        environments,
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
            demo_email: None,
            snapshot_every: (snapshot_minutes > 0)
                .then(|| Duration::from_secs(snapshot_minutes * 60)),
        },
        alerts,
        tls,
        time_zone,
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
