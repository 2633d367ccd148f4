//! The bearer token of a webhook delivery, as Filevine Identity signs it: a JWT, RS512 with
//! the provider's current signing key and its `kid` in the header, so a receiver verifies it
//! against this stand-in's published key set exactly as it verifies ID tokens. The one signer
//! of delivery tokens: the stand-in's own deliveries ([`super::webhook_delivery`]) and the
//! tokens tests make ([`FakeFilevine::webhook_token`]) are signed here alike.

use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

use super::{
    state::{lock, Shared},
    webhook_delivery::WEBHOOK_AUDIENCE,
    FakeError, FakeFilevine,
};

/// Lifetime of a delivery token: long enough for every retry of its delivery.
const TOKEN_TTL_SECS: u64 = 300;

/// Signs `claims` as a delivery token.
pub(crate) fn sign(shared: &Shared, claims: &Value) -> Result<String, FakeError> {
    let key = lock(&shared.keys).signing.clone();
    key.sign_as(Algorithm::RS512, claims, Some(key.kid.clone()))
}

/// The claims of a delivery's token: this issuer, [`WEBHOOK_AUDIENCE`], `jti`, valid now.
pub(crate) fn delivery_claims(shared: &Shared, jti: &str) -> Value {
    let now = shared.unix_now();
    json!({
        "iss": shared.issuer,
        "aud": WEBHOOK_AUDIENCE,
        "jti": jti,
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_TTL_SECS,
    })
}

impl FakeFilevine {
    /// Signs `claims` (whatever the caller sets: `iss`, `aud`, `exp`, `jti`...) as the
    /// stand-in signs its deliveries ([`sign`]).
    pub fn webhook_token(&self, claims: Value) -> String {
        sign(&self.control.shared, &claims).expect("the stand-in's key signs")
    }
}
