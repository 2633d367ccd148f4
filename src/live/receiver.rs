//! `POST /webhooks/filevine`, the service behind the handler: who sent it (the bearer token,
//! verified by the provider of the environment whose issuer it names), what it says (the
//! body, [`super::delivery`]), and storing it in the inbox before anything is answered.
//!
//! The token is checked before the body is read ([`Receiver::verify`], then
//! [`Receiver::store`]), so an unauthenticated caller can neither make the app read an upload
//! nor learn what a good body looks like. A stored delivery is answered 202 whether it is new, a
//! duplicate, an event the app does not use or an org it does not serve: Filevine has done
//! its part in each case, and a refusal would only make it retry.

use sha2::{Digest, Sha256};

use super::{
    delivery::{self, BodyError},
    hub::LiveHub,
};
use crate::{
    auth::{
        oidc::{unverified_issuer, WebhookTokenError},
        Environments,
    },
    store::{Db, DbError, NewDelivery},
    util::Clock,
};

/// An org counts as served when a user signed in to it within this many days.
pub const SERVED_FOR_DAYS: i64 = 30;

/// What the receiver needs.
pub struct Receiver<'a> {
    pub environments: &'a Environments,
    pub db: &'a Db,
    pub hub: &'a LiveHub,
    pub clock: &'a Clock,
    /// `FV_WEBHOOK_AUDIENCE`.
    pub audience: &'a str,
}

/// What became of an accepted delivery (each answered 202).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Stored; the worker applies it.
    Stored,
    /// The same delivery was stored before: not stored again.
    Duplicate,
    /// Stored as an event type the app does not use; nothing to apply.
    IgnoredEvent,
    /// Stored for an org no user of this app is in; nothing to apply.
    UnservedOrg,
}

impl Accepted {
    /// The outcome label (metrics, logs).
    pub fn label(self) -> &'static str {
        match self {
            Self::Stored => "accepted",
            Self::Duplicate => "duplicate",
            Self::IgnoredEvent => "ignored_event",
            Self::UnservedOrg => "unserved_org",
        }
    }
}

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no Authorization header")]
    NoToken,
    #[error("the Authorization header is not a Bearer token")]
    NotBearer,
    #[error(transparent)]
    Token(#[from] WebhookTokenError),
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error("the body is larger than {} KiB", delivery::MAX_BODY_BYTES / 1024)]
    TooBig,
    /// Not the sender's fault: it should retry.
    #[error("the delivery could not be stored: {0}")]
    Db(#[from] DbError),
}

impl Refusal {
    /// The outcome label (metrics, logs): a closed set.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NoToken | Self::NotBearer | Self::Token(_) => "refused_token",
            Self::Body(_) => "refused_body",
            Self::TooBig => "too_big",
            Self::Db(_) => "error",
        }
    }

    /// The reason, closed, for the log line.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NoToken => "no_token",
            Self::NotBearer => "not_bearer",
            Self::Token(e) => e.reason(),
            Self::Body(e) => e.reason(),
            Self::TooBig => "too_big",
            Self::Db(_) => "database",
        }
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer(authorization: Option<&str>) -> Result<&str, Refusal> {
    let value = authorization.ok_or(Refusal::NoToken)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(Refusal::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Refusal::NotBearer);
    }
    Ok(token.trim())
}

/// A delivery whose token verified: the environment it came from and the token's id.
pub struct Verified {
    environment: String,
    jti: Option<String>,
}

impl Receiver<'_> {
    /// Verifies a delivery's bearer token, before its body is read: a caller without a
    /// good token costs a header's worth of work, never 256 KiB of upload.
    pub async fn verify(&self, authorization: Option<&str>) -> Result<Verified, Refusal> {
        let result = self.verify_token(authorization).await;
        if let Err(refusal) = &result {
            let env = bearer(authorization)
                .ok()
                .and_then(unverified_issuer)
                .and_then(|iss| self.environments.by_issuer(&iss));
            if let Some(env) = env {
                self.count_refusal(refusal, &env.name).await;
            }
        }
        result
    }

    async fn verify_token(&self, authorization: Option<&str>) -> Result<Verified, Refusal> {
        let token = bearer(authorization)?;
        let env = unverified_issuer(token)
            .and_then(|iss| self.environments.by_issuer(&iss))
            .ok_or(WebhookTokenError::Issuer)?;
        let claims = env.oidc.verify_webhook_token(token, self.audience).await?;
        Ok(Verified {
            environment: env.name.clone(),
            jti: claims.jti,
        })
    }

    /// Parses and stores the body of a [`Receiver::verify`]-ed delivery. `body` is `None`
    /// when it was larger than [`delivery::MAX_BODY_BYTES`]: refused as too big.
    pub async fn store(
        &self,
        verified: &Verified,
        body: Option<&[u8]>,
    ) -> Result<Accepted, Refusal> {
        let result = self.parse_and_store(verified, body).await;
        if let Err(refusal) = &result {
            self.count_refusal(refusal, &verified.environment).await;
        }
        result
    }

    async fn parse_and_store(
        &self,
        verified: &Verified,
        body: Option<&[u8]>,
    ) -> Result<Accepted, Refusal> {
        let env = verified.environment.as_str();
        let body = body.ok_or(Refusal::TooBig)?;
        let d = delivery::parse(body)?;
        let now = self.clock.now_unix();
        // The org's subscription (through a connection) learns of the delivery, and makes
        // the org served even when none of its users has signed in here lately.
        let subscribed = self.db.live_delivery_accepted(env, d.org_id, now).await? > 0;
        let outcome = if !d.relevant {
            Accepted::IgnoredEvent
        } else if !subscribed
            && !self
                .db
                .served_org(env, d.org_id, now - SERVED_FOR_DAYS * 86_400)
                .await?
        {
            Accepted::UnservedOrg
        } else {
            Accepted::Stored
        };
        let body_hash = hex::encode(Sha256::digest(body));
        let text = String::from_utf8_lossy(body);
        let row = NewDelivery {
            environment: env,
            org_id: d.org_id,
            jti: verified.jti.as_deref(),
            body_hash: &body_hash,
            event: &d.event,
            project_id: d.project_id,
            body: &text,
            received_at: now,
            outcome: match outcome {
                Accepted::Stored => "pending",
                other => other.label(),
            },
        };
        if self.db.inbox_insert(&row).await?.is_none() {
            return Ok(Accepted::Duplicate);
        }
        if outcome == Accepted::Stored {
            self.hub.wake();
        }
        Ok(outcome)
    }

    /// Counts a refused delivery on the cards of the subscriptions of the environment whose
    /// issuer its token names. Anyone can send such a request, so the count says "look
    /// here" (a wrong `FV_WEBHOOK_AUDIENCE`, a key problem, or someone probing), never that
    /// Filevine sent it. By environment, not org: a refused token's body is never read.
    async fn count_refusal(&self, refusal: &Refusal, environment: &str) {
        if matches!(refusal, Refusal::Db(_)) {
            return;
        }
        if let Err(e) = self.db.live_delivery_refused(environment).await {
            tracing::warn!(error = %e, "could not count a refused webhook delivery");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bearer_token_is_taken() {
        assert!(matches!(bearer(None), Err(Refusal::NoToken)));
        for bad in ["Basic abc", "Bearer", "Bearer   ", "abc", "Token abc"] {
            assert!(
                matches!(bearer(Some(bad)), Err(Refusal::NotBearer)),
                "{bad}"
            );
        }
        assert_eq!(bearer(Some("bearer a.b.c")).unwrap(), "a.b.c");
        assert_eq!(bearer(Some("Bearer  a.b.c ")).unwrap(), "a.b.c");
    }
}
