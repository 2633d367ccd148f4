//! The service-account connection: a Personal Access Token exchanged for short-lived bearer
//! tokens, so background work does not depend on anyone's login session.
//!
//! - [`token_source`]: [`PatTokenSource`] (cache, single flight, remembered refusals) and
//!   [`PatClient`] (the exchange itself).
//! - [`verify`]: who a PAT acts as (for `pat verify` and the settings page).
//! - [`PatConnection`]: the app's current source, from `FV_PAT` or the PAT an admin saved,
//!   swapped when an admin saves or removes one. Later jobs call
//!   `state.pat.current()` and then `source.token().await`.

pub mod client;
pub mod integration;
pub mod token_source;
pub mod verify;

use std::sync::{Arc, RwLock};

use secrecy::SecretString;

pub use client::{effective_margin, PatClient};
pub use integration::{IntegrationService, TestOutcome, VerifiedPat};
pub use token_source::{PatError, PatToken, PatTokenSource, DEFAULT_PAT_SCOPES};
pub use verify::{verify, Verified, VerifyError};

use crate::{
    crypto::Cipher,
    store::{Db, IntegrationRow},
};

/// Purpose string the stored PAT is sealed with (bound as AES-GCM associated data).
pub const PAT_PURPOSE: &str = "pat";
/// The row a sealed PAT is bound to (see [`crate::crypto`]): the one row of `fv_integration`.
pub const PAT_ROW: &[&str] = &["fv_integration/1"];

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

    /// Starts with `FV_PAT` when set, else with the PAT stored in the database.
    pub async fn load(
        client: PatClient,
        env_pat: Option<SecretString>,
        db: &Db,
        cipher: &Cipher,
    ) -> Self {
        let conn = Self::new(client);
        match env_pat {
            Some(pat) => conn.set(PatOrigin::Environment, Some(pat)),
            None => conn.reload_stored(db, cipher).await,
        }
        conn
    }

    /// Makes the PAT stored in the database current (or none, when there is none or it cannot
    /// be opened with this key: a changed `FV_SECRET_KEY` leaves it unreadable, which is
    /// logged). A database error leaves the current PAT as it is.
    pub async fn reload_stored(&self, db: &Db, cipher: &Cipher) {
        match db.integration_get().await {
            Ok(row) => self.use_stored(row.as_ref(), cipher),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the stored service-account connection")
            }
        }
    }

    /// Makes the PAT of `row` (a saved connection, or none) current. `FV_PAT` always wins:
    /// a PAT from the environment is never replaced by a saved one.
    pub fn use_stored(&self, row: Option<&IntegrationRow>, cipher: &Cipher) {
        if self.origin() == Some(PatOrigin::Environment) {
            return;
        }
        let opened = row
            .and_then(|r| r.sealed_pat.as_deref())
            .map(|sealed| cipher.open_bytes(PAT_PURPOSE, PAT_ROW, sealed));
        let pat = match opened {
            Some(Ok(bytes)) => match String::from_utf8(bytes) {
                Ok(pat) => Some(SecretString::from(pat)),
                Err(_) => {
                    tracing::warn!("the stored PAT is not text; ignoring it");
                    None
                }
            },
            Some(Err(e)) => {
                tracing::warn!(error = %e, "the stored PAT cannot be opened (was FV_SECRET_KEY changed?); save it again on /settings/integration");
                None
            }
            None => None,
        };
        self.set(PatOrigin::Stored, pat);
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
