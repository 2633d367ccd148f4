//! The changes admins make to connections: verify, save (a verified PAT, or settings
//! alone), remove; each one checked by [`super::rules`] against the connections as they are
//! now, and written to the audit log (never a secret).

use secrecy::SecretString;

use super::{
    rules::{self, Draft, FormError, ValidDraft},
    service::{ConnectionError, ConnectionsService, SaveOutcome, VerifiedDraft},
    AuthKind, ConnectionName, PooledGateway, Status, ENV_CONNECTION, SECRET_PURPOSE,
};
use crate::{
    auth::{Identity, TokenSet, VaultOwner},
    service_account::{same_email, token_source::last4, verify},
    store::{AuditRow, ConnectionRow, DbError},
};

impl ConnectionsService {
    /// Checks `draft` against the connections as they are now.
    pub async fn check(&self, draft: &Draft) -> Result<ValidDraft, ConnectionError> {
        let existing = self.list().await?;
        if draft.editing && draft.name.trim() == ENV_CONNECTION {
            return Err(read_only().into());
        }
        Ok(rules::check(draft, &existing, &self.environments)?)
    }

    /// Checks the draft, exchanges `pat` and checks it acts as the draft's email.
    pub async fn verify(
        &self,
        draft: Draft,
        pat: SecretString,
    ) -> Result<VerifiedDraft, ConnectionError> {
        let valid = self.check(&draft).await?;
        // `check` accepts only served environments; this is the same rule, said again.
        let side = self
            .clients_of(&valid.environment)
            .ok_or_else(|| FormError {
                field: "environment",
                message: format!("Unknown environment `{}`.", valid.environment),
            })?;
        let source = side.client.source(pat.clone());
        // Verification calls the gateway as the connection will: inside its pool.
        let pool_name = valid.borrow_from.as_ref().unwrap_or(&valid.name);
        let level = match &valid.borrow_from {
            None => valid.concurrency,
            Some(l) => self.get(l.as_str()).await?.map_or(1, |l| l.concurrency),
        };
        let pool = self.pools.pool(pool_name.as_str(), level);
        let gateway = PooledGateway::new(side.gateway.clone(), pool);
        let verified = verify(&source, &gateway, Some(&valid.email)).await?;
        Ok(VerifiedDraft {
            draft,
            pat,
            verified,
            verified_at: self.clock.now_unix(),
        })
    }

    /// Saves a verified PAT connection (created, or its PAT replaced), sealed, and makes it
    /// live. The draft is checked again: another admin may have changed things since Verify.
    pub async fn save_verified(
        &self,
        v: VerifiedDraft,
        by: &str,
    ) -> Result<SaveOutcome, ConnectionError> {
        let valid = self.check(&v.draft).await?;
        let mut row = self.row_for(&valid, by);
        row.sealed_secret = Some(self.seal(&valid.name, &v.pat));
        row.last4 = last4(&v.pat);
        row.verified_name = Some(v.verified.name.clone());
        row.status = Status::Ok.as_str().into();
        row.last_success_at = Some(v.verified_at);
        let what = format!(
            "saved a verified PAT acting as {}; {}",
            v.verified.name,
            describe(&valid)
        );
        let outcome = self.commit(row, &valid, by, &what).await?;
        let expires = valid.pat_expires.map(|d| d.to_string());
        let subject = super::health::Expiring::pat_subject(valid.name.as_str());
        self.db
            .credential_expiry_set(&subject, expires.as_deref())
            .await?;
        Ok(outcome)
    }

    /// Saves a connection's settings (concurrency, borrowing, email) keeping its secret:
    /// the edit form's Save without a new PAT.
    pub async fn save_settings(
        &self,
        draft: &Draft,
        by: &str,
    ) -> Result<SaveOutcome, ConnectionError> {
        let valid = self.check(draft).await?;
        let Some(old) = self.db.connection_get(valid.name.as_str()).await? else {
            return Err(FormError {
                field: "pat",
                message: "Verify a PAT first: paste it, press Verify, then Save (a verification is kept for 15 minutes).".into(),
            }
            .into());
        };
        let mut row = self.row_for(&valid, by);
        row.sealed_secret = old.sealed_secret;
        row.last4 = old.last4;
        row.verified_name = old.verified_name;
        row.status = old.status;
        row.last_success_at = old.last_success_at;
        row.last_error = old.last_error;
        row.last_error_at = old.last_error_at;
        let what = format!("changed the settings: {}", describe(&valid));
        self.commit(row, &valid, by, &what).await
    }

    /// Saves `pat` as PAT connection `name` without verifying it. The settings page always
    /// verifies first; the move of the old integration row and tests use this directly.
    pub async fn put_pat(
        &self,
        name: &str,
        pat: SecretString,
        email: &str,
        by: &str,
    ) -> Result<(), ConnectionError> {
        let draft = Draft {
            name: name.into(),
            email: email.into(),
            editing: self.db.connection_get(name).await?.is_some(),
            ..Draft::default()
        };
        let valid = self.check(&draft).await?;
        let mut row = self.row_for(&valid, by);
        row.sealed_secret = Some(self.seal(&valid.name, &pat));
        row.last4 = last4(&pat);
        self.commit(row, &valid, by, "saved a PAT (not verified)")
            .await?;
        Ok(())
    }

    /// Save & authorize of a refresh-token connection, first half: the draft is saved with
    /// no secret yet (status `needs_authorization`), so the callback has a row to complete.
    pub async fn save_for_authorization(
        &self,
        draft: &Draft,
        by: &str,
    ) -> Result<ConnectionName, ConnectionError> {
        let valid = self.check(draft).await?;
        let mut row = self.row_for(&valid, by);
        if let Some(old) = self.db.connection_get(&row.name).await? {
            // Re-authorizing keeps the tokens until new ones arrive.
            row.sealed_secret = old.sealed_secret;
            row.last4 = old.last4;
            row.verified_name = old.verified_name;
            row.last_success_at = old.last_success_at;
        }
        row.status = Status::NeedsAuthorization.as_str().into();
        let what = format!("saved, waiting for authorization: {}", describe(&valid));
        self.commit(row, &valid, by, &what).await?;
        Ok(valid.name)
    }

    /// Save & authorize, second half (the callback): stores the authorized user's tokens on
    /// refresh-token connection `name`, sealed and bound to its row. A token response without
    /// a refresh token (no `offline_access`) cannot act later, so it is refused.
    pub async fn store_authorization(
        &self,
        name: &str,
        tokens: &TokenSet,
        identity: &Identity,
        by: &str,
    ) -> Result<(), ConnectionError> {
        let refused = |message: &str| FormError {
            field: "auth",
            message: message.to_owned(),
        };
        let mut row = self
            .db
            .connection_get(name)
            .await?
            .filter(|r| r.auth == AuthKind::RefreshToken.as_str())
            .ok_or_else(|| refused("That connection no longer waits for an authorization."))?;
        if tokens.refresh_token.is_none() {
            return Err(refused("Filevine granted no refresh token (the offline_access scope is missing from FV_SCOPES or the client), so the connection could not act later.").into());
        }
        // The connection acts as whoever signed in at Filevine: when the admin named an email,
        // anyone else's tokens would silently act as the wrong person.
        let authorizer = identity.email.clone().unwrap_or_default();
        if !row.email.is_empty() && !same_email(&authorizer, &row.email) {
            let who = if authorizer.is_empty() {
                "a user without an email"
            } else {
                authorizer.as_str()
            };
            return Err(refused(&format!(
                "This connection is for {}, but {who} signed in at Filevine. Authorize again signed in as {}, or change the connection's email.",
                row.email, row.email
            ))
            .into());
        }
        // The tokens go to the vault (rotation under its lease); the row keeps who they are
        // for, which is what opens them.
        let owner = VaultOwner::connection(name, &row.environment, identity.clone());
        self.vault.store_for(&owner, tokens).await?;
        let bound = super::secret_row(name);
        row.sealed_secret = Some(self.cipher.seal_json(SECRET_PURPOSE, &[&bound], identity));
        row.last4 = String::new();
        let who = identity.email.clone().or_else(|| identity.name.clone());
        row.verified_name = who.clone();
        if row.email.is_empty() {
            row.email = identity.email.clone().unwrap_or_default();
        }
        row.status = Status::Ok.as_str().into();
        row.last_success_at = Some(self.clock.now_unix());
        row.updated_by = by.to_owned();
        row.updated_at = self.clock.now_unix();
        self.db.connection_put(&row).await?;
        self.apply_row(&row);
        let what = format!(
            "authorized as {}",
            who.unwrap_or_else(|| identity.subject.clone())
        );
        self.audit(name, by, &what).await?;
        tracing::info!(by, connection = name, "refresh-token connection authorized");
        Ok(())
    }

    /// Removes a connection. A lender others borrow from stays until they stop.
    pub async fn remove(&self, name: &str, by: &str) -> Result<(), ConnectionError> {
        if name == ENV_CONNECTION {
            return Err(read_only().into());
        }
        let all = self.list().await?;
        if let Some(b) = all
            .iter()
            .find(|c| c.borrow_from.as_ref().map(ConnectionName::as_str) == Some(name))
        {
            return Err(FormError {
                field: "name",
                message: format!("`{}` borrows from `{name}`: change that first.", b.name),
            }
            .into());
        }
        // Its webhook subscription goes first, while its token still works.
        if let Some(c) = self.get(name).await? {
            if let Some(why) = self.live_forget(&c).await? {
                let what = format!("could not delete the webhook subscription at Filevine: {why}");
                self.audit(name, by, &what).await?;
            }
        }
        let row = self.db.connection_get(name).await?;
        if self.db.connection_delete(name).await? {
            let subject = super::health::Expiring::pat_subject(name);
            self.db.credential_expiry_set(&subject, None).await?;
            self.audit(name, by, "removed the connection").await?;
        }
        // Its feed keys could read nothing now (they are bound to this row, which is gone),
        // but the feeds page would still list them as live.
        if let Some(row) = row {
            let revoked = self
                .db
                .feed_keys_revoke_of(&row.id, self.clock.now_unix())
                .await?;
            if revoked > 0 {
                let what = format!("revoked {revoked} feed key(s) with the connection");
                self.audit(name, by, &what).await?;
            }
        }
        let tokens = VaultOwner::connection_id(name);
        self.vault.remove(&tokens).await?;
        self.live
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        tracing::info!(by, connection = name, "connection removed");
        Ok(())
    }

    /// The newest audit entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditRow>, DbError> {
        self.db.audit_recent(limit).await
    }

    async fn commit(
        &self,
        row: ConnectionRow,
        valid: &ValidDraft,
        by: &str,
        what: &str,
    ) -> Result<SaveOutcome, ConnectionError> {
        let existed = self.db.connection_get(&row.name).await?.is_some();
        self.db.connection_put(&row).await?;
        self.audit(&row.name, by, what).await?;
        // The stored row carries the connection's id (kept across saves), which its live
        // updates are keyed by: applied as stored, a new PAT keeps asking for their scope.
        let stored = self.db.connection_get(&row.name).await?;
        self.apply_row(stored.as_ref().unwrap_or(&row));
        tracing::info!(by, connection = %valid.name, "connection saved");
        Ok(if existed {
            SaveOutcome::Updated(valid.name.clone())
        } else {
            SaveOutcome::Created(valid.name.clone())
        })
    }

    pub(super) async fn audit(&self, name: &str, by: &str, what: &str) -> Result<(), DbError> {
        let entry = AuditRow {
            at: self.clock.now_unix(),
            who: by.to_owned(),
            connection: name.to_owned(),
            what: what.to_owned(),
        };
        self.db.audit_add(&entry).await
    }

    fn row_for(&self, valid: &ValidDraft, by: &str) -> ConnectionRow {
        ConnectionRow {
            name: valid.name.to_string(),
            environment: valid.environment.clone(),
            auth: valid.auth.as_str().into(),
            concurrency: i64::from(valid.concurrency),
            borrow_from: valid.borrow_from.as_ref().map(ToString::to_string),
            email: valid.email.clone(),
            status: Status::Untested.as_str().into(),
            updated_by: by.to_owned(),
            updated_at: self.clock.now_unix(),
            ..ConnectionRow::default()
        }
    }
}

fn read_only() -> FormError {
    FormError {
        field: "name",
        message: "The connection `env` comes from FV_PAT in the environment: change it there and restart.".into(),
    }
}

/// The settings of a draft in words, for the audit log (no secret in a draft).
fn describe(v: &ValidDraft) -> String {
    let borrow = v
        .borrow_from
        .as_ref()
        .map(|l| format!(", borrows from {l}"))
        .unwrap_or_default();
    format!(
        "{} on {}, {} as {}, concurrency {}{borrow}",
        v.name,
        v.environment,
        v.auth.as_str(),
        v.email,
        v.concurrency
    )
}
