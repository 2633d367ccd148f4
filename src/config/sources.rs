//! Where raw values come from and which one wins.
//!
//! Every source is turned into `(canonical name, text, origin)` triples and merged by rank:
//! defaults < `config.json` < Python-sample aliases (`.env`, then environment) < `FV_*` names
//! (`.env`, then environment) < flags. So a later source wins, except that a Python-sample alias
//! never beats an `FV_*` name: a stray `CLIENT_ID` in the shell must not override the
//! `FV_CLIENT_ID` an operator wrote in `.env`. Empty values count as unset, so an
//! `FV_CLIENT_ID=` line copied from `.env.example` changes nothing.

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
};

use serde_json::Value;

use super::{ConfigError, Overrides, Region};

mod env_keys;
pub(super) use env_keys::{env_key, intern, is_env_key, ENV_SUFFIXES};

/// Everything [`super::resolve`] reads, already in memory, so it is a pure function tests can
/// call without touching files or the process environment.
///
/// No `Debug`: the vectors hold secrets.
#[derive(Default, Clone)]
pub struct Sources {
    /// The config file's path (for messages) and text, in the Node sample's shape.
    pub json: Option<(PathBuf, String)>,
    /// `.env` entries, in file order.
    pub dotenv: Vec<(String, String)>,
    /// Process environment entries. Names that are not ours are ignored.
    pub env: Vec<(String, String)>,
    /// Command-line flags.
    pub overrides: Overrides,
}

/// Where a setting's value came from: shown by `check` and in error messages, so an operator
/// knows which file or variable to edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default.
    Default,
    /// The region's preset (authority, gateway).
    Preset(Region),
    /// A demo-mode placeholder or throwaway value.
    Demo,
    /// The config file, with the JSON key read (`fvApiGateway.ClientId`, `port`).
    ConfigJson(&'static str),
    /// The dotenv file, with the variable read (an `FV_*` name or a Python-sample alias).
    DotEnv(&'static str),
    /// The process environment, with the variable read.
    Env(&'static str),
    /// A command-line flag.
    Flag(&'static str),
}

impl Origin {
    /// Precedence for merging: a higher rank replaces a lower or equal one.
    fn rank(self, key: &str) -> u8 {
        match self {
            Origin::Default | Origin::Preset(_) | Origin::Demo => 0,
            Origin::ConfigJson(_) => 1,
            Origin::DotEnv(name) if name != key => 2,
            Origin::Env(name) if name != key => 3,
            Origin::DotEnv(_) => 4,
            Origin::Env(_) => 5,
            Origin::Flag(_) => 6,
        }
    }

    /// Whether an operator set this value (as opposed to a default, preset or placeholder).
    pub fn is_explicit(self) -> bool {
        !matches!(self, Origin::Default | Origin::Preset(_) | Origin::Demo)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::Preset(region) => write!(f, "{} preset", region.as_str()),
            Origin::Demo => f.write_str("demo"),
            Origin::ConfigJson(key) => write!(f, "config.json {key}"),
            Origin::DotEnv(name) => write!(f, ".env {name}"),
            Origin::Env(name) => write!(f, "environment {name}"),
            Origin::Flag(name) => write!(f, "flag {name}"),
        }
    }
}

/// Every canonical variable name, in the order `check` and `.env.example` list them.
pub(super) const KEYS: &[&str] = &[
    "FV_DEMO",
    "FV_ENVIRONMENTS",
    "FV_REGION",
    "FV_AUTHORITY",
    "FV_GATEWAY_URL",
    "FV_CLIENT_ID",
    "FV_CLIENT_SECRET",
    "FV_REDIRECT_URI",
    "FV_POST_LOGOUT_REDIRECT_URI",
    "FV_SCOPES",
    "FV_CLOCK_SKEW_SECONDS",
    "FV_LISTEN",
    "DATABASE_URL",
    "FV_SECRET_KEY",
    "FV_PAT",
    "FV_SERVICE_ACCOUNT_EMAIL",
    "FV_ADMIN_EMAILS",
    "FV_CONCURRENCY",
    "FV_SNAPSHOT_MINUTES",
    "FV_TIME_ZONE",
    "FV_TLS_CERT",
    "FV_TLS_KEY",
    "FV_TLS_SELF_SIGNED",
    "FV_REFRESH_MARGIN_SECONDS",
    "FV_SESSION_IDLE_MINUTES",
    "FV_SESSION_ABSOLUTE_HOURS",
    "FV_HEADER_READ_TIMEOUT_SECONDS",
    "FV_KEEP_ALIVE_SECONDS",
    "FV_MAX_CONNECTIONS",
    "FV_REQUEST_TIMEOUT_SECONDS",
    "FV_RATE_LIMIT_PER_MINUTE",
    "FV_FEED_RATE_PER_MINUTE",
    "FV_TRUSTED_PROXIES",
    "FV_HEALTH_MINUTES",
    "FV_SMTP_URL",
    "FV_ALERT_FROM",
    "FV_ALERT_WEBHOOK_URL",
    "FV_CLIENT_SECRET_EXPIRES",
    "FV_PUBLIC_URL",
    "FV_WEBHOOK_AUDIENCE",
];

/// The Python sample's `.env` names and the canonical names they stand for. `AUTH_CONFIG` is a
/// discovery URL; the authority parser trims `/.well-known/openid-configuration`.
pub(super) const ALIASES: &[(&str, &str)] = &[
    ("CLIENT_ID", "FV_CLIENT_ID"),
    ("CLIENT_SECRET", "FV_CLIENT_SECRET"),
    ("AUTH_CONFIG", "FV_AUTHORITY"),
    ("SCOPES", "FV_SCOPES"),
    ("GATEWAY_URL", "FV_GATEWAY_URL"),
];

/// Names we notice but deliberately do not use: the Python sample's `SECRET_KEY` is Django's
/// signing key, not a 32-byte encryption key, and reusing it would silently weaken the vault.
pub(super) const IGNORED_SECRET_KEY: &str = "SECRET_KEY";

/// The merged raw text of every setting, with its origin.
#[derive(Default)]
pub(super) struct Raw {
    values: BTreeMap<&'static str, (String, Origin)>,
    /// Secret-looking values from the samples that we saw and ignore (`SECRET_KEY`,
    /// `sessionSecret`), so a missing `FV_SECRET_KEY` can say why they do not count.
    pub(super) ignored: Vec<String>,
}

impl Raw {
    /// Merges every source by rank; problems with the config file's shape go to `errors`.
    pub(super) fn collect(sources: &Sources, errors: &mut Vec<ConfigError>) -> Raw {
        let mut raw = Raw::default();
        if let Some((path, text)) = &sources.json {
            raw.read_json(path, text, errors);
        }
        raw.read_vars(&sources.dotenv, Origin::DotEnv, ".env");
        raw.read_vars(&sources.env, Origin::Env, "the environment");
        raw.read_overrides(&sources.overrides);
        raw
    }

    /// The winning text and origin for a canonical name, if any source set it.
    pub(super) fn get(&self, key: &str) -> Option<(&str, Origin)> {
        self.values.get(key).map(|(v, o)| (v.as_str(), *o))
    }

    /// Every environment's own variable that some source set (`FV_<E>_*`), by name.
    pub(super) fn env_keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.values.keys().copied().filter(|k| is_env_key(k))
    }

    fn set(&mut self, key: &'static str, value: &str, origin: Origin) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let rank = origin.rank(key);
        if self
            .values
            .get(key)
            .is_none_or(|(_, o)| o.rank(key) <= rank)
        {
            self.values.insert(key, (value.to_owned(), origin));
        }
    }

    fn read_vars(
        &mut self,
        vars: &[(String, String)],
        origin: fn(&'static str) -> Origin,
        place: &str,
    ) {
        for (name, value) in vars {
            if let Some(key) = canonical(name) {
                self.set(key, value, origin(known_name(name).unwrap_or(key)));
            } else if is_env_key(name) {
                let key = intern(name);
                self.set(key, value, origin(key));
            } else if name == IGNORED_SECRET_KEY && !value.trim().is_empty() {
                self.ignored.push(format!("SECRET_KEY in {place}"));
            }
        }
    }

    fn read_overrides(&mut self, o: &Overrides) {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
        let flags: [(&'static str, &'static str, Option<String>); 13] = [
            ("FV_LISTEN", "--listen", o.listen.clone()),
            ("FV_REGION", "--region", o.region.clone()),
            ("FV_AUTHORITY", "--authority", o.authority.clone()),
            ("FV_GATEWAY_URL", "--gateway-url", o.gateway_url.clone()),
            ("FV_CLIENT_ID", "--client-id", o.client_id.clone()),
            ("FV_REDIRECT_URI", "--redirect-uri", o.redirect_uri.clone()),
            (
                "FV_POST_LOGOUT_REDIRECT_URI",
                "--post-logout-redirect-uri",
                o.post_logout_redirect_uri.clone(),
            ),
            ("FV_SCOPES", "--scopes", o.scopes.clone()),
            ("DATABASE_URL", "--database-url", o.database_url.clone()),
            ("FV_DEMO", "--demo", o.demo.then(|| "true".to_owned())),
            (
                "FV_TLS_SELF_SIGNED",
                "--tls-self-signed",
                o.tls_self_signed.then(|| "true".to_owned()),
            ),
            ("FV_TLS_CERT", "--tls-cert", path(&o.tls_cert)),
            ("FV_TLS_KEY", "--tls-key", path(&o.tls_key)),
        ];
        for (key, flag, value) in flags {
            if let Some(value) = value {
                self.set(key, &value, Origin::Flag(flag));
            }
        }
    }

    /// Reads the Node sample's `config.json`: `port`, `sessionSecret` (noted, not used) and
    /// `fvApiGateway.{Url, Authority, ClientId, ClientSecret, RedirectUri, PostLogoutRedirectUri,
    /// ClockSkewSeconds, Scopes}`. Key case is ignored; unknown keys are ignored. Values are
    /// never echoed in errors, since this file holds the client secret.
    fn read_json(&mut self, path: &Path, text: &str, errors: &mut Vec<ConfigError>) {
        let shown = path.display();
        let fix = "fix the file, or start again from config.example.json";
        // serde_json's syntax errors name a position, never the file's content.
        let root = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(root)) => root,
            Ok(_) => {
                let problem = format!("{shown} is not a JSON object");
                errors.push(ConfigError::new("config.json", problem, fix));
                return;
            }
            Err(e) => {
                let problem = format!("{shown} is not valid JSON ({e})");
                errors.push(ConfigError::new("config.json", problem, fix));
                return;
            }
        };
        let mut bad = |what: &str, expected: &str| {
            let problem = format!("{shown}: {what} must be {expected}");
            errors.push(ConfigError::new("config.json", problem, fix));
        };
        for (name, value) in &root {
            match name.to_ascii_lowercase().as_str() {
                "port" => match scalar(value).map(|p| p.parse::<u16>()) {
                    None => bad("port", "a number"),
                    Some(Ok(port)) if port > 0 => {
                        let listen = format!("127.0.0.1:{port}");
                        self.set("FV_LISTEN", &listen, Origin::ConfigJson("port"));
                    }
                    Some(_) => bad("port", "a number from 1 to 65535"),
                },
                "sessionsecret" => self.ignored.push("config.json sessionSecret".to_owned()),
                "fvapigateway" => match value {
                    Value::Object(gateway) => {
                        for (name, value) in gateway {
                            let Some((key, json_key)) = gateway_key(name) else {
                                continue;
                            };
                            let text = if key == "FV_SCOPES" {
                                scopes_text(value)
                            } else {
                                scalar(value)
                            };
                            match text {
                                Some(text) => self.set(key, &text, Origin::ConfigJson(json_key)),
                                None if value.is_null() => {}
                                None if key == "FV_SCOPES" => bad(json_key, "an array of strings"),
                                None => bad(json_key, "a string"),
                            }
                        }
                    }
                    Value::Null => {}
                    _ => bad("fvApiGateway", "an object"),
                },
                "environments" => match value {
                    Value::Object(envs) => {
                        for (e, members) in envs {
                            self.read_json_environment(e, members, &mut bad);
                        }
                    }
                    Value::Null => {}
                    _ => bad("environments", "an object keyed by environment name"),
                },
                _ => {}
            }
        }
    }
}

/// Maps a `fvApiGateway` member (any case) to its canonical name and its display name.
fn gateway_key(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name.to_ascii_lowercase().as_str() {
        "url" => ("FV_GATEWAY_URL", "fvApiGateway.Url"),
        "authority" => ("FV_AUTHORITY", "fvApiGateway.Authority"),
        "clientid" => ("FV_CLIENT_ID", "fvApiGateway.ClientId"),
        "clientsecret" => ("FV_CLIENT_SECRET", "fvApiGateway.ClientSecret"),
        "redirecturi" => ("FV_REDIRECT_URI", "fvApiGateway.RedirectUri"),
        "postlogoutredirecturi" => (
            "FV_POST_LOGOUT_REDIRECT_URI",
            "fvApiGateway.PostLogoutRedirectUri",
        ),
        "clockskewseconds" => ("FV_CLOCK_SKEW_SECONDS", "fvApiGateway.ClockSkewSeconds"),
        "scopes" => ("FV_SCOPES", "fvApiGateway.Scopes"),
        _ => return None,
    })
}

/// A JSON string, number or boolean as text; `None` for null, arrays and objects.
pub(super) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The Node sample's `Scopes` array joined with spaces (a plain string is accepted too).
fn scopes_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str())
            .collect::<Option<Vec<_>>>()
            .map(|items| items.join(" ")),
        _ => None,
    }
}

/// The `'static` spelling of a name we read: a canonical name or a Python-sample alias.
pub(super) fn known_name(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .copied()
        .chain(ALIASES.iter().map(|(alias, _)| *alias))
        .find(|known| *known == name)
}

/// The canonical name a variable stands for, if it is one of ours.
fn canonical(name: &str) -> Option<&'static str> {
    KEYS.iter().copied().find(|k| *k == name).or_else(|| {
        ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map(|(_, key)| *key)
    })
}
