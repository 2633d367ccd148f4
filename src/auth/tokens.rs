//! The token set of a signed-in session, and when it needs refreshing. It lives sealed with
//! AES-GCM in the token vault (see [`super::vault`]), never in the cookie and never in a page.

use std::{fmt, time::Duration};

use openidconnect::{core::CoreTokenResponse, OAuth2TokenResponse};
use serde::{Deserialize, Serialize};

/// Lifetime assumed when the provider's token response has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// Access, refresh and ID token of one session.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
    /// Unix seconds when the access token expires.
    pub expires_at: i64,
    /// Unix seconds when the access token was received. With `expires_at` it gives the
    /// token's own lifetime, which caps the refresh margin (see [`TokenSet::needs_refresh`]).
    /// Rows written before this field existed read as 0: a lifetime so long the configured
    /// margin applies unchanged.
    #[serde(default)]
    pub issued_at: i64,
    /// Granted scopes, when the provider said.
    pub scope: Option<String>,
}

impl TokenSet {
    /// A token set from a token-endpoint answer received at `now` (unix seconds).
    /// `previous_refresh` is kept when a provider that does not rotate sends no new one.
    pub fn from_response(
        r: &CoreTokenResponse,
        id_token: String,
        previous_refresh: Option<String>,
        now: i64,
    ) -> Self {
        let expires_in = r.expires_in().unwrap_or(DEFAULT_LIFETIME).as_secs() as i64;
        TokenSet {
            access_token: r.access_token().secret().clone(),
            refresh_token: r
                .refresh_token()
                .map(|t| t.secret().clone())
                .or(previous_refresh),
            id_token,
            expires_at: now + expires_in,
            issued_at: now,
            scope: r.scopes().map(|s| {
                s.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
        }
    }

    /// Whether the access token expires within `margin` of `now`.
    pub fn expires_within(&self, now: i64, margin: Duration) -> bool {
        self.expires_at - now <= margin.as_secs() as i64
    }

    /// The margin actually used for this token: the configured one, but never more than a
    /// quarter of the token's own lifetime. A provider issuing tokens shorter than
    /// `FV_REFRESH_MARGIN_SECONDS` would otherwise make every request refresh (issue 12: 50
    /// requests, 50 refreshes); with the cap a token is used for three quarters of its life,
    /// about one refresh per token lifetime.
    pub fn effective_margin(&self, margin: Duration) -> Duration {
        let lifetime = (self.expires_at - self.issued_at).max(0) as u64;
        margin.min(Duration::from_secs(lifetime / 4))
    }

    /// Whether the access token should be refreshed before use at `now`.
    pub fn needs_refresh(&self, now: i64, margin: Duration) -> bool {
        self.expires_within(now, self.effective_margin(margin))
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_at", &self.expires_at)
            .field("issued_at", &self.issued_at)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(issued_at: i64, expires_at: i64) -> TokenSet {
        TokenSet {
            access_token: "at-secret".into(),
            refresh_token: Some("rt-secret".into()),
            id_token: "id-secret".into(),
            expires_at,
            issued_at,
            scope: None,
        }
    }

    #[test]
    fn debug_never_prints_tokens() {
        let s = format!("{:?}", token(0, 10));
        assert!(!s.contains("secret"), "{s}");
        // What it does show, for the logs.
        assert!(
            s.contains("expires_at: 10") && s.contains("has_refresh_token: true"),
            "{s}"
        );
    }

    fn response(body: serde_json::Value) -> CoreTokenResponse {
        serde_json::from_value(body).expect("a token response")
    }

    #[test]
    fn from_response_dates_the_token_from_now() {
        let r = response(serde_json::json!({
            "access_token": "at", "token_type": "Bearer", "expires_in": 300,
            "refresh_token": "rt", "scope": "openid email",
        }));
        let t = TokenSet::from_response(&r, "id".into(), Some("old-rt".into()), 1000);
        assert_eq!((t.issued_at, t.expires_at), (1000, 1300));
        assert_eq!(t.refresh_token.as_deref(), Some("rt"));
        assert_eq!(t.scope.as_deref(), Some("openid email"));
        // No new refresh token (a provider that does not rotate): the previous one is kept.
        let r = response(serde_json::json!({"access_token": "at", "token_type": "Bearer"}));
        let t = TokenSet::from_response(&r, "id".into(), Some("old-rt".into()), 1000);
        assert_eq!(t.refresh_token.as_deref(), Some("old-rt"));
        assert_eq!(t.expires_at, 1000 + DEFAULT_LIFETIME.as_secs() as i64);
    }

    #[test]
    fn margin() {
        let t = token(0, 100);
        assert!(t.expires_within(50, Duration::from_secs(60)));
        assert!(!t.expires_within(30, Duration::from_secs(60)));
    }

    #[test]
    fn margin_is_capped_by_the_tokens_own_lifetime() {
        let sixty = Duration::from_secs(60);
        // A 4-second token with the default 60 s margin: refreshed in its last second, not
        // on every request.
        let t = token(1000, 1004);
        assert!(!t.needs_refresh(1000, sixty), "fresh token is used");
        assert!(!t.needs_refresh(1002, sixty));
        assert!(t.needs_refresh(1003, sixty));
        // A 20-minute token keeps the configured margin.
        let long = token(0, 1200);
        assert_eq!(long.effective_margin(sixty), sixty);
        assert!(long.needs_refresh(1140, sixty));
        assert!(!long.needs_refresh(1139, sixty));
        // Rows from before `issued_at` existed: the configured margin.
        let legacy = token(0, 1_700_000_000);
        assert_eq!(legacy.effective_margin(sixty), sixty);
    }
}
