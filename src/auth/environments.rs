//! The Filevine environments this app serves at once (`FV_ENVIRONMENTS=us,ca`, else the one
//! `FV_REGION`): each has its own provider (client, keys, endpoints) and its own gateway.
//!
//! Everything that talks to Filevine for a person or a connection picks the environment first,
//! by the name remembered with them (the pending login, the session, the connection), and
//! then uses only that environment's provider and gateway: a Canadian session never reaches
//! the US gateway, and a callback or logout token is judged by the keys and issuer of the
//! environment it claims, never of another.

use std::sync::Arc;

use url::Url;

use super::oidc::OidcProvider;
use crate::filevine::Gateway;

/// One environment: its name (lower-case, as in URLs and forms), how people call it, its
/// provider and gateway, and the registered URIs of its client.
pub struct Environment {
    pub name: String,
    /// "United States", "Canada", or the name itself for a custom environment.
    pub label: String,
    pub oidc: Arc<OidcProvider>,
    /// The signed-in users' interactive gateway (`FV_CONCURRENCY` calls at once).
    pub gateway: Arc<dyn Gateway>,
    pub redirect_uri: Url,
    pub post_logout_redirect_uri: Url,
}

/// Every environment served, the first being the default (sessions and connections made
/// before environments were recorded belong to it). Never empty.
pub struct Environments {
    list: Vec<Arc<Environment>>,
}

impl Environments {
    /// The environments in the configured order.
    ///
    /// # Panics
    /// When `list` is empty: start-up always builds at least one.
    pub fn new(list: Vec<Environment>) -> Self {
        assert!(!list.is_empty(), "at least one environment is served");
        Self {
            list: list.into_iter().map(Arc::new).collect(),
        }
    }

    /// The first environment: the one of records that do not name theirs.
    pub fn default_env(&self) -> &Arc<Environment> {
        &self.list[0]
    }

    /// The environment `name`; an empty name is the default one (records made before the
    /// environment was recorded). An unknown name is `None`: a session of an environment the
    /// operator stopped serving must not be sent to another one.
    pub fn get(&self, name: &str) -> Option<&Arc<Environment>> {
        if name.is_empty() {
            return Some(self.default_env());
        }
        self.list.iter().find(|e| e.name == name)
    }

    /// The environment whose provider's issuer is `iss` (exactly as discovery gave it).
    pub fn by_issuer(&self, iss: &str) -> Option<&Arc<Environment>> {
        self.list.iter().find(|e| e.oidc.issuer() == iss)
    }

    /// Whether several environments are served (the login then asks which one).
    pub fn several(&self) -> bool {
        self.list.len() > 1
    }

    /// Every environment, in the configured order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Environment>> {
        self.list.iter()
    }

    /// The environments' names, in the configured order.
    pub fn names(&self) -> Vec<String> {
        self.list.iter().map(|e| e.name.clone()).collect()
    }
}

/// How people call an environment: the presets by their country, anything else by its name.
pub fn label_of(name: &str) -> String {
    match name {
        "us" => "United States".to_owned(),
        "ca" => "Canada".to_owned(),
        other => other.to_owned(),
    }
}
