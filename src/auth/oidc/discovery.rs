//! Discovery: the provider's metadata (with the fields `openidconnect` does not carry), the
//! checks made on it at start-up, and what `fv-partner-app check` reports.

use std::sync::{atomic::AtomicU64, Arc};

use openidconnect::{
    core::{
        CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
        CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
        CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType,
        CoreSubjectIdentifierType,
    },
    AdditionalProviderMetadata, AuthType, AuthUrl, ClientId, ClientSecret, IssuerUrl,
    ProviderMetadata, RedirectUrl, Scope, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};
use url::Url;

use super::{verify::KeyCache, OidcProvider, JWKS_REFETCH_COOLDOWN};
use crate::{
    config::OidcSettings,
    util::{error_chain, Clock},
};

/// Discovery fields `openidconnect`'s core metadata does not carry.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraProviderMetadata {
    /// RP-initiated logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<Url>,
    /// RFC 7009 token revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<Url>,
    /// RFC 9207: the provider puts `iss` on authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// OpenID Connect Back-Channel Logout 1.0: the provider posts logout tokens.
    #[serde(default)]
    pub backchannel_logout_supported: bool,
    /// ... and puts `sid` in them (and in ID tokens).
    #[serde(default)]
    pub backchannel_logout_session_supported: bool,
    /// PKCE methods (we always use S256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}
impl AdditionalProviderMetadata for ExtraProviderMetadata {}

/// Provider metadata with the extra fields above.
pub type FvProviderMetadata = ProviderMetadata<
    ExtraProviderMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The identity hosts Filevine's documents name, for an operator whose authority does not
/// answer or names another issuer: the US presets' host and its variant (Filevine's export
/// and support article say `.com`, its Identity API reference page `.io`), and Canada's.
pub const IDENTITY_HOSTS_HINT: &str = "Filevine's documents name these identity hosts: US https://identity.filevine.com (also listed: https://identity.filevine.io), Canada https://identity.filevineapp.ca";

/// Why discovery failed at start-up.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("FV_AUTHORITY is not a valid issuer URL: {0}")]
    BadIssuer(String),
    #[error("could not load {url}/.well-known/openid-configuration: {detail}. Check FV_AUTHORITY (and FV_REGION) and that the provider is reachable. {hosts}", hosts = IDENTITY_HOSTS_HINT)]
    Fetch { url: String, detail: String },
    /// Discovery answered, naming another issuer than the configured authority (a preset that
    /// is out of date, a typo, or a mix-up): never papered over, but said plainly.
    #[error("the discovery document at {configured} names the issuer {found}, not {configured}. This app trusts only the configured authority: if {found} is Filevine's identity for this environment, set FV_AUTHORITY (FV_<E>_AUTHORITY with FV_ENVIRONMENTS) to it; the preset or your value may be out of date. {hosts}", hosts = IDENTITY_HOSTS_HINT)]
    IssuerDiffers { configured: String, found: String },
    #[error("the provider has no token endpoint in its discovery document")]
    NoTokenEndpoint,
    #[error("FV_REDIRECT_URI is not a valid URL: {0}")]
    BadRedirect(String),
}

/// What `check` reports about the provider.
#[derive(Debug, Clone)]
pub struct ProviderSummary {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub end_session_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub scopes_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub signing_algs: Vec<String>,
    pub pkce_methods: Vec<String>,
    pub iss_parameter: bool,
    pub auth_methods: Vec<String>,
    /// Discovery advertises back-channel logout (`backchannel_logout_supported`).
    pub backchannel_logout: bool,
    /// ... with `sid` (`backchannel_logout_session_supported`).
    pub backchannel_logout_session: bool,
    /// Where name, email and `email_verified` are served when the ID token leaves them out.
    pub userinfo_endpoint: Option<String>,
    /// The claims the provider says it can supply (`claims_supported`), if it says.
    pub claims_supported: Vec<String>,
}

impl OidcProvider {
    /// Fetches discovery and the key set. Fails when discovery's `issuer` is not the configured
    /// authority: a mismatch means a misconfiguration or a mix-up attack, never something to
    /// paper over. `clock` is the app's: ID-token times and token expiry are judged by it.
    pub async fn discover(
        settings: &OidcSettings,
        http: reqwest::Client,
        clock: Clock,
    ) -> Result<Arc<Self>, DiscoveryError> {
        let authority = settings.authority.as_str().trim_end_matches('/').to_owned();
        let issuer = IssuerUrl::new(authority.clone())
            .map_err(|e| DiscoveryError::BadIssuer(e.to_string()))?;
        let metadata = match FvProviderMetadata::discover_async(issuer.clone(), &http).await {
            Ok(m) => m,
            Err(e) => {
                if let Some(found) = claimed_issuer(&http, &authority).await {
                    return Err(DiscoveryError::IssuerDiffers {
                        configured: authority,
                        found,
                    });
                }
                return Err(DiscoveryError::Fetch {
                    url: authority.clone(),
                    detail: error_chain(&e),
                });
            }
        };
        let token_url = metadata
            .token_endpoint()
            .cloned()
            .ok_or(DiscoveryError::NoTokenEndpoint)?;
        let extra = metadata.additional_metadata().clone();
        let summary = summarize(&metadata, &token_url);

        // Prefer HTTP Basic (the secret stays out of request bodies that proxies may log)
        // unless the provider only takes client_secret_post.
        let auth_type = match metadata.token_endpoint_auth_methods_supported() {
            Some(methods)
                if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        };
        let secret_in_body = matches!(auth_type, AuthType::RequestBody);
        let client_id = ClientId::new(settings.client_id.clone());
        let client_secret = ClientSecret::new(settings.client_secret.expose_secret().to_owned());
        let redirect = RedirectUrl::new(settings.redirect_uri.to_string())
            .map_err(|e| DiscoveryError::BadRedirect(e.to_string()))?;
        let client = CoreClient::new(client_id.clone(), issuer.clone(), metadata.jwks().clone())
            .set_client_secret(client_secret.clone())
            .set_auth_uri(AuthUrl::from_url(
                metadata.authorization_endpoint().url().clone(),
            ))
            .set_token_uri(TokenUrl::from_url(token_url.url().clone()))
            .set_redirect_uri(redirect)
            .set_auth_type(auth_type);

        Ok(Arc::new(Self {
            http,
            client,
            client_id,
            client_secret,
            issuer,
            jwks_uri: metadata.jwks_uri().clone(),
            keys: RwLock::new(KeyCache::new(metadata.jwks().clone(), clock.now())),
            refetch_gate: Mutex::new(None),
            refetch_cooldown_ms: AtomicU64::new(JWKS_REFETCH_COOLDOWN.as_millis() as u64),
            userinfo: metadata.userinfo_endpoint().map(|u| u.url().clone()),
            scopes: settings.scopes.iter().cloned().map(Scope::new).collect(),
            clock_skew: settings.clock_skew,
            clock,
            end_session: extra.end_session_endpoint,
            revocation: extra.revocation_endpoint,
            secret_in_body,
            iss_parameter: extra.authorization_response_iss_parameter_supported,
            summary,
        }))
    }
}

/// After a failed discovery: the `issuer` the document at `authority` names, when it answers
/// and names another one than `authority` (so the error can say which).
async fn claimed_issuer(http: &reqwest::Client, authority: &str) -> Option<String> {
    let url = format!("{authority}/.well-known/openid-configuration");
    let doc: serde_json::Value = http.get(url).send().await.ok()?.json().await.ok()?;
    let found = doc.get("issuer")?.as_str()?;
    (found != authority).then(|| crate::telemetry::Bounded(found).to_string())
}

fn summarize(metadata: &FvProviderMetadata, token_url: &TokenUrl) -> ProviderSummary {
    fn names<T: serde::Serialize>(items: Option<&Vec<T>>) -> Vec<String> {
        items
            .map(|v| {
                v.iter()
                    .filter_map(|i| serde_json::to_value(i).ok())
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
    let extra = metadata.additional_metadata();
    ProviderSummary {
        issuer: metadata.issuer().to_string(),
        authorization_endpoint: metadata.authorization_endpoint().to_string(),
        token_endpoint: token_url.to_string(),
        end_session_endpoint: extra.end_session_endpoint.as_ref().map(Url::to_string),
        revocation_endpoint: extra.revocation_endpoint.as_ref().map(Url::to_string),
        scopes_supported: names(metadata.scopes_supported()),
        grant_types_supported: names(metadata.grant_types_supported()),
        signing_algs: names(Some(metadata.id_token_signing_alg_values_supported())),
        pkce_methods: extra
            .code_challenge_methods_supported
            .clone()
            .unwrap_or_default(),
        iss_parameter: extra.authorization_response_iss_parameter_supported,
        auth_methods: names(metadata.token_endpoint_auth_methods_supported()),
        backchannel_logout: extra.backchannel_logout_supported,
        backchannel_logout_session: extra.backchannel_logout_session_supported,
        userinfo_endpoint: metadata.userinfo_endpoint().map(|u| u.to_string()),
        claims_supported: names(metadata.claims_supported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An operator whose authority fails is told which hosts Filevine names, both US variants
    /// of the facts among them.
    #[test]
    fn host_problems_name_filevines_identity_hosts() {
        let fetch = DiscoveryError::Fetch {
            url: "https://identity.example".into(),
            detail: "connection refused".into(),
        };
        let differs = DiscoveryError::IssuerDiffers {
            configured: "https://identity.filevine.com".into(),
            found: "https://login.example".into(),
        };
        for text in [fetch.to_string(), differs.to_string()] {
            for host in [
                "https://identity.filevine.com",
                "https://identity.filevine.io",
                "https://identity.filevineapp.ca",
            ] {
                assert!(text.contains(host), "{host}: {text}");
            }
        }
    }
}
