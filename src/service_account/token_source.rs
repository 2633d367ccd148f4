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
    sync::RwLock,
    time::{Duration, Instant, SystemTime},
};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::client::PatClient;

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
    /// The `outcome` label of `fv_pat_exchanges_total` (a closed set).
    pub fn metric_outcome(&self) -> &'static str {
        match self {
            PatError::Rejected => "rejected",
            PatError::Client(_) => "client",
            PatError::Scope(_) | PatError::MissingGatewayScope { .. } => "scope",
            PatError::Unavailable(_) => "unavailable",
            PatError::Protocol(_) => "protocol",
        }
    }

    /// Whether asking again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, PatError::Unavailable(_))
    }
}

/// A bearer token minted from the PAT. `Debug` never shows the token.
#[derive(Clone)]
pub struct PatToken {
    pub(super) access_token: SecretString,
    /// The lifetime the provider gave (`expires_in`).
    pub lifetime: Duration,
    /// Unix seconds when the token expires.
    pub expires_at_unix: i64,
    /// Scopes the provider granted (`scope` of the response; the requested ones when absent).
    pub granted_scopes: Vec<String>,
    /// Requested scopes the provider did not grant (a warning, not a failure).
    pub missing_scopes: Vec<String>,
    /// When the source stops handing this token out.
    pub(super) renew_at: SystemTime,
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

/// What the minting lock guards: the last failure, so waiters do not all repeat it.
#[derive(Default)]
struct MintState {
    /// A permanent refusal, remembered until then (on the app's clock).
    rejected: Option<(SystemTime, PatError)>,
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
    /// A source for the same PAT that asks for `scope` too (a connection whose live updates
    /// need `filevine.v2.webhooks`), with nothing cached yet.
    pub fn with_extra_scope(&self, scope: &str) -> std::sync::Arc<PatTokenSource> {
        let mut scopes = self.client.scopes().to_vec();
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
        let client = self.client.clone().with_scopes(scopes);
        std::sync::Arc::new(PatTokenSource::new(client, self.pat.clone()))
    }

    /// A source for `pat` exchanged through `client`, with nothing cached yet.
    pub(super) fn new(client: PatClient, pat: SecretString) -> Self {
        Self {
            client,
            pat,
            cache: RwLock::new(None),
            mint: Mutex::new(MintState::default()),
        }
    }

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
            if self.client.clock.now() < *until {
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
                crate::metrics::pat_exchange("success");
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
                crate::metrics::pat_exchange(e.metric_outcome());
                tracing::warn!(error = %e, "PAT exchange failed");
                if e.is_transient() {
                    state.failed = Some((Instant::now(), e.clone()));
                } else {
                    let until = self.client.clock.now() + REJECTION_MEMORY;
                    state.rejected = Some((until, e.clone()));
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
            .filter(|t| self.client.clock.now() < t.renew_at)
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
