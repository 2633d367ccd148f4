//! The client credentials: the demo's placeholders, or a real provider's authority, gateway,
//! client id and secret (region presets, discovery-URL forgiveness, example placeholders refused).

use secrecy::SecretString;
use url::Url;

use super::super::parse::{parse_provider_url, DISCOVERY_SUFFIX};
use super::super::{Origin, Region};
use super::{
    fixed_url, set_by, Resolver, DEMO_CLIENT_ID, DEMO_URL, EXAMPLE_CLIENT_ID, EXAMPLE_CLIENT_SECRET,
};

impl Resolver {
    /// Demo mode: placeholders that start-up replaces with the stand-in's, and a warning for
    /// each real setting that is being ignored.
    pub(super) fn demo_client(&mut self) -> (Url, Url, String, SecretString) {
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
    pub(super) fn real_client(
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
}
