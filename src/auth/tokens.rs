//! The token set of a signed-in session, and where it lives: sealed with AES-GCM inside the
//! server-side session record, never in the cookie and never in a page.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Access, refresh and ID token of one session.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
    /// Unix seconds when the access token expires.
    pub expires_at: i64,
    /// Granted scopes, when the provider said.
    pub scope: Option<String>,
}

impl TokenSet {
    /// Whether the access token expires within `margin` of `now`.
    pub fn expires_within(&self, now: i64, margin: std::time::Duration) -> bool {
        self.expires_at - now <= margin.as_secs() as i64
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_at", &self.expires_at)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_tokens() {
        let t = TokenSet {
            access_token: "at-secret".into(),
            refresh_token: Some("rt-secret".into()),
            id_token: "id-secret".into(),
            expires_at: 10,
            scope: None,
        };
        let s = format!("{t:?}");
        assert!(!s.contains("secret"), "{s}");
    }

    #[test]
    fn margin() {
        let t = TokenSet {
            access_token: String::new(),
            refresh_token: None,
            id_token: String::new(),
            expires_at: 100,
            scope: None,
        };
        assert!(t.expires_within(50, std::time::Duration::from_secs(60)));
        assert!(!t.expires_within(30, std::time::Duration::from_secs(60)));
    }
}
