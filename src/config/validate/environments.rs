//! `FV_ENVIRONMENTS=us,ca`: several Filevine environments served at once, each configured by
//! its own `FV_<E>_*` variables (presets for `us` and `ca`; a custom name such as `dev` needs
//! its authority and gateway). With it set, the unprefixed client variables are refused, so
//! nobody wonders which environment an `FV_CLIENT_ID` belonged to. Every problem names the
//! variable to change.

use url::Url;

use super::super::parse::{parse_provider_url, redirect_url, Bad};
use super::super::sources::{env_key, ENV_SUFFIXES};
use super::super::{EnvironmentSettings, Origin, Region};
use super::{fixed_url, Resolver};
use secrecy::SecretString;

/// The unprefixed variables that `FV_ENVIRONMENTS` replaces with prefixed ones.
const REPLACED: &[(&str, &str)] = &[
    ("FV_CLIENT_ID", "CLIENT_ID"),
    ("FV_CLIENT_SECRET", "CLIENT_SECRET"),
    ("FV_AUTHORITY", "AUTHORITY"),
    ("FV_GATEWAY_URL", "GATEWAY_URL"),
];

/// `FV_ENVIRONMENTS` as names: lower-case slugs, at least one, no repeats.
pub(in crate::config) fn parse_environments(text: &str) -> Result<Vec<String>, Bad> {
    let mut names: Vec<String> = Vec::new();
    for raw in text.split(',') {
        let name = raw.trim().to_ascii_lowercase();
        let slug = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && name.len() <= 20;
        if !slug {
            return Err(Bad(
                format!("`{}` is not an environment name", raw.trim()),
                "list names of letters, digits and -, separated by commas, e.g. FV_ENVIRONMENTS=us,ca".into(),
            ));
        }
        if names.contains(&name) {
            return Err(Bad(
                format!("`{name}` is listed twice"),
                "list each environment once".into(),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

impl Resolver {
    /// The environments of `FV_ENVIRONMENTS` (none without it, or in demo mode), each checked.
    pub(super) fn environments(
        &mut self,
        demo: bool,
        redirect_uri: &Url,
        post_logout: &Url,
    ) -> Vec<EnvironmentSettings> {
        let listed = self.optional("FV_ENVIRONMENTS", Origin::Default, parse_environments);
        if demo {
            if let Some((_, origin)) = self.raw.get("FV_ENVIRONMENTS") {
                self.warnings.push(format!("FV_ENVIRONMENTS (from {origin}) is ignored: demo mode serves the one built-in stand-in"));
            }
            return Vec::new();
        }
        let names = listed.unwrap_or_default();
        self.stray_keys(&names);
        if names.is_empty() {
            return Vec::new();
        }
        for (key, suffix) in REPLACED {
            if let Some((_, origin)) = self.raw.get(key) {
                let instead: Vec<&str> = names.iter().map(|e| env_key(e, suffix)).collect();
                self.error(
                    key,
                    format!("set (from {origin}) while FV_ENVIRONMENTS is set"),
                    format!("use {} instead", instead.join(", ")),
                );
            }
        }
        names
            .iter()
            .map(|e| self.environment(e, redirect_uri, post_logout))
            .collect()
    }

    /// An `FV_<E>_*` variable of an environment that is not served is a mistake, not a
    /// setting: refused, naming `FV_ENVIRONMENTS`.
    fn stray_keys(&mut self, names: &[String]) {
        let expected: Vec<&str> = names
            .iter()
            .flat_map(|e| ENV_SUFFIXES.iter().map(move |(s, _)| env_key(e, s)))
            .collect();
        let stray: Vec<&'static str> = self
            .raw
            .env_keys()
            .filter(|k| !expected.contains(k))
            .collect();
        for key in stray {
            let problem = if names.is_empty() {
                "set, but FV_ENVIRONMENTS is not".to_owned()
            } else {
                format!(
                    "set, but its environment is not in FV_ENVIRONMENTS ({})",
                    names.join(",")
                )
            };
            let fix = "add its environment to FV_ENVIRONMENTS, or remove the variable";
            self.error(key, problem, fix);
        }
    }

    fn environment(
        &mut self,
        name: &str,
        redirect: &Url,
        post_logout: &Url,
    ) -> EnvironmentSettings {
        let preset = match name {
            "us" => Some(Region::Us),
            "ca" => Some(Region::Ca),
            _ => None,
        };
        let authority = self.env_url(
            name,
            "AUTHORITY",
            preset.map(Region::authority),
            "the issuer of that environment's Filevine identity",
        );
        let gateway_url = self.env_url(
            name,
            "GATEWAY_URL",
            preset.map(Region::gateway_url),
            "that environment's API gateway base URL",
        );
        let client_id = self.env_credential(
            name,
            "CLIENT_ID",
            "the client id Filevine issued for this app",
        );
        let client_secret = SecretString::from(self.env_credential(
            name,
            "CLIENT_SECRET",
            "the secret Filevine issued with that client id",
        ));
        let redirect_uri = self
            .optional(env_key(name, "REDIRECT_URI"), Origin::Default, redirect_url)
            .unwrap_or_else(|| redirect.clone());
        let post_logout_redirect_uri = self
            .optional(
                env_key(name, "POST_LOGOUT_REDIRECT_URI"),
                Origin::Default,
                redirect_url,
            )
            .unwrap_or_else(|| post_logout.clone());
        EnvironmentSettings {
            name: name.to_owned(),
            preset,
            authority,
            gateway_url,
            client_id,
            client_secret,
            redirect_uri,
            post_logout_redirect_uri,
        }
    }

    /// `FV_<E>_<suffix>`, else the preset; a custom environment without it is an error.
    fn env_url(&mut self, e: &str, suffix: &str, preset: Option<&'static str>, what: &str) -> Url {
        let key = env_key(e, suffix);
        let unset = preset.map_or(Origin::Default, |_| {
            Origin::Preset(if e == "ca" { Region::Ca } else { Region::Us })
        });
        if let Some(url) = self.optional(key, unset, parse_provider_url) {
            return url;
        }
        match preset {
            Some(url) => fixed_url(url),
            None => {
                if self.raw.get(key).is_none() {
                    let problem = format!("missing: `{e}` has no preset");
                    self.error(key, problem, format!("set {key} to {what}"));
                }
                fixed_url("http://unset.invalid/")
            }
        }
    }

    /// A required client credential of environment `e`.
    fn env_credential(&mut self, e: &str, suffix: &str, what: &str) -> String {
        let key = env_key(e, suffix);
        match self.text(key, Origin::Default) {
            Some((value, _)) => value,
            None => {
                self.error(
                    key,
                    format!("missing (FV_ENVIRONMENTS lists {e})"),
                    format!("set {key} to {what} in {e}"),
                );
                String::new()
            }
        }
    }
}
