//! The environments the app serves, each as the client and gateway settings it is built from:
//! `FV_ENVIRONMENTS` when set, else the one `FV_REGION` environment of [`Settings::oidc`] and
//! [`Settings::gateway`]. Start-up builds one provider and one gateway from each.

use url::Url;

use super::{OidcSettings, Settings};

/// One served environment: its name and the settings its provider and gateway are built from.
#[derive(Clone)]
pub struct ServedEnvironment {
    /// Lower-case, as in URLs and forms (`us`, `ca`, `dev`).
    pub name: String,
    /// The client of this environment: its authority, id, secret and registered URIs; scopes
    /// and clock leeway are shared by every environment.
    pub oidc: OidcSettings,
    pub gateway_url: Url,
}

impl Settings {
    /// Every environment served, the first being the default one.
    pub fn served_environments(&self) -> Vec<ServedEnvironment> {
        if self.environments.is_empty() {
            return vec![ServedEnvironment {
                name: self.oidc.region.as_str().to_owned(),
                oidc: self.oidc.clone(),
                gateway_url: self.gateway.url.clone(),
            }];
        }
        self.environments
            .iter()
            .map(|e| {
                let mut oidc = self.oidc.clone();
                oidc.region = e.preset.unwrap_or(oidc.region);
                oidc.authority = e.authority.clone();
                oidc.client_id = e.client_id.clone();
                oidc.client_secret = e.client_secret.clone();
                oidc.redirect_uri = e.redirect_uri.clone();
                oidc.post_logout_redirect_uri = e.post_logout_redirect_uri.clone();
                ServedEnvironment {
                    name: e.name.clone(),
                    oidc,
                    gateway_url: e.gateway_url.clone(),
                }
            })
            .collect()
    }
}
