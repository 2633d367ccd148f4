//! The service-account connection as admins manage it: verify a pasted PAT, save it (sealed
//! in the database, then the live connection switches to it), remove it, test it. The web
//! page only collects the form and renders; every rule is here.
//!
//! Every replica sees a Save or Remove within [`WATCH_EVERY`]: [`IntegrationService::watch`]
//! re-reads the row's `updated_at` and reloads the live connection when it changed.

use std::{sync::Arc, time::Duration};

use secrecy::{ExposeSecret, SecretString};

use super::{
    token_source::last4, verify, PatConnection, PatOrigin, Verified, VerifyError, PAT_PURPOSE,
    PAT_ROW,
};
use crate::{
    config::ServiceAccountSettings,
    crypto::Cipher,
    filevine::Gateway,
    store::{Db, DbError, IntegrationRow},
    util::Clock,
};

/// How often a replica checks whether another one saved or removed the PAT.
pub const WATCH_EVERY: Duration = Duration::from_secs(3);

/// A verified PAT and what verification found, ready to be saved.
pub struct VerifiedPat {
    pub pat: SecretString,
    pub email: String,
    pub verified: Verified,
    pub verified_at: i64,
}

/// What a connection test found.
pub enum TestOutcome {
    /// No PAT is configured.
    NothingToTest,
    Works(Verified),
    Fails(VerifyError),
}

/// What the settings page shows of the connection.
pub struct ConnectionStatus {
    /// `FV_PAT` (read-only here): its last four characters.
    pub env_last4: Option<String>,
    /// The saved row, and whether its PAT opens with this key.
    pub stored: Option<(IntegrationRow, bool)>,
}

/// Verify, save, remove, test, and keep every replica's live connection in step.
pub struct IntegrationService {
    pat: Arc<PatConnection>,
    db: Db,
    cipher: Cipher,
    gateway: Arc<dyn Gateway>,
    settings: ServiceAccountSettings,
    clock: Clock,
}

impl IntegrationService {
    /// The service over the live connection `pat`.
    pub fn new(
        pat: Arc<PatConnection>,
        db: Db,
        cipher: Cipher,
        gateway: Arc<dyn Gateway>,
        settings: ServiceAccountSettings,
        clock: Clock,
    ) -> Self {
        Self {
            pat,
            db,
            cipher,
            gateway,
            settings,
            clock,
        }
    }

    /// Whether the PAT comes from `FV_PAT` (then it cannot be changed in the app).
    pub fn from_environment(&self) -> bool {
        self.pat.origin() == Some(PatOrigin::Environment)
    }

    /// Exchanges `pat` and checks it acts as `email`.
    pub async fn verify(&self, pat: SecretString, email: &str) -> Result<VerifiedPat, VerifyError> {
        let source = self.pat.client().source(pat.clone());
        let verified = verify(&source, self.gateway.as_ref(), Some(email)).await?;
        Ok(VerifiedPat {
            pat,
            email: email.to_owned(),
            verified,
            verified_at: self.clock.now_unix(),
        })
    }

    /// Stores `verified` sealed and makes it the live connection.
    pub async fn save(&self, verified: VerifiedPat, by: &str) -> Result<(), DbError> {
        let pat = verified.pat;
        let row = IntegrationRow {
            sealed_pat: Some(self.cipher.seal_bytes(
                PAT_PURPOSE,
                PAT_ROW,
                pat.expose_secret().as_bytes(),
            )),
            last4: last4(&pat),
            email: verified.email,
            verified_name: Some(verified.verified.name),
            verified_at: Some(verified.verified_at),
            token_valid_until: Some(verified.verified.token_valid_until),
            last_error: None,
            updated_by: by.to_owned(),
            updated_at: self.clock.now_unix(),
        };
        self.db.integration_put(&row).await?;
        self.pat.set(PatOrigin::Stored, Some(pat));
        tracing::info!(by, service_account = %row.email, "service-account PAT saved");
        Ok(())
    }

    /// Deletes the saved PAT and stops using it.
    pub async fn remove(&self, by: &str) -> Result<(), DbError> {
        self.db.integration_delete().await?;
        if self.pat.origin() == Some(PatOrigin::Stored) {
            self.pat.set(PatOrigin::Stored, None);
        }
        tracing::info!(by, "service-account PAT removed");
        Ok(())
    }

    /// Checks the live connection end to end and records the outcome on the saved row, so
    /// the page's "last error" says whether it still works.
    pub async fn test(&self) -> Result<TestOutcome, DbError> {
        let Some(source) = self.pat.current() else {
            return Ok(TestOutcome::NothingToTest);
        };
        let stored = self.pat.origin() == Some(PatOrigin::Stored);
        let expected = if stored {
            self.db.integration_get().await?.map(|r| r.email)
        } else {
            self.settings.email.clone()
        };
        match verify(&source, self.gateway.as_ref(), expected.as_deref()).await {
            Ok(v) => {
                if stored {
                    let valid_until = Some(v.token_valid_until);
                    self.db.integration_set_status(None, valid_until).await?;
                }
                Ok(TestOutcome::Works(v))
            }
            Err(e) => {
                tracing::warn!(error = %e, "service-account connection test failed");
                if stored {
                    let message = e.to_string();
                    self.db.integration_set_status(Some(&message), None).await?;
                }
                Ok(TestOutcome::Fails(e))
            }
        }
    }

    /// The connection as the settings page shows it.
    pub async fn status(&self) -> Result<ConnectionStatus, DbError> {
        let env_last4 = self
            .from_environment()
            .then(|| self.settings.pat.as_ref().map(last4).unwrap_or_default());
        let stored = self.db.integration_get().await?.map(|row| {
            let readable = row
                .sealed_pat
                .as_deref()
                .is_some_and(|s| self.cipher.open_bytes(PAT_PURPOSE, PAT_ROW, s).is_ok());
            (row, readable)
        });
        Ok(ConnectionStatus { env_last4, stored })
    }

    /// Keeps this replica's live connection in step with the saved row: every
    /// [`WATCH_EVERY`], a changed `updated_at` (or a removed row) reloads it. Nothing to do
    /// when the PAT comes from `FV_PAT`.
    pub fn watch(self: Arc<Self>) {
        if self.from_environment() {
            return;
        }
        tokio::spawn(async move {
            // Nothing seen yet: the first tick (at once) applies the row, so a change made
            // between start-up's read and this task's first look is not missed. The row
            // compared is the row applied (one read), so no change can slip between them.
            let mut seen: Option<Option<i64>> = None;
            let mut tick = tokio::time::interval(WATCH_EVERY);
            loop {
                tick.tick().await;
                let row = match self.db.integration_get().await {
                    Ok(row) => row,
                    Err(e) => {
                        // A database error keeps the connection we have; the next tick retries.
                        tracing::debug!(error = %e, "could not check the service-account connection");
                        continue;
                    }
                };
                let stamp = row.as_ref().map(|r| r.updated_at);
                if seen != Some(stamp) {
                    if seen.is_some() {
                        tracing::info!("the saved service-account PAT changed; reloading it");
                    }
                    self.pat.use_stored(row.as_ref(), &self.cipher);
                    seen = Some(stamp);
                }
            }
        });
    }
}
