//! Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0, section 2.6), verified
//! with the same key set, algorithm allow-list, key refetch and clock leeway as ID tokens.
//!
//! The signature is checked by [`super::jws`] (shared with webhook delivery tokens); this file
//! holds the logout token's own header and claims rules.

use serde_json::Value;

use super::{
    jws::{decode_json, Jws, JwsError},
    OidcProvider,
};

/// The event a logout token must carry.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token without `exp` is accepted this long after its `iat` (plus leeway), so its
/// `jti` need only be remembered that long.
pub const LOGOUT_TOKEN_MAX_AGE_SECONDS: i64 = 600;

/// What a valid logout token says.
#[derive(Debug, Clone)]
pub struct LogoutToken {
    pub sid: Option<String>,
    pub sub: Option<String>,
    pub jti: String,
    /// Unix seconds until which the token could still be accepted (its `jti` is kept so long).
    pub acceptable_until: i64,
}

/// Why a logout token was refused. The text is the `error_description` of the 400 answer:
/// it names the rule, never the token's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoutTokenError {
    #[error("the logout token is not a signed JWT")]
    Malformed,
    #[error("the logout token's typ header is not logout+jwt")]
    Type,
    #[error("the logout token's algorithm is not accepted")]
    Algorithm,
    #[error("the logout token's signature does not verify with the provider's keys")]
    Signature,
    #[error("the logout token's iss is not the provider")]
    Issuer,
    #[error("the logout token's aud is not this client")]
    Audience,
    #[error("the logout token has no valid iat, or was issued in the future or too long ago")]
    IssuedAt,
    #[error("the logout token expired")]
    Expired,
    #[error("the logout token's events claim has no back-channel logout event")]
    Events,
    #[error("a logout token must not carry a nonce")]
    Nonce,
    #[error("the logout token names neither sid nor sub")]
    NoSubject,
    #[error("the logout token has no jti")]
    NoJti,
}

/// The `iss` a logout token claims, read without verifying anything: only to choose which
/// environment's provider verifies it (which then checks `iss` itself, with its signature).
pub fn claimed_issuer(token: &str) -> Result<String, LogoutTokenError> {
    let payload = token.split('.').nth(1).ok_or(LogoutTokenError::Malformed)?;
    decode_json(payload)?
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(LogoutTokenError::Issuer)
}

impl From<JwsError> for LogoutTokenError {
    fn from(e: JwsError) -> Self {
        match e {
            JwsError::Malformed => LogoutTokenError::Malformed,
            JwsError::Algorithm => LogoutTokenError::Algorithm,
            JwsError::Signature => LogoutTokenError::Signature,
        }
    }
}

/// Section 2.4: `typ` is `logout+jwt` (with or without `application/`), or the generic `JWT`,
/// or absent.
fn check_type(header: &Value) -> Result<(), LogoutTokenError> {
    match header.get("typ") {
        None => Ok(()),
        Some(Value::String(t)) => {
            let t = t.to_ascii_lowercase();
            let t = t.strip_prefix("application/").unwrap_or(&t);
            if t == "logout+jwt" || t == "jwt" {
                Ok(())
            } else {
                Err(LogoutTokenError::Type)
            }
        }
        Some(_) => Err(LogoutTokenError::Type),
    }
}

fn audience_has(aud: Option<&Value>, client_id: &str) -> bool {
    match aud {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    }
}

fn non_empty_str(claims: &Value, name: &str) -> Option<String> {
    claims
        .get(name)?
        .as_str()
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .map(str::to_owned)
}

impl OidcProvider {
    /// Verifies a back-channel logout token: signature, `iss`, `aud`, `iat` (leeway, and not
    /// older than [`LOGOUT_TOKEN_MAX_AGE_SECONDS`] when there is no `exp`), `exp` when present,
    /// `events`, no `nonce`, `sid` or `sub`, and a `jti` (whose replay the caller checks).
    pub async fn verify_logout_token(&self, token: &str) -> Result<LogoutToken, LogoutTokenError> {
        let jws = Jws::parse(token)?;
        check_type(&jws.header)?;
        let claims = self.verify_jws(&jws).await?;
        self.check_logout_claims(&claims)
    }

    fn check_logout_claims(&self, claims: &Value) -> Result<LogoutToken, LogoutTokenError> {
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(LogoutTokenError::Issuer);
        }
        if !audience_has(claims.get("aud"), self.client_id.as_str()) {
            return Err(LogoutTokenError::Audience);
        }
        let now = self.clock.now_unix();
        let skew = self.clock_skew.as_secs() as i64;
        let iat = claims
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or(LogoutTokenError::IssuedAt)?;
        if iat > now + skew {
            return Err(LogoutTokenError::IssuedAt);
        }
        let acceptable_until = match claims.get("exp") {
            None => {
                let until = iat + LOGOUT_TOKEN_MAX_AGE_SECONDS + skew;
                if now > until {
                    return Err(LogoutTokenError::IssuedAt);
                }
                until
            }
            Some(exp) => {
                let exp = exp.as_i64().ok_or(LogoutTokenError::Expired)?;
                if now > exp + skew {
                    return Err(LogoutTokenError::Expired);
                }
                exp + skew
            }
        };
        let event = claims
            .get("events")
            .and_then(Value::as_object)
            .and_then(|e| e.get(BACKCHANNEL_LOGOUT_EVENT));
        if !event.is_some_and(Value::is_object) {
            return Err(LogoutTokenError::Events);
        }
        if claims.get("nonce").is_some() {
            return Err(LogoutTokenError::Nonce);
        }
        let sid = non_empty_str(claims, "sid");
        let sub = non_empty_str(claims, "sub");
        if sid.is_none() && sub.is_none() {
            return Err(LogoutTokenError::NoSubject);
        }
        let jti = non_empty_str(claims, "jti").ok_or(LogoutTokenError::NoJti)?;
        Ok(LogoutToken {
            sid,
            sub,
            jti,
            acceptable_until,
        })
    }
}
