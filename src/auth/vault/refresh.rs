//! The refresh task: runs outside any request (see the parent module), so nothing a client
//! does can stop it between the provider rotating the refresh token and the new one being
//! stored.

use std::time::Duration;

use super::VaultOwner;
use super::{lease::Lease, Inner, Need, VaultError};
use crate::auth::{error::RefreshError, tokens::TokenSet};
use crate::util::backoff::Backoff;

/// How long the task waits for another replica's refresh before answering "try again".
const LEASE_WAIT: Duration = Duration::from_secs(60);
/// How often a waiting task re-reads the vault row.
const LEASE_POLL: Duration = Duration::from_millis(50);
/// Attempts at the provider when a retry is safe (see `crate::auth::oidc` refresh docs).
const REFRESH_ATTEMPTS: u32 = 3;
/// How long the task keeps trying to store new tokens when the database does not answer:
/// the old refresh token is spent, so giving up early signs the user out.
const STORE_PATIENCE: Duration = Duration::from_secs(60);

impl Inner {
    /// Re-reads until the tokens no longer need `need`, taking the lease and refreshing when
    /// nobody else is.
    pub(super) async fn refresh(
        &self,
        owner: &VaultOwner,
        need: &Need,
    ) -> Result<String, VaultError> {
        let started = tokio::time::Instant::now();
        loop {
            let tokens = self.load(owner).await?.ok_or(VaultError::Missing)?;
            if !self.needed(need, &tokens) {
                return Ok(tokens.access_token);
            }
            let mut lease = Lease::new(self.db.clone(), self.clock.clone(), &owner.id);
            if lease.try_take().await? {
                return self.refresh_holding(owner, need, lease).await;
            }
            if started.elapsed() >= LEASE_WAIT {
                return Err(RefreshError::Unavailable(
                    "another replica is still refreshing this session".into(),
                )
                .into());
            }
            tokio::time::sleep(LEASE_POLL).await;
        }
    }

    async fn refresh_holding(
        &self,
        owner: &VaultOwner,
        need: &Need,
        mut lease: Lease,
    ) -> Result<String, VaultError> {
        // Re-read under the lease: another replica may have written just before we took it.
        let tokens = match self.load(owner).await? {
            Some(t) if self.needed(need, &t) => t,
            Some(t) => {
                lease.release().await?;
                return Ok(t.access_token);
            }
            None => {
                lease.release().await?;
                return Err(VaultError::Missing);
            }
        };
        let refreshed = lease
            .renew_while(self.refresh_with_retries(&tokens, owner))
            .await;
        crate::metrics::refresh_finished(RefreshError::outcome(&refreshed));
        match refreshed {
            Ok(fresh) => {
                let sealed = self.seal(owner, &fresh);
                if !self.store_patiently(&mut lease, &sealed).await? {
                    tracing::error!(sub = %owner.identity.subject, "refresh lease lost before the new tokens were stored; the session may have to sign in again");
                }
                tracing::info!(sub = %owner.identity.subject, expires_at = fresh.expires_at, "refreshed access token");
                Ok(fresh.access_token)
            }
            Err(e) => {
                tracing::warn!(sub = %owner.identity.subject, error = %e, "token refresh failed");
                if e.ends_session() {
                    lease.delete_row().await?;
                } else {
                    lease.release().await?;
                }
                Err(e.into())
            }
        }
    }

    /// Stores the new tokens, retrying while the database is unreachable (up to
    /// [`STORE_PATIENCE`]): the provider has rotated the refresh token, so these are the only
    /// copy.
    async fn store_patiently(&self, lease: &mut Lease, sealed: &str) -> Result<bool, VaultError> {
        let started = tokio::time::Instant::now();
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        loop {
            match lease.store_and_release(sealed).await {
                Ok(done) => return Ok(done),
                Err(e) if started.elapsed() < STORE_PATIENCE => {
                    tracing::warn!(error = %e, "could not store refreshed tokens yet; retrying");
                    tokio::time::sleep(backoff.next_wait()).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Calls the provider, retrying only what provably did not spend the refresh token
    /// (connect errors, 5xx, `temporarily_unavailable`), with the app's backoff (under 0.75 s
    /// in all).
    async fn refresh_with_retries(
        &self,
        tokens: &TokenSet,
        owner: &VaultOwner,
    ) -> Result<TokenSet, RefreshError> {
        let Some(env) = self.environments.get(&owner.environment) else {
            // An environment the operator stopped serving: its tokens go to no other provider.
            return Err(RefreshError::Rejected(format!(
                "environment `{}` is no longer served",
                owner.environment
            )));
        };
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(2));
        let mut attempt = 1;
        loop {
            match env.oidc.refresh(tokens, &owner.identity).await {
                Ok(t) => return Ok(t),
                Err(f) if f.retry && attempt < REFRESH_ATTEMPTS => {
                    tracing::info!(attempt, error = %f.error, "provider unavailable during refresh; retrying");
                    tokio::time::sleep(backoff.next_wait()).await;
                    attempt += 1;
                }
                Err(f) => return Err(f.error),
            }
        }
    }
}
