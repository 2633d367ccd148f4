//! ID-token verification: the algorithm allow-list, clock leeway (by the app's [`Clock`]), the
//! `azp` rule, and key rotation (an unknown `kid` refetches the key set, at most once per
//! cool-down).
//!
//! An ID token without `kid` is accepted only when exactly one published key fits its
//! algorithm; with several candidates `openidconnect` refuses it as ambiguous, and so do we
//! (OpenID Connect Core 10.1: a provider with several keys must send `kid`).

use std::{
    sync::atomic::Ordering,
    time::{Duration, SystemTime},
};

use openidconnect::{
    core::{
        CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreJsonWebKeySet,
        CoreJwsSigningAlgorithm,
    },
    ClaimsVerificationError, ClientId, SignatureVerificationError,
};

use super::{ClaimSource, Identity, OidcProvider, UserinfoRead};
use crate::util::{error_chain, Clock};

/// The ID token algorithms we accept. Filevine signs with RS512 by default; the others are what a
/// standard provider may use. `none` and HMAC are never accepted.
pub const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
];

/// Minimum time between two key-set refetches triggered by unknown `kid`s, so a flood of
/// forged tokens cannot make us hammer the provider.
pub const JWKS_REFETCH_COOLDOWN: Duration = Duration::from_secs(30);

/// The provider's published keys and when we fetched them, by the app clock (so a test
/// can age them an hour without waiting one).
pub(super) struct KeyCache {
    keys: CoreJsonWebKeySet,
    fetched_at: SystemTime,
}

impl KeyCache {
    pub(super) fn new(keys: CoreJsonWebKeySet, fetched_at: SystemTime) -> Self {
        Self { keys, fetched_at }
    }

    /// The published keys (logout tokens are checked against them too).
    pub(super) fn keys(&self) -> &[openidconnect::core::CoreJsonWebKey] {
        self.keys.keys()
    }
}

/// How long ago `then` was on `clock`; zero when the clock was moved back past it.
fn since(clock: &crate::util::Clock, then: SystemTime) -> Duration {
    clock.now().duration_since(then).unwrap_or_default()
}

/// Whether a verification failure is only "we do not know this key (yet)": the token may be
/// perfectly good and our key set stale.
pub(super) fn is_unknown_key(e: &ClaimsVerificationError) -> bool {
    matches!(
        e,
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)
    )
}

impl OidcProvider {
    /// Changes the minimum time between two key-set refetches (tests shorten it; an operator
    /// never needs to).
    pub fn set_key_refetch_cooldown(&self, cooldown: Duration) {
        self.refetch_cooldown_ms
            .store(cooldown.as_millis() as u64, Ordering::Relaxed);
    }

    /// Verifies an ID token, refetching the provider's keys once (rate-limited) when its `kid`
    /// is unknown.
    pub(super) async fn verify_id_token<N>(
        &self,
        token: &CoreIdToken,
        nonce: N,
    ) -> Result<CoreIdTokenClaims, ClaimsVerificationError>
    where
        N: Clone + openidconnect::NonceVerifier,
    {
        let first = {
            let keys = self.keys.read().await;
            self.verify_with(token, nonce.clone(), &keys.keys)
        };
        match first {
            Err(e) if is_unknown_key(&e) && self.refetch_keys().await => {
                let keys = self.keys.read().await;
                self.verify_with(token, nonce.clone(), &keys.keys)
            }
            other => other,
        }
    }

    fn verify_with<N: openidconnect::NonceVerifier>(
        &self,
        token: &CoreIdToken,
        nonce: N,
        keys: &CoreJsonWebKeySet,
    ) -> Result<CoreIdTokenClaims, ClaimsVerificationError> {
        let skew = chrono::Duration::from_std(self.clock_skew).unwrap_or_default();
        let (exp_clock, iat_clock) = (self.clock.clone(), self.clock.clone());
        let verifier: CoreIdTokenVerifier = CoreIdTokenVerifier::new_confidential_client(
            self.client_id.clone(),
            self.client_secret.clone(),
            self.issuer.clone(),
            keys.clone(),
        )
        .set_allowed_algs(ALLOWED_ALGS)
        // `exp` is checked against "now minus leeway", so a token is accepted up to
        // `clock_skew` after it expired by our clock.
        .set_time_fn(move || utc(&exp_clock) - skew)
        .set_issue_time_verifier_fn(move |iat| {
            if iat > utc(&iat_clock) + skew {
                Err(format!("issued in the future ({iat})"))
            } else {
                Ok(())
            }
        });
        let claims = token.clone().into_claims(&verifier, nonce)?;
        check_authorized_party(&claims, &self.client_id)?;
        Ok(claims)
    }

    /// Refetches the key set unless it was refetched within the cool-down. Returns whether new
    /// keys were loaded.
    pub(super) async fn refetch_keys(&self) -> bool {
        self.refetch_keys_gated(true).await
    }

    /// Refetches the key set; with `gated`, not within the cool-down of the last refetch.
    /// Ungated is for ID tokens that came from our own authenticated call to the token
    /// endpoint: an attacker cannot send us those in bulk, so the cool-down (a defence
    /// against forged tokens at the callback) must not make us throw away a good refresh.
    pub(super) async fn refetch_keys_gated(&self, gated: bool) -> bool {
        let mut gate = self.refetch_gate.lock().await;
        let cooldown = Duration::from_millis(self.refetch_cooldown_ms.load(Ordering::Relaxed));
        if gated && gate.is_some_and(|at| since(&self.clock, at) < cooldown) {
            tracing::warn!("ID token names an unknown key; key set refetched recently, not again");
            return false;
        }
        *gate = Some(self.clock.now());
        match CoreJsonWebKeySet::fetch_async(&self.jwks_uri, &self.http).await {
            Ok(keys) => {
                tracing::info!(
                    count = keys.keys().len(),
                    "refetched the provider's key set"
                );
                *self.keys.write().await = KeyCache::new(keys, self.clock.now());
                true
            }
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "could not refetch the provider's key set");
                false
            }
        }
    }

    /// How old the cached key set is (for readiness).
    pub async fn keys_age(&self) -> Duration {
        since(&self.clock, self.keys.read().await.fetched_at)
    }

    /// Refetches the key set when it is older than `max_age`, so that keys the provider
    /// rotated in are picked up without waiting for an unknown `kid`, and so that readiness can
    /// tell a provider that stopped answering. Returns whether the keys are now younger than
    /// `max_age`.
    pub async fn refresh_keys_older_than(&self, max_age: Duration) -> bool {
        if self.keys_age().await < max_age {
            return true;
        }
        self.refetch_keys().await
    }
}

/// The app clock as the `chrono` time `openidconnect` compares claims with.
fn utc(clock: &Clock) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::<chrono::Utc>::from(clock.now())
}

/// OpenID Connect Core 3.1.3.7 items 4 and 5: several audiences need `azp`, and `azp`, when
/// present, must be us. `openidconnect` leaves this to the caller.
fn check_authorized_party(
    claims: &CoreIdTokenClaims,
    client_id: &ClientId,
) -> Result<(), ClaimsVerificationError> {
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != client_id.as_str() => Err(
            ClaimsVerificationError::InvalidAudience("azp is not this client".into()),
        ),
        None if claims.audiences().len() > 1 => Err(ClaimsVerificationError::InvalidAudience(
            "several audiences and no azp".into(),
        )),
        _ => Ok(()),
    }
}

/// The session's identity from verified claims: who, and the non-secret claims to show.
pub(super) fn identity_from(claims: &CoreIdTokenClaims) -> Identity {
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .or_else(|| {
            let given = claims.given_name().and_then(|n| n.get(None))?;
            let family = claims.family_name().and_then(|n| n.get(None));
            Some(match family {
                Some(f) => format!("{} {}", given.as_str(), f.as_str()),
                None => given.as_str().to_owned(),
            })
        });
    let email = claims.email().map(|e| e.as_str().to_owned());
    let mut shown = vec![
        ("iss".to_owned(), claims.issuer().as_str().to_owned()),
        ("sub".to_owned(), claims.subject().as_str().to_owned()),
        (
            "aud".to_owned(),
            claims
                .audiences()
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ("iat".to_owned(), claims.issue_time().to_rfc3339()),
        ("exp".to_owned(), claims.expiration().to_rfc3339()),
    ];
    if let Some(t) = claims.auth_time() {
        shown.push(("auth_time".to_owned(), t.to_rfc3339()));
    }
    if let Some(n) = &name {
        shown.push(("name".to_owned(), n.clone()));
    }
    if let Some(e) = &email {
        shown.push(("email".to_owned(), e.clone()));
    }
    if let Some(u) = claims.preferred_username() {
        shown.push(("preferred_username".to_owned(), u.as_str().to_owned()));
    }
    let email_source = if email.is_some() {
        ClaimSource::IdToken
    } else {
        ClaimSource::Nowhere
    };
    Identity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        name,
        email,
        email_verified: claims.email_verified().unwrap_or(false),
        email_source,
        userinfo: UserinfoRead::NotAdvertised,
        claims: shown,
        sid: None,
    }
}

/// The `sid` claim of an ID token already verified (`openidconnect`'s core claims do not
/// carry it): read from the payload, never trusted from an unverified token.
pub(super) fn verified_sid(verified_token: &str) -> Option<String> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let payload = verified_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims
        .get("sid")?
        .as_str()
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .map(str::to_owned)
}
