//! Signed JWTs other than ID tokens (back-channel logout tokens, webhook delivery tokens),
//! verified with the same key set, algorithm allow-list and unknown-`kid` refetch as ID tokens.
//!
//! `openidconnect` verifies ID tokens only (its verifier insists on ID-token claims), so the
//! JWS is checked here with the crate's own key types: the header's `alg` must be on
//! [`ALLOWED_ALGS`] (never `none`, never HMAC, which a forger holding the client secret could
//! use), the signature must verify with a published key (by `kid`; without `kid`, any
//! published key that fits the algorithm), and an unknown `kid` refetches the key set once per
//! cool-down. The claims are each token kind's own business.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openidconnect::{
    core::{CoreJsonWebKey, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm},
    JsonWebKey,
};
use serde_json::Value;

use super::{OidcProvider, ALLOWED_ALGS};

/// Why a JWS did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JwsError {
    /// Not three base64url parts of JSON, or no signature.
    Malformed,
    /// `alg` absent or not on the allow-list.
    Algorithm,
    /// No published key (after one refetch for an unknown `kid`) verifies it.
    Signature,
}

/// A compact JWS split into its parts, not yet verified.
pub(super) struct Jws<'a> {
    pub(super) header: Value,
    signing_input: &'a str,
    payload: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    /// Splits `token` (surrounding whitespace ignored) and decodes its header.
    pub(super) fn parse(token: &'a str) -> Result<Self, JwsError> {
        let token = token.trim();
        let (signing_input, s) = token.rsplit_once('.').ok_or(JwsError::Malformed)?;
        let (h, payload) = signing_input.split_once('.').ok_or(JwsError::Malformed)?;
        if payload.contains('.') {
            return Err(JwsError::Malformed);
        }
        let header = decode_json(h)?;
        let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwsError::Malformed)?;
        Ok(Self {
            header,
            signing_input,
            payload,
            signature,
        })
    }
}

/// The JSON of one base64url part.
pub(super) fn decode_json(part: &str) -> Result<Value, JwsError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwsError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwsError::Malformed)
}

/// The `iss` a token claims, read without verifying anything: only to choose which
/// environment's provider verifies it (which then checks `iss` itself, with its signature).
pub fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.trim().split('.').nth(1)?;
    decode_json(payload)
        .ok()?
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The header's `alg`, if it is one we accept.
fn allowed_alg(header: &Value) -> Result<CoreJwsSigningAlgorithm, JwsError> {
    let alg = header.get("alg").cloned().ok_or(JwsError::Malformed)?;
    let alg: CoreJwsSigningAlgorithm =
        serde_json::from_value(alg).map_err(|_| JwsError::Algorithm)?;
    if ALLOWED_ALGS.contains(&alg) {
        Ok(alg)
    } else {
        Err(JwsError::Algorithm)
    }
}

/// Whether some published key with this `kid` (any, without one) verifies the signature.
/// `None`: no published key has that `kid` (the key set may be stale).
fn verify_with(
    keys: &[CoreJsonWebKey],
    kid: Option<&str>,
    alg: &CoreJwsSigningAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Option<bool> {
    let candidates: Vec<&CoreJsonWebKey> = keys
        .iter()
        .filter(|k| kid.is_none() || k.key_id().map(|i| i.as_str()) == kid)
        .filter(|k| {
            k.key_use()
                .is_none_or(|u| *u == CoreJsonWebKeyUse::Signature)
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    Some(candidates.iter().any(|k| {
        k.verify_signature(alg, message, signature).is_ok()
            || without_alg(k).is_some_and(|k| k.verify_signature(alg, message, signature).is_ok())
    }))
}

/// `key` without its advertised `alg`, when it has one. A provider's key set names the one
/// algorithm its ID tokens use (IdentityServer writes `RS256`), yet Filevine signs webhook
/// deliveries RS512 with that same RSA key. The key type still has to fit the algorithm
/// ([`CoreJsonWebKey::verify_signature`] checks it), and only [`ALLOWED_ALGS`] get here, so
/// `none` and HMAC stay refused.
fn without_alg(key: &CoreJsonWebKey) -> Option<CoreJsonWebKey> {
    let mut value = serde_json::to_value(key).ok()?;
    value.as_object_mut()?.remove("alg")?;
    serde_json::from_value(value).ok()
}

impl OidcProvider {
    /// Checks `jws`'s algorithm and signature against this provider's keys (refetched once,
    /// within the cool-down, when its `kid` is unknown) and returns its claims.
    pub(super) async fn verify_jws(&self, jws: &Jws<'_>) -> Result<Value, JwsError> {
        let alg = allowed_alg(&jws.header)?;
        if jws.signature.is_empty() {
            return Err(JwsError::Signature);
        }
        let kid = jws.header.get("kid").and_then(Value::as_str);
        let message = jws.signing_input.as_bytes();
        let first = {
            let keys = self.keys.read().await;
            verify_with(keys.keys(), kid, &alg, message, &jws.signature)
        };
        let verified = match first {
            Some(ok) => ok,
            None if self.refetch_keys().await => {
                let keys = self.keys.read().await;
                verify_with(keys.keys(), kid, &alg, message, &jws.signature).unwrap_or(false)
            }
            None => false,
        };
        if !verified {
            return Err(JwsError::Signature);
        }
        decode_json(jws.payload)
    }
}
