//! The stand-in as a hostile provider: broken ID tokens (one per OpenID Foundation RP
//! certification case), key rotation, a lying discovery document and a lying userinfo.
//! Steered through [`super::FakeControl`]; off unless a test turns it on.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::keys::SigningKeys;
use super::FakeError;

/// How an ID token is broken. Each variant is one RP certification case of the Basic and
/// Config profiles (the case name is in the variant's doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// `rp-id_token-iss-mismatch`: `iss` names another issuer.
    WrongIssuer,
    /// `rp-id_token-aud-mismatch` (missing): no `aud` claim.
    NoAudience,
    /// `rp-id_token-aud-mismatch`: `aud` is another client.
    WrongAudience,
    /// Several audiences (us and another client) and no `azp`.
    ManyAudiencesNoAzp,
    /// `azp` names another client.
    WrongAzp,
    /// `rp-id_token-sub`: no `sub` claim.
    NoSubject,
    /// `rp-id_token-iat`: no `iat` claim.
    NoIssuedAt,
    /// Expired an hour ago (well beyond any clock leeway).
    Expired,
    /// Issued an hour in the future.
    IssuedInFuture,
    /// `rp-id_token-bad-sig-rs256`: the signature does not verify.
    BadSignature,
    /// `rp-id_token-sig-none`: `alg: none` and no signature.
    AlgNone,
    /// HS256 with the client secret as the key (a confidential client's classic trap).
    HmacWithClientSecret,
    /// `rp-nonce-invalid`: `nonce` is not the one of the request.
    WrongNonce,
    /// `rp-id_token-kid-absent-single-jwks` / `-multiple-jwks`: no `kid` in the header.
    NoKid,
    /// A valid token for another user (`sub` of a different demo user): what a refresh must
    /// never accept (OpenID Connect Core 12.2).
    OtherSubject,
}

/// The hostile settings (all off by default).
#[derive(Default)]
pub(crate) struct Hostile {
    /// Applied to every ID token while set.
    pub(crate) tamper: Option<Tamper>,
    /// Applied to the next ID token only (wins over `tamper`).
    pub(crate) tamper_next: Option<Tamper>,
    /// Discovery's `issuer` when set (`rp-discovery-issuer-not-matching-config`).
    pub(crate) discovery_issuer: Option<String>,
    /// Userinfo's `sub` when set (`rp-userinfo-bad-sub-claim`).
    pub(crate) userinfo_sub: Option<String>,
    /// Discovery does not advertise RFC 9207 (from [`super::FakeOptions::advertise_iss_parameter`]).
    pub(crate) iss_unadvertised: bool,
    /// Discovery has no `revocation_endpoint` (from
    /// [`super::FakeOptions::advertise_revocation`]).
    pub(crate) revocation_unadvertised: bool,
    /// Userinfo answers 503 while set.
    pub(crate) userinfo_down: bool,
    /// ID tokens say `email_verified: false` while set (an account whose email nobody
    /// confirmed, which must not count as an admin's).
    pub(crate) emails_unverified: bool,
    /// The email the provider asserts (ID token and userinfo) instead of the user's own, while
    /// set: an account at the provider that claims someone else's address.
    pub(crate) asserted_email: Option<String>,
    /// Userinfo answers only after this long (a slow provider).
    pub(crate) userinfo_delay: std::time::Duration,
    /// Scopes left out of every token issued, even when asked for.
    pub(crate) withheld_scopes: Vec<String>,
}

impl Hostile {
    /// The scopes a token asked for `requested` is granted: all but the withheld ones.
    pub(crate) fn granted(&self, requested: &str) -> String {
        requested
            .split(' ')
            .filter(|s| !self.withheld_scopes.iter().any(|w| w == s))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The tamper for the ID token about to be issued (spends a one-shot tamper).
    pub(crate) fn take_tamper(&mut self) -> Option<Tamper> {
        self.tamper_next.take().or(self.tamper)
    }
}

/// The provider's keys: the one that signs now and every key the JWKS publishes.
pub(crate) struct KeyRing {
    pub(crate) signing: Arc<SigningKeys>,
    pub(crate) published: Vec<Arc<SigningKeys>>,
}

impl KeyRing {
    /// `{"keys":[...]}` of every published key.
    pub(crate) fn jwks(&self) -> Value {
        json!({ "keys": self.published.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
    }

    /// The published key with this `kid`, or the signing key when there is no `kid`.
    pub(crate) fn find(&self, kid: Option<&str>) -> Arc<SigningKeys> {
        kid.and_then(|kid| self.published.iter().find(|k| k.kid == kid).cloned())
            .unwrap_or_else(|| self.signing.clone())
    }
}

/// Break the claims as `tamper` says (the signature-level cases are left to [`sign`]).
pub(crate) fn tamper_claims(claims: &mut Value, tamper: Tamper, client_id: &str, now: u64) {
    let Some(obj) = claims.as_object_mut() else {
        return;
    };
    match tamper {
        Tamper::WrongIssuer => {
            obj.insert("iss".into(), json!("https://evil.example"));
        }
        Tamper::NoAudience => {
            obj.remove("aud");
        }
        Tamper::WrongAudience => {
            obj.insert("aud".into(), json!("someone-else"));
            obj.insert("azp".into(), json!("someone-else"));
        }
        Tamper::ManyAudiencesNoAzp => {
            obj.insert("aud".into(), json!([client_id, "someone-else"]));
            obj.remove("azp");
        }
        Tamper::WrongAzp => {
            obj.insert("azp".into(), json!("someone-else"));
        }
        Tamper::NoSubject => {
            obj.remove("sub");
        }
        Tamper::NoIssuedAt => {
            obj.remove("iat");
        }
        Tamper::Expired => {
            obj.insert("iat".into(), json!(now.saturating_sub(7200)));
            obj.insert("exp".into(), json!(now.saturating_sub(3600)));
        }
        Tamper::IssuedInFuture => {
            obj.insert("iat".into(), json!(now + 3600));
            obj.insert("exp".into(), json!(now + 7200));
        }
        Tamper::WrongNonce => {
            obj.insert("nonce".into(), json!("not-the-nonce-of-this-request"));
        }
        Tamper::OtherSubject => {
            let other = if obj.get("sub") == Some(&json!("fv-user-1002")) {
                "fv-user-1001"
            } else {
                "fv-user-1002"
            };
            obj.insert("sub".into(), json!(other));
        }
        Tamper::BadSignature | Tamper::AlgNone | Tamper::HmacWithClientSecret | Tamper::NoKid => {}
    }
}

/// Sign `claims` with `key`, broken at the signature level when `tamper` says so.
pub(crate) fn sign(
    key: &SigningKeys,
    claims: &Value,
    tamper: Option<Tamper>,
    client_secret: &str,
) -> Result<String, FakeError> {
    match tamper {
        Some(Tamper::AlgNone) => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
            Ok(format!("{header}.{payload}."))
        }
        Some(Tamper::HmacWithClientSecret) => {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = Some(key.kid.clone());
            jsonwebtoken::encode(
                &header,
                claims,
                &jsonwebtoken::EncodingKey::from_secret(client_secret.as_bytes()),
            )
            .map_err(|e| FakeError::Key(e.to_string()))
        }
        Some(Tamper::NoKid) => key.sign_with_kid(claims, None),
        Some(Tamper::BadSignature) => {
            let token = key.sign_with_kid(claims, Some(key.kid.clone()))?;
            let (signed, sig) = token
                .rsplit_once('.')
                .ok_or_else(|| FakeError::Key("JWT without a signature".into()))?;
            let mut bytes = URL_SAFE_NO_PAD
                .decode(sig)
                .map_err(|e| FakeError::Key(e.to_string()))?;
            if let Some(b) = bytes.get_mut(10) {
                *b ^= 0x01;
            }
            Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes)))
        }
        _ => key.sign_with_kid(claims, Some(key.kid.clone())),
    }
}
