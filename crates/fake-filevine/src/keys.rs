//! The provider's signing key: RSA 2048, made fresh at every start, published as a JWK set.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::Serialize;
use serde_json::{json, Value};

use super::FakeError;

/// The key pair and its public JWK.
pub(crate) struct SigningKeys {
    pub(crate) kid: String,
    pub(crate) alg: Algorithm,
    encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
    jwk: Value,
}

impl SigningKeys {
    /// Generate a new RSA 2048 key for `alg` (RS256, RS384 or RS512).
    pub(crate) fn generate(alg: Algorithm) -> Result<Self, FakeError> {
        let alg_name = match alg {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            other => {
                return Err(FakeError::Config(format!(
                    "id_token_alg {other:?} is not supported by the stand-in (use RS256, RS384 or RS512)"
                )))
            }
        };
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .map_err(|e| FakeError::Key(e.to_string()))?;
        let der = key
            .to_pkcs1_der()
            .map_err(|e| FakeError::Key(e.to_string()))?;
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        let decoding =
            DecodingKey::from_rsa_components(&n, &e).map_err(|e| FakeError::Key(e.to_string()))?;
        let kid = format!(
            "fake-fv-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let jwk = json!({
            "kty": "RSA",
            "use": "sig",
            "alg": alg_name,
            "kid": kid,
            "n": n,
            "e": e,
        });
        Ok(SigningKeys {
            kid,
            alg,
            encoding,
            decoding,
            jwk,
        })
    }

    /// The public JWK.
    pub(crate) fn jwk(&self) -> Value {
        self.jwk.clone()
    }

    /// Sign `claims` as a JWT with `alg` and the given `kid` (none for the RP certification
    /// cases without one) in the header.
    pub(crate) fn sign_with_kid<T: Serialize>(
        &self,
        claims: &T,
        kid: Option<String>,
    ) -> Result<String, FakeError> {
        self.sign_as(self.alg, claims, kid)
    }

    /// Sign `claims` with this key under another RSA algorithm than its ID tokens' (webhook
    /// deliveries are RS512 whatever the ID tokens use), `kid` in the header.
    pub(crate) fn sign_as<T: Serialize>(
        &self,
        alg: Algorithm,
        claims: &T,
        kid: Option<String>,
    ) -> Result<String, FakeError> {
        let mut header = Header::new(alg);
        header.kid = kid;
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| FakeError::Key(e.to_string()))
    }
}
