//! The variables of one environment of `FV_ENVIRONMENTS` (`FV_<E>_CLIENT_ID`, ...): their
//! names are made at run time from the environment's name, and `config.json` may give them as
//! `environments.<e>` with the `fvApiGateway` keys.

use serde_json::Value;

use super::{scalar, Origin, Raw, KEYS};

/// What follows `FV_<E>_` in an environment's own variables (`FV_CA_CLIENT_ID`), and the
/// `config.json` `environments.<e>` member (same keys as `fvApiGateway`) each stands for.
pub(in crate::config) const ENV_SUFFIXES: &[(&str, &str)] = &[
    ("CLIENT_ID", "ClientId"),
    ("CLIENT_SECRET", "ClientSecret"),
    ("AUTHORITY", "Authority"),
    ("GATEWAY_URL", "Url"),
    ("REDIRECT_URI", "RedirectUri"),
    ("POST_LOGOUT_REDIRECT_URI", "PostLogoutRedirectUri"),
];

/// The `'static` spelling of a name made at run time (`FV_CA_CLIENT_ID`, a config.json path):
/// settings, origins and errors are keyed by `&'static str`, and these names are few and made
/// once per distinct name, so each is leaked once and then reused.
pub(in crate::config) fn intern(name: &str) -> &'static str {
    use std::{collections::BTreeSet, sync::Mutex};
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// The variable `FV_<E>_<suffix>` of environment `e` (`ca` → `FV_CA_CLIENT_ID`).
pub(in crate::config) fn env_key(e: &str, suffix: &str) -> &'static str {
    let upper = e.to_ascii_uppercase().replace('-', "_");
    intern(&format!("FV_{upper}_{suffix}"))
}

/// Whether `name` is an environment's own variable (`FV_<E>_<suffix>`), not a canonical one.
pub(in crate::config) fn is_env_key(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("FV_").filter(|_| !KEYS.contains(&name)) else {
        return false;
    };
    ENV_SUFFIXES.iter().any(|(suffix, _)| {
        rest.strip_suffix(suffix)
            .and_then(|e| e.strip_suffix('_'))
            .is_some_and(|e| {
                !e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    })
}

impl Raw {
    /// `config.json` `environments.<e>`: the `fvApiGateway` keys of environment `e`, read as
    /// its `FV_<E>_*` variables (which, like every variable, win over the file).
    pub(super) fn read_json_environment(
        &mut self,
        e: &str,
        members: &Value,
        bad: &mut impl FnMut(&str, &str),
    ) {
        let Value::Object(members) = members else {
            bad(&format!("environments.{e}"), "an object");
            return;
        };
        for (name, value) in members {
            let Some((suffix, json)) = ENV_SUFFIXES
                .iter()
                .find(|(_, json)| json.eq_ignore_ascii_case(name))
            else {
                continue;
            };
            let shown = intern(&format!("environments.{e}.{json}"));
            match scalar(value) {
                Some(text) => self.set(env_key(e, suffix), &text, Origin::ConfigJson(shown)),
                None if value.is_null() => {}
                None => bad(shown, "a string"),
            }
        }
    }
}
