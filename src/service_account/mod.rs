//! The service-account connection: a Personal Access Token exchanged for short-lived bearer
//! tokens, so background work does not depend on anyone's login session.
//!
//! - [`token_source`]: [`PatTokenSource`] (cache, single flight, remembered refusals) and
//!   [`PatClient`] (the exchange itself).
//! - [`verify`]: who a PAT acts as (for `pat verify` and the settings page).
//! - [`PatConnection`]: the app's current source, from `FV_PAT` or the PAT an admin saved,
//!   swapped when an admin saves or removes one. Later jobs call
//!   `state.pat.current()` and then `source.token().await`.

pub mod token_source;
pub mod verify;

use std::sync::{Arc, RwLock};

use secrecy::SecretString;

pub use token_source::{PatClient, PatError, PatToken, PatTokenSource, DEFAULT_PAT_SCOPES};
pub use verify::{verify, Verified, VerifyError};

use crate::{crypto::Cipher, store::Db};

/// Purpose string the stored PAT is sealed with (bound as AES-GCM associated data).
pub const PAT_PURPOSE: &str = "pat";

/// Where the current PAT came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatOrigin {
    /// `FV_PAT`: read-only in the app.
    Environment,
    /// Saved by an admin on the settings page (sealed in the database).
    Stored,
}

/// The app's service-account connection: the exchange client and the current token source.
pub struct PatConnection {
    client: PatClient,
    current: RwLock<Option<(PatOrigin, Arc<PatTokenSource>)>>,
}

impl PatConnection {
    /// A connection with no PAT yet.
    pub fn new(client: PatClient) -> Self {
        Self {
            client,
            current: RwLock::new(None),
        }
    }

    /// Starts with `FV_PAT` when set, else with the PAT stored in the database (if it can be
    /// opened with this key: a changed `FV_SECRET_KEY` leaves it unreadable, which is logged).
    pub async fn load(
        client: PatClient,
        env_pat: Option<SecretString>,
        db: &Db,
        cipher: &Cipher,
    ) -> Self {
        let conn = Self::new(client);
        if let Some(pat) = env_pat {
            conn.set(PatOrigin::Environment, Some(pat));
            return conn;
        }
        match db.integration_get().await {
            Ok(Some(row)) => match row
                .sealed_pat
                .as_deref()
                .map(|s| cipher.open_bytes(PAT_PURPOSE, s))
            {
                Some(Ok(bytes)) => match String::from_utf8(bytes) {
                    Ok(pat) => conn.set(PatOrigin::Stored, Some(SecretString::from(pat))),
                    Err(_) => tracing::warn!("the stored PAT is not text; ignoring it"),
                },
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "the stored PAT cannot be opened (was FV_SECRET_KEY changed?); save it again on /settings/integration")
                }
                None => {}
            },
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not read the stored service-account connection")
            }
        }
        conn
    }

    /// The exchange client (to verify a PAT before it becomes current).
    pub fn client(&self) -> &PatClient {
        &self.client
    }

    /// The current token source, if a PAT is configured.
    pub fn current(&self) -> Option<Arc<PatTokenSource>> {
        self.read().map(|(_, s)| s)
    }

    /// Where the current PAT came from.
    pub fn origin(&self) -> Option<PatOrigin> {
        self.read().map(|(o, _)| o)
    }

    /// Replaces (or clears) the current PAT. A new value gets a new source, so a refusal
    /// remembered for the old PAT does not stick to the new one.
    pub fn set(&self, origin: PatOrigin, pat: Option<SecretString>) {
        let next = pat.map(|p| (origin, self.client.source(p)));
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = next;
    }

    fn read(&self) -> Option<(PatOrigin, Arc<PatTokenSource>)> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

pub use crate::util::format_unix;
