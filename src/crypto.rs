//! AES-256-GCM for secrets at rest (tokens in session records, PATs in the database).
//!
//! A database dump or a backup of the session table must not hand out working Filevine
//! tokens, so everything token-shaped is sealed with `FV_SECRET_KEY` before it is stored.
//! Each value gets a fresh random 96-bit nonce; the output is `base64url(nonce || ciphertext)`.
//! The `purpose` string and the row the value belongs to (its id and owner, e.g. a vault id
//! and the user's `sub`) are bound as associated data: a sealed PAT cannot be replayed as a
//! sealed token set, and a token set copied into another user's vault row does not open there
//! (issue 19). A value sealed with no row parts has the associated data of the first version
//! (the purpose alone), so values sealed before rows were bound still open where they were
//! never bound.

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use serde::{de::DeserializeOwned, Serialize};

use crate::config::SecretKey;

/// Seals and opens values with the app's at-rest key.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
}

/// Why a sealed value could not be opened: wrong key, tampering, or not ours at all.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value failed authentication (wrong FV_SECRET_KEY or tampered data)")]
    Authentication,
    #[error("sealed value is not the expected shape: {0}")]
    Decode(#[from] serde_json::Error),
}

impl Cipher {
    /// A cipher keyed with the configured secret key.
    pub fn new(key: &SecretKey) -> Self {
        let aead = Aes256Gcm::new_from_slice(key.expose()).expect("AES-256 key is 32 bytes");
        Self { aead }
    }

    /// Encrypts `plain`, binding `purpose` and `row` (the id and owner of the row it will be
    /// stored in) as associated data.
    pub fn seal_bytes(&self, purpose: &str, row: &[&str], plain: &[u8]) -> String {
        let aad = associated_data(purpose, row);
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Decrypts what [`Cipher::seal_bytes`] produced for the same `purpose` and `row`.
    pub fn open_bytes(
        &self,
        purpose: &str,
        row: &[&str],
        sealed: &str,
    ) -> Result<Vec<u8>, CryptoError> {
        let aad = associated_data(purpose, row);
        let raw = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| CryptoError::Malformed)?;
        if raw.len() < 12 + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, body) = raw.split_at(12);
        self.aead
            .decrypt(
                &Nonce::from(<[u8; 12]>::try_from(nonce).map_err(|_| CryptoError::Malformed)?),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Authentication)
    }

    /// Serializes `value` as JSON and seals it.
    pub fn seal_json<T: Serialize>(&self, purpose: &str, row: &[&str], value: &T) -> String {
        let json = serde_json::to_vec(value).expect("serializing plain data to JSON cannot fail");
        self.seal_bytes(purpose, row, &json)
    }

    /// Opens and deserializes what [`Cipher::seal_json`] produced.
    pub fn open_json<T: DeserializeOwned>(
        &self,
        purpose: &str,
        row: &[&str],
        sealed: &str,
    ) -> Result<T, CryptoError> {
        let bytes = self.open_bytes(purpose, row, sealed)?;
        Ok(serde_json::from_slice(&bytes)?)
    }
}

/// `purpose`, then each row part length-prefixed (so `["ab", "c"]` and `["a", "bc"]` differ).
fn associated_data(purpose: &str, row: &[&str]) -> Vec<u8> {
    let mut aad = purpose.as_bytes().to_vec();
    for part in row {
        aad.push(0);
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_binds_purpose() {
        let c = Cipher::new(&SecretKey::from_bytes([7; 32]));
        let sealed = c.seal_bytes("tokens", &[], b"refresh-token-value");
        assert!(!sealed.contains("refresh"));
        assert_eq!(
            c.open_bytes("tokens", &[], &sealed).unwrap(),
            b"refresh-token-value"
        );
        assert!(matches!(
            c.open_bytes("pat", &[], &sealed),
            Err(CryptoError::Authentication)
        ));
    }

    #[test]
    fn wrong_key_and_tampering_are_refused() {
        let c = Cipher::new(&SecretKey::from_bytes([7; 32]));
        let other = Cipher::new(&SecretKey::from_bytes([8; 32]));
        let sealed = c.seal_bytes("tokens", &[], b"abc");
        assert!(other.open_bytes("tokens", &[], &sealed).is_err());
        let mut raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert!(c
            .open_bytes("tokens", &[], &URL_SAFE_NO_PAD.encode(raw))
            .is_err());
        assert!(matches!(
            c.open_bytes("tokens", &[], "short"),
            Err(CryptoError::Malformed)
        ));
    }

    #[test]
    fn same_plaintext_seals_differently() {
        let c = Cipher::new(&SecretKey::from_bytes([1; 32]));
        assert_ne!(c.seal_bytes("p", &[], b"x"), c.seal_bytes("p", &[], b"x"));
    }

    #[test]
    fn binds_the_row_it_was_sealed_for() {
        let c = Cipher::new(&SecretKey::from_bytes([3; 32]));
        let sealed = c.seal_bytes("token-set", &["vault-a", "sub-ada"], b"tokens");
        assert_eq!(
            c.open_bytes("token-set", &["vault-a", "sub-ada"], &sealed)
                .unwrap(),
            b"tokens"
        );
        for row in [
            &["vault-b", "sub-ada"][..],
            &["vault-a", "sub-ben"],
            &["vault-asub-ada"],
            &["vault-", "asub-ada"],
            &[],
        ] {
            assert!(
                matches!(
                    c.open_bytes("token-set", row, &sealed),
                    Err(CryptoError::Authentication)
                ),
                "{row:?} must not open it"
            );
        }
        // No row parts is the first version's associated data: the purpose alone.
        let legacy = c.seal_bytes("pat", &[], b"x");
        assert_eq!(associated_data("pat", &[]), b"pat");
        assert!(c.open_bytes("pat", &[], &legacy).is_ok());
    }

    #[test]
    fn json_round_trips_bound_to_purpose_and_row() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Tokens {
            access: String,
            expires_at: i64,
        }
        let c = Cipher::new(&SecretKey::from_bytes([5; 32]));
        let value = Tokens {
            access: "at-123".into(),
            expires_at: 42,
        };
        let sealed = c.seal_json("token-set", &["v1", "sub"], &value);
        assert!(!sealed.contains("at-123"));
        let opened: Tokens = c.open_json("token-set", &["v1", "sub"], &sealed).unwrap();
        assert_eq!(opened, value);
        assert!(matches!(
            c.open_json::<Tokens>("token-set", &["v2", "sub"], &sealed),
            Err(CryptoError::Authentication)
        ));
        let not_json = c.seal_bytes("token-set", &[], b"not json");
        assert!(matches!(
            c.open_json::<Tokens>("token-set", &[], &not_json),
            Err(CryptoError::Decode(_))
        ));
    }

    #[test]
    fn blobs_shorter_than_nonce_and_tag_are_malformed_never_a_panic() {
        let c = Cipher::new(&SecretKey::from_bytes([9; 32]));
        for len in 0..28 {
            let blob = URL_SAFE_NO_PAD.encode(vec![0u8; len]);
            assert!(
                matches!(c.open_bytes("p", &[], &blob), Err(CryptoError::Malformed)),
                "{len} bytes"
            );
        }
        // Nonce and tag with an empty message: the right shape, so it is authenticated (and
        // fails), not called malformed.
        let blob = URL_SAFE_NO_PAD.encode([0u8; 28]);
        assert!(matches!(
            c.open_bytes("p", &[], &blob),
            Err(CryptoError::Authentication)
        ));
        assert!(c.open_bytes("p", &[], &c.seal_bytes("p", &[], b"")).is_ok());
    }
}
