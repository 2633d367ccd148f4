//! The bearer token of a Filevine webhook delivery: a JWT issued by the environment's Filevine
//! Identity, `aud` the webhook audience (`FV_WEBHOOK_AUDIENCE`), signed with a key of the
//! provider's key set (RS512 in Filevine's deliveries). Verified like ID tokens (key set,
//! algorithm allow-list, unknown-`kid` refetch: [`super::jws`]; `exp`, `nbf`, `iat` with the
//! clock leeway); the delivery's body is the receiver's business.

use serde_json::Value;

use super::{
    jws::{Jws, JwsError},
    OidcProvider,
};

/// What a valid delivery token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookToken {
    /// The token's id, when it has one: a second delivery with the same `jti` is a duplicate.
    pub jti: Option<String>,
}

/// Why a delivery token was refused. The text goes to the log and, short, to the sender: it
/// names the rule, never the token's content or a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookTokenError {
    #[error("the token is not a signed JWT")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token's iss is not a provider this app serves")]
    Issuer,
    #[error("the token's aud is not the webhook audience")]
    Audience,
    #[error("the token has expired, or has no exp")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
}

impl WebhookTokenError {
    /// A closed label for logs and metrics.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Algorithm => "algorithm",
            Self::Signature => "signature",
            Self::Issuer => "issuer",
            Self::Audience => "audience",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
        }
    }
}

impl From<JwsError> for WebhookTokenError {
    fn from(e: JwsError) -> Self {
        match e {
            JwsError::Malformed => Self::Malformed,
            JwsError::Algorithm => Self::Algorithm,
            JwsError::Signature => Self::Signature,
        }
    }
}

/// Whether `aud` (a string or an array of strings) names `audience`.
fn audience_has(aud: Option<&Value>, audience: &str) -> bool {
    match aud {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    }
}

impl OidcProvider {
    /// Verifies a webhook delivery token: signature with this provider's keys, `iss` this
    /// provider, `aud` containing `audience`, `exp` required and `nbf`/`iat` when present,
    /// each with the clock leeway (`FV_CLOCK_SKEW_SECONDS`) on the app's clock.
    pub async fn verify_webhook_token(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<WebhookToken, WebhookTokenError> {
        let jws = Jws::parse(token)?;
        let claims = self.verify_jws(&jws).await?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(WebhookTokenError::Issuer);
        }
        if !audience_has(claims.get("aud"), audience) {
            return Err(WebhookTokenError::Audience);
        }
        let now = self.clock.now_unix();
        let skew = self.clock_skew.as_secs() as i64;
        let exp = claims.get("exp").and_then(Value::as_i64);
        if exp.is_none_or(|exp| now > exp + skew) {
            return Err(WebhookTokenError::Expired);
        }
        for early in ["nbf", "iat"] {
            match claims.get(early) {
                None => {}
                Some(v) if v.as_i64().is_some_and(|t| t <= now + skew) => {}
                Some(_) => return Err(WebhookTokenError::NotYetValid),
            }
        }
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .filter(|j| !j.is_empty() && j.len() <= 255)
            .map(str::to_owned);
        Ok(WebhookToken { jti })
    }
}
