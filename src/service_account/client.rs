//! The PAT exchange itself: `grant_type=personal_access_token` at the provider's token
//! endpoint, with this app's client credentials in the form body (as Filevine's specification
//! asks), bounded retries for transient failures, and the granted scopes checked.

use std::{sync::Arc, time::Duration};

use crate::util::{backoff::Backoff, Clock};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::token_source::{
    PatError, PatToken, PatTokenSource, DEFAULT_PAT_SCOPES, EXPIRY_MARGIN, GATEWAY_SCOPE,
};

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
    /// Wait before the first retry; doubled for each further one, up to [`MAX_BACKOFF`]
    /// (with the app's jitter, [`crate::util::backoff`]).
    pub backoff: Duration,
    /// The app's clock: token renewal and the refusal memory are judged on it (tests move it).
    pub(super) clock: Clock,
}

/// The longest wait between two exchange attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

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
            clock: Clock::system(),
        }
    }

    /// Judges token lifetimes on `clock` (the app's) instead of the system clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
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
        Arc::new(PatTokenSource::new(self.clone(), pat))
    }

    /// One exchange, with bounded retries on transient failures.
    pub(super) async fn exchange(&self, pat: &SecretString) -> Result<PatToken, PatError> {
        let attempts = self.attempts.max(1);
        let mut backoff = Backoff::new(self.backoff, MAX_BACKOFF);
        let mut last = PatError::Unavailable("no attempt made".into());
        for attempt in 1..=attempts {
            match self.exchange_once(pat).await {
                Err(e) if e.is_transient() && attempt < attempts => {
                    tracing::warn!(attempt, error = %e, "PAT exchange failed; retrying");
                    last = e;
                    tokio::time::sleep(backoff.next_wait()).await;
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
            expires_at_unix: self.clock.now_unix() + lifetime.as_secs() as i64,
            granted_scopes: granted,
            missing_scopes: missing,
            renew_at: self.clock.now() + lifetime.saturating_sub(effective_margin(lifetime)),
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

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
