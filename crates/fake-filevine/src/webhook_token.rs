//! The bearer token of a webhook delivery, as Filevine Identity signs it: a JWT with the
//! provider's current signing key and its `kid` in the header, so a receiver verifies it
//! against this stand-in's published key set exactly as it verifies ID tokens.

use super::{state::lock, FakeFilevine};

impl FakeFilevine {
    /// Signs `claims` (whatever the caller sets: `iss`, `aud`, `exp`, `jti`...) with the
    /// stand-in's current signing key, in that key's algorithm (`FakeOptions::id_token_alg`;
    /// RS512 to sign as Filevine signs deliveries), with its `kid`.
    pub fn webhook_token(&self, claims: serde_json::Value) -> String {
        let key = lock(&self.control.shared.keys).signing.clone();
        key.sign_with_kid(&claims, Some(key.kid.clone()))
            .expect("the stand-in's key signs")
    }
}
