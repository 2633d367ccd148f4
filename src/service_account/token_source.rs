//! Bearer tokens minted from a service account's Personal Access Token.
//!
//! Filevine's PAT grant (`grant_type=personal_access_token`) answers with a short-lived access
//! token and no refresh token, so whoever needs a token asks [`PatTokenSource::token`], which:
//! - serves the cached token until shortly before it expires ([`effective_margin`]);
//! - mints at most one token at a time however many callers wait (single flight: one async
//!   mutex around minting, and every waiter re-checks the cache once it holds the lock);
//! - remembers a refused PAT ([`REJECTION_MEMORY`]) so background work cannot hammer the
//!   provider with a revoked token: a new PAT means a new source, which starts clean;
//! - retries network failures, 429 and 5xx a bounded number of times with backoff;
//! - compares the granted scopes with the requested ones: missing ones are named on the token
//!   (a warning), except `fv.api.gateway.access`, without which no gateway call can work.
//!
//! The PAT is a [`SecretString`]: it goes only into the form body of the token request, never
//! into a URL, a log line or an error message.

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

/// The scope string Filevine's API specification gives for the PAT exchange.
pub const DEFAULT_PAT_SCOPES: &str =
    "fv.api.gateway.access tenant filevine.v2.api.* openid email fv.auth.tenant.read";

/// The one scope a PAT token must carry: without it every gateway call is refused.
pub const GATEWAY_SCOPE: &str = "fv.api.gateway.access";

/// How long a refused PAT is remembered before the provider is asked again.
pub const REJECTION_MEMORY: Duration = Duration::from_secs(300);

/// Mint a new token this long before the current one expires (at most a tenth of its lifetime,
/// so very short-lived tokens are still used for most of their life).
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Why no token could be had. No variant carries the PAT or any token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PatError {
    /// `invalid_grant`: the provider does not accept this PAT.
    #[error("Filevine refused the personal access token (invalid_grant). The PAT may have been revoked or expired, it may be mistyped (paste it again, without spaces), or the integration may not be activated for the service account's organization in Filevine. Create a new PAT for the service account or ask a Filevine Account Admin to activate the integration.")]
    Rejected,
    /// The provider refused this app's client id or secret.
    #[error("Filevine refused this app's client credentials ({0}). Check FV_CLIENT_ID and FV_CLIENT_SECRET (client secrets expire after a year by default).")]
    Client(String),
    /// The provider refused the requested scopes.
    #[error(
        "Filevine refused the requested scopes ({0}). Ask Filevine to allow them for this client."
    )]
    Scope(String),
    /// A token was issued but without the gateway scope.
    #[error("Filevine issued a token without the fv.api.gateway.access scope (granted: {granted}), so it cannot call the API. Ask Filevine to grant that scope to this client.")]
    MissingGatewayScope { granted: String },
    /// Network failure, timeout, 429 or 5xx, after the retries.
    #[error("Filevine's identity service could not be reached: {0}. Check the network and FV_AUTHORITY, then try again.")]
    Unavailable(String),
    /// An answer we could not make sense of.
    #[error("Filevine's token endpoint answered unexpectedly: {0}")]
    Protocol(String),
}

impl PatError {
    /// Whether asking again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, PatError::Unavailable(_))
    }
}

/// A bearer token minted from the PAT. `Debug` never shows the token.
#[derive(Clone)]
pub struct PatToken {
    access_token: SecretString,
    /// The lifetime the provider gave (`expires_in`).
    pub lifetime: Duration,
    /// Unix seconds when the token expires.
    pub expires_at_unix: i64,
    /// Scopes the provider granted (`scope` of the response; the requested ones when absent).
    pub granted_scopes: Vec<String>,
    /// Requested scopes the provider did not grant (a warning, not a failure).
    pub missing_scopes: Vec<String>,
    /// When the source stops handing this token out.
    renew_at: Instant,
}

impl PatToken {
    /// The bearer token, for an `Authorization` header only.
    pub fn secret(&self) -> &str {
        self.access_token.expose_secret()
    }

    /// A sentence about missing scopes, if any were not granted.
    pub fn scope_warning(&self) -> Option<String> {
        (!self.missing_scopes.is_empty()).then(|| {
            format!(
                "Filevine did not grant these requested scopes: {}. Calls that need them will be refused.",
                self.missing_scopes.join(" ")
            )
        })
    }
}

impl std::fmt::Debug for PatToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatToken")
            .field("access_token", &"<redacted>")
            .field("lifetime", &self.lifetime)
            .field("expires_at_unix", &self.expires_at_unix)
            .field("granted_scopes", &self.granted_scopes)
            .field("missing_scopes", &self.missing_scopes)
            .finish()
    }
}

/// Where and as whom to exchange PATs: the provider's token endpoint and this app's client.
/// One per app; [`PatClient::source`] makes a token source per PAT value.
#[derive(Clone)]
pub struct PatClient {
    http: reqwest::Client,
    token_endpoint: Url,
    client_id: String,
    client_secret: SecretString,
    scopes: Vec<String>,
    /// Attempts per exchange when the provider is unreachable (at least 1).
    pub attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl PatClient {
    /// A client for `token_endpoint` (from discovery) with the default PAT scopes.
    pub fn new(
        http: reqwest::Client,
        token_endpoint: Url,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        Self {
            http,
            token_endpoint,
            client_id,
            client_secret,
            scopes: DEFAULT_PAT_SCOPES
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            attempts: 3,
            backoff: Duration::from_millis(250),
        }
    }

    /// Requests these scopes instead of [`DEFAULT_PAT_SCOPES`].
    pub fn with_scopes(mut self, scopes: Vec<String>) -> Self {
        self.scopes = scopes;
        self
    }

    /// The scopes requested.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// A token source for `pat`.
    pub fn source(&self, pat: SecretString) -> Arc<PatTokenSource> {
        Arc::new(PatTokenSource {
            client: self.clone(),
            pat,
            cache: RwLock::new(None),
            mint: Mutex::new(MintState::default()),
        })
    }

    /// One exchange, with bounded retries on transient failures.
    async fn exchange(&self, pat: &SecretString) -> Result<PatToken, PatError> {
        let attempts = self.attempts.max(1);
        let mut wait = self.backoff;
        let mut last = PatError::Unavailable("no attempt made".into());
        for attempt in 1..=attempts {
            match self.exchange_once(pat).await {
                Err(e) if e.is_transient() && attempt < attempts => {
                    tracing::warn!(attempt, error = %e, "PAT exchange failed; retrying");
                    last = e;
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
                other => return other,
            }
        }
        Err(last)
    }

    async fn exchange_once(&self, pat: &SecretString) -> Result<PatToken, PatError> {
        let scope = self.scopes.join(" ");
        let form = [
            ("grant_type", "personal_access_token"),
            ("token", pat.expose_secret()),
            ("scope", scope.as_str()),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
        ];
        let response = self
            .http
            .post(self.token_endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            // reqwest errors name the URL (no secret in it: the PAT is in the body only).
            .map_err(|e| PatError::Unavailable(crate::util::error_chain(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| PatError::Unavailable(crate::util::error_chain(&e)))?;
        if status.is_success() {
            let ok: TokenOk = serde_json::from_slice(&body)
                .map_err(|e| PatError::Protocol(format!("unreadable token response: {e}")))?;
            return self.accept(ok);
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(PatError::Unavailable(format!("HTTP {}", status.as_u16())));
        }
        let code = serde_json::from_slice::<TokenErr>(&body)
            .map(|e| safe_code(&e.error))
            .unwrap_or_default();
        Err(match code.as_str() {
            "invalid_grant" => PatError::Rejected,
            "invalid_client" | "unauthorized_client" => PatError::Client(code),
            "invalid_scope" => PatError::Scope(self.scopes.join(" ")),
            "" => PatError::Protocol(format!("HTTP {}", status.as_u16())),
            other => PatError::Protocol(format!("HTTP {} {other}", status.as_u16())),
        })
    }

    fn accept(&self, ok: TokenOk) -> Result<PatToken, PatError> {
        if !ok.token_type.eq_ignore_ascii_case("bearer") {
            return Err(PatError::Protocol(format!(
                "token_type {} is not Bearer",
                safe_code(&ok.token_type)
            )));
        }
        if ok.access_token.is_empty() {
            return Err(PatError::Protocol("empty access_token".into()));
        }
        let granted: Vec<String> = match &ok.scope {
            Some(s) => s.split_whitespace().map(str::to_owned).collect(),
            // RFC 6749 5.1: an absent scope means the requested one was granted.
            None => self.scopes.clone(),
        };
        if !granted.iter().any(|s| s == GATEWAY_SCOPE) {
            return Err(PatError::MissingGatewayScope {
                granted: granted.join(" "),
            });
        }
        let missing = self
            .scopes
            .iter()
            .filter(|s| !granted.contains(s))
            .cloned()
            .collect();
        let lifetime = Duration::from_secs(ok.expires_in.unwrap_or(300));
        Ok(PatToken {
            access_token: SecretString::from(ok.access_token),
            lifetime,
            expires_at_unix: crate::util::clock::now_unix() + lifetime.as_secs() as i64,
            granted_scopes: granted,
            missing_scopes: missing,
            renew_at: Instant::now() + lifetime.saturating_sub(effective_margin(lifetime)),
        })
    }
}

/// The renewal margin for a token of `lifetime`: [`EXPIRY_MARGIN`], or a tenth of the
/// lifetime when that is shorter.
pub fn effective_margin(lifetime: Duration) -> Duration {
    EXPIRY_MARGIN.min(lifetime / 10)
}

/// An OAuth error code is echoed into messages: keep only what is safe to show.
fn safe_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

#[derive(Deserialize)]
struct TokenOk {
    access_token: String,
    #[serde(default = "bearer")]
    token_type: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

fn bearer() -> String {
    "Bearer".into()
}

#[derive(Deserialize)]
struct TokenErr {
    #[serde(default)]
    error: String,
}

/// What the minting lock guards: the last failure, so waiters do not all repeat it.
#[derive(Default)]
struct MintState {
    /// A permanent refusal, remembered until the instant.
    rejected: Option<(Instant, PatError)>,
    /// The last transient failure and when it ended.
    failed: Option<(Instant, PatError)>,
}

/// Bearer tokens for one PAT value. Share it behind an `Arc`; see the module docs.
pub struct PatTokenSource {
    client: PatClient,
    pat: SecretString,
    cache: RwLock<Option<PatToken>>,
    mint: Mutex<MintState>,
}

impl PatTokenSource {
    /// A valid bearer token: the cached one, or a freshly minted one.
    pub async fn token(&self) -> Result<PatToken, PatError> {
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        let asked_at = Instant::now();
        let mut state = self.mint.lock().await;
        // Someone else may have minted (or failed) while we waited for the lock.
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        if let Some((until, e)) = &state.rejected {
            if Instant::now() < *until {
                return Err(e.clone());
            }
            state.rejected = None;
        }
        if let Some((at, e)) = &state.failed {
            if *at >= asked_at {
                return Err(e.clone());
            }
        }
        match self.client.exchange(&self.pat).await {
            Ok(t) => {
                state.failed = None;
                tracing::info!(
                    lifetime_s = t.lifetime.as_secs(),
                    missing_scopes = %t.missing_scopes.join(" "),
                    "minted a bearer token from the service account's PAT"
                );
                self.store(Some(t.clone()));
                Ok(t)
            }
            Err(e) => {
                tracing::warn!(error = %e, "PAT exchange failed");
                if e.is_transient() {
                    state.failed = Some((Instant::now(), e.clone()));
                } else {
                    state.rejected = Some((Instant::now() + REJECTION_MEMORY, e.clone()));
                }
                Err(e)
            }
        }
    }

    /// After the gateway refused `stale` (401): drops it so the next [`Self::token`] mints a
    /// new one, unless another caller already replaced it.
    pub fn invalidate(&self, stale: &PatToken) {
        self.invalidate_secret(stale.secret());
    }

    fn invalidate_secret(&self, stale: &str) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.as_ref().map(|c| c.secret()) == Some(stale) {
            *cache = None;
        }
    }

    /// The last four characters of the PAT, for "ends in ...".
    pub fn last4(&self) -> String {
        last4(&self.pat)
    }

    fn cached(&self) -> Option<PatToken> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache
            .as_ref()
            .filter(|t| Instant::now() < t.renew_at)
            .cloned()
    }

    fn store(&self, t: Option<PatToken>) {
        *self.cache.write().unwrap_or_else(|p| p.into_inner()) = t;
    }
}

/// The last four characters of a secret (fewer when it is very short: then none), the only
/// part of a PAT ever shown.
pub fn last4(secret: &SecretString) -> String {
    let s = secret.expose_secret();
    let n = s.chars().count();
    if n < 12 {
        return String::new();
    }
    s.chars().skip(n - 4).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_a_minute_or_a_tenth() {
        assert_eq!(
            effective_margin(Duration::from_secs(1200)),
            Duration::from_secs(60)
        );
        assert_eq!(
            effective_margin(Duration::from_secs(5)),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn last4_hides_short_secrets() {
        assert_eq!(last4(&SecretString::from("abcdefghijkl-wxyz")), "wxyz");
        assert_eq!(last4(&SecretString::from("short")), "");
    }

    fn client() -> PatClient {
        PatClient::new(
            reqwest::Client::new(),
            Url::parse("http://127.0.0.1:9/connect/token").unwrap(),
            "id".into(),
            SecretString::from("secret"),
        )
    }

    fn ok(scope: Option<&str>) -> TokenOk {
        TokenOk {
            access_token: "at".into(),
            token_type: "Bearer".into(),
            expires_in: Some(1200),
            scope: scope.map(str::to_owned),
        }
    }

    #[test]
    fn missing_scopes_are_named_and_the_gateway_scope_is_required() {
        let t = client()
            .accept(ok(Some("fv.api.gateway.access openid")))
            .unwrap();
        assert_eq!(
            t.missing_scopes,
            [
                "tenant",
                "filevine.v2.api.*",
                "email",
                "fv.auth.tenant.read"
            ]
        );
        assert!(t.scope_warning().unwrap().contains("filevine.v2.api.*"));
        assert!(client().accept(ok(None)).unwrap().missing_scopes.is_empty());
        assert!(matches!(
            client().accept(ok(Some("openid email"))),
            Err(PatError::MissingGatewayScope { .. })
        ));
        assert!(!format!("{t:?}").contains("\"at\""));
    }

    #[test]
    fn errors_never_need_the_pat() {
        let msg = PatError::Rejected.to_string();
        assert!(msg.contains("revoked"));
        assert!(msg.contains("mistyped"));
        assert!(msg.contains("activated"));
    }
}

/// The service account as a [`TokenSource`]: after a 401 (the token was revoked or expired
/// early) one new token is minted, unless another caller already replaced the spent one.
#[async_trait::async_trait]
impl crate::filevine::TokenSource for PatTokenSource {
    type Error = PatError;

    async fn token(&self) -> Result<String, PatError> {
        PatTokenSource::token(self)
            .await
            .map(|t| t.secret().to_owned())
    }

    async fn after_unauthorized(&self, spent: &str) -> Result<String, PatError> {
        tracing::info!("gateway refused the service account's token; minting a new one");
        self.invalidate_secret(spent);
        PatTokenSource::token(self)
            .await
            .map(|t| t.secret().to_owned())
    }
}
