//! Test and demo controls: counters, injected faults and lifetimes, in-process
//! ([`FakeControl`]) and over HTTP (`GET /_fake/stats`, `POST /_fake/control`).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::data::Project;
use super::hostile::Tamper;
use super::state::{lock, FailPlan, Shared};
use super::RefreshFault;

/// One gateway request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Decoded query pairs, in order (repeated keys kept).
    pub query: Vec<(String, String)>,
    /// The `x-fv-orgid` header, verbatim.
    pub org_id: Option<String>,
    /// The `x-fv-userid` header, verbatim.
    pub user_id: Option<String>,
}

/// The subset of the gateway's Projects filters tests compare exports with.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    /// Case-insensitive substring of projectName, clientName or number.
    pub search_term: Option<String>,
    /// Exact phase name.
    pub phase_name: Option<String>,
    /// Leave out archived projects.
    pub exclude_archived: bool,
}

impl ProjectFilter {
    /// Whether the gateway would list `p` under these filters.
    pub(crate) fn matches(&self, p: &Project) -> bool {
        if self.exclude_archived && p.is_archived {
            return false;
        }
        if let Some(phase) = &self.phase_name {
            if p.phase_name != phase {
                return false;
            }
        }
        if let Some(term) = &self.search_term {
            let term = term.to_lowercase();
            if !term.is_empty()
                && !p.project_name.to_lowercase().contains(&term)
                && !p.client_name.to_lowercase().contains(&term)
                && !p.number.to_lowercase().contains(&term)
            {
                return false;
            }
        }
        true
    }
}

/// A cheap handle (an `Arc` inside) to observe and steer a running stand-in.
#[derive(Clone)]
pub struct FakeControl {
    pub(crate) shared: Arc<Shared>,
}

impl FakeControl {
    /// Token endpoint calls (successful and failed) with this `grant_type`.
    pub fn token_calls(&self, grant_type: &str) -> usize {
        lock(&self.shared.token_calls)
            .get(grant_type)
            .copied()
            .unwrap_or(0)
    }

    /// Lifetime of access tokens issued from now on.
    pub fn set_access_token_ttl(&self, ttl: Duration) {
        *lock(&self.shared.access_ttl) = ttl;
    }

    /// Expire every access token issued so far (the gateway and userinfo answer 401).
    pub fn expire_access_tokens(&self) {
        let now = self.shared.now();
        let past = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
        for g in lock(&self.shared.grants).access.values_mut() {
            g.expires_at = past;
        }
    }

    /// Moves the stand-in's clock forward: issued tokens and codes expire, and new ID tokens
    /// carry `iat`/`exp` from the shifted time. Tests move the app's clock by the same amount
    /// (`TestApp::advance_clock`) instead of sleeping.
    pub fn advance_clock(&self, by: Duration) {
        self.shared
            .lab
            .clock_offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    /// A delay on every refresh grant, *after* the presented token was spent and the new one
    /// issued: a client that gives up during it has lost its refresh token unless it finishes
    /// the refresh anyway.
    pub fn set_refresh_delay(&self, d: Duration) {
        self.shared
            .lab
            .refresh_delay_ms
            .store(d.as_millis() as u64, Ordering::SeqCst);
    }

    /// A delay on every refresh grant *before* the presented token is looked at (a hung
    /// provider: a client that gives up meanwhile has spent nothing).
    pub fn set_refresh_stall(&self, d: Duration) {
        self.shared
            .lab
            .refresh_stall_ms
            .store(d.as_millis() as u64, Ordering::SeqCst);
    }

    /// The next refresh grants fail as `faults` say, one fault per grant, in order.
    pub fn fail_next_refreshes(&self, faults: &[RefreshFault]) {
        lock(&self.shared.lab.refresh_faults).extend(faults.iter().copied());
    }

    /// Rotate to a signing key that is *not* published in the JWKS (yet): ID tokens name a
    /// `kid` no key-set fetch can find, as during a provider's botched key rollover. Returns
    /// the new `kid`; [`FakeControl::publish_signing_key`] publishes it.
    pub async fn rotate_signing_key_unpublished(&self) -> Result<String, super::FakeError> {
        let alg = lock(&self.shared.keys).signing.alg;
        let key = tokio::task::spawn_blocking(move || super::keys::SigningKeys::generate(alg))
            .await
            .map_err(|e| super::FakeError::Key(e.to_string()))??;
        let key = Arc::new(key);
        lock(&self.shared.keys).signing = key.clone();
        Ok(key.kid.clone())
    }

    /// Publish the current signing key (first in the JWKS) if it is not yet.
    pub fn publish_signing_key(&self) {
        let mut ring = lock(&self.shared.keys);
        let signing = ring.signing.clone();
        if !ring.published.iter().any(|k| k.kid == signing.kid) {
            ring.published.insert(0, signing);
        }
    }

    /// Spent refresh tokens presented again (each one revoked its whole grant).
    pub fn reused_refresh_tokens(&self) -> usize {
        self.shared.lab.reused_refresh.load(Ordering::SeqCst)
    }

    /// Refresh grants that succeeded (issued a new token).
    pub fn successful_refreshes(&self) -> usize {
        self.shared.lab.refreshes.load(Ordering::SeqCst)
    }

    /// Requests at the revocation endpoint (RFC 7009), answered or not.
    pub fn revocation_calls(&self) -> usize {
        self.shared.lab.revocations.load(Ordering::SeqCst)
    }

    /// Make the revocation endpoint answer 503.
    pub fn set_revocation_down(&self, down: bool) {
        self.shared
            .lab
            .revocation_down
            .store(down, Ordering::SeqCst);
    }

    /// Invalidate every refresh token issued so far (refresh answers `invalid_grant`).
    pub fn revoke_refresh_tokens(&self) {
        lock(&self.shared.grants).refresh.clear();
    }

    /// Revoke personal access token `pat` as an Account Admin would (or disable its service
    /// account): the token endpoint refuses it with `invalid_grant` from now on, and the
    /// access tokens already issued to its user stop working at the gateway.
    pub fn revoke_pat(&self, pat: &str) {
        let user = self
            .shared
            .pats
            .iter()
            .find(|(p, _)| p.token == pat)
            .map(|(_, u)| u.email);
        let mut grants = lock(&self.shared.grants);
        grants.revoked_pats.insert(pat.to_owned());
        if let Some(email) = user {
            grants.access.retain(|_, g| g.user.email != email);
        }
    }

    /// Simulate a provider outage: the token endpoint answers 503.
    pub fn set_token_endpoint_down(&self, down: bool) {
        self.shared.token_down.store(down, Ordering::SeqCst);
    }

    /// The next `count` gateway calls answer `status` before any check (429 carries
    /// `Retry-After: retry_after_secs` when given).
    pub fn fail_next_gateway_calls(
        &self,
        status: u16,
        count: usize,
        retry_after_secs: Option<u64>,
    ) {
        *lock(&self.shared.fail_next) = (count > 0).then_some(FailPlan {
            status,
            remaining: count,
            retry_after: retry_after_secs,
        });
    }

    /// Delay added to every gateway call from now on.
    pub fn set_gateway_latency(&self, d: Duration) {
        *lock(&self.shared.gateway_latency) = d;
    }

    /// The most gateway requests in flight at once since the last reset.
    pub fn gateway_max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// The most gateway calls seen in flight at once for one `x-fv-userid`.
    pub fn gateway_max_in_flight_of(&self, user_id: i64) -> usize {
        let users = lock(&self.shared.user_in_flight);
        users.get(&user_id.to_string()).map_or(0, |(_, max)| *max)
    }

    /// Forget recorded gateway requests and the in-flight maxima.
    pub fn reset_gateway_stats(&self) {
        let now = self.shared.in_flight.load(Ordering::SeqCst);
        self.shared.max_in_flight.store(now, Ordering::SeqCst);
        for (now, max) in lock(&self.shared.user_in_flight).values_mut() {
            *max = *now;
        }
        lock(&self.shared.requests).clear();
    }

    /// Every gateway request since the last reset, in arrival order.
    pub fn gateway_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Every code, token, client secret and PAT the stand-in issued or was configured with
    /// (leak tests search logs and pages for these).
    pub fn issued_secrets(&self) -> Vec<String> {
        lock(&self.shared.secrets).0.clone()
    }

    /// Every project of `org_id` as the gateway holds it (tests compute figures from these
    /// independently of the app).
    pub fn projects(&self, org_id: i64) -> Vec<super::data::Project> {
        self.shared.projects(org_id).as_ref().clone()
    }

    /// How many projects the gateway would list in total for `org_id` under `filter`.
    pub fn project_count(&self, org_id: i64, filter: &ProjectFilter) -> usize {
        self.shared
            .projects(org_id)
            .iter()
            .filter(|p| filter.matches(p))
            .count()
    }

    /// Break every ID token issued from now on as `tamper` says (`None`: stop breaking them).
    pub fn set_id_token_tamper(&self, tamper: Option<Tamper>) {
        lock(&self.shared.hostile).tamper = tamper;
    }

    /// Break only the next ID token issued.
    pub fn tamper_next_id_token(&self, tamper: Tamper) {
        lock(&self.shared.hostile).tamper_next = Some(tamper);
    }

    /// Make discovery claim another `issuer` (`None`: the true one).
    pub fn set_discovery_issuer(&self, issuer: Option<String>) {
        lock(&self.shared.hostile).discovery_issuer = issuer;
    }

    /// Make ID tokens say `email_verified: false` (`false`: verified, the default).
    pub fn set_emails_unverified(&self, unverified: bool) {
        lock(&self.shared.hostile).emails_unverified = unverified;
    }

    /// Make the provider assert `email` for every user (`None`: their own), in ID tokens and
    /// at userinfo; the gateway's user record keeps the real one.
    pub fn set_asserted_email(&self, email: Option<String>) {
        lock(&self.shared.hostile).asserted_email = email;
    }

    /// Make userinfo answer only after `delay` (zero: at once).
    pub fn set_userinfo_delay(&self, delay: Duration) {
        lock(&self.shared.hostile).userinfo_delay = delay;
    }

    /// Make userinfo answer with another `sub` (`None`: the token's user).
    pub fn set_userinfo_sub(&self, sub: Option<String>) {
        lock(&self.shared.hostile).userinfo_sub = sub;
    }

    /// Make userinfo answer 503 while `down` (an outage of that endpoint alone).
    pub fn set_userinfo_down(&self, down: bool) {
        lock(&self.shared.hostile).userinfo_down = down;
    }

    /// Rotate the signing key: a new key (new `kid`) signs from now on and is published in the
    /// JWKS first; the old keys stay published unless `retire_old`.
    pub async fn rotate_signing_key(&self, retire_old: bool) -> Result<String, super::FakeError> {
        let alg = lock(&self.shared.keys).signing.alg;
        let key = tokio::task::spawn_blocking(move || super::keys::SigningKeys::generate(alg))
            .await
            .map_err(|e| super::FakeError::Key(e.to_string()))??;
        let key = Arc::new(key);
        let mut ring = lock(&self.shared.keys);
        if retire_old {
            ring.published.clear();
        }
        ring.published.insert(0, key.clone());
        ring.signing = key.clone();
        Ok(key.kid.clone())
    }

    /// The `kid` of the key that signs ID tokens now.
    pub fn signing_kid(&self) -> String {
        lock(&self.shared.keys).signing.kid.clone()
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    /// How many userinfo requests were answered with claims.
    pub fn userinfo_calls(&self) -> usize {
        self.shared.userinfo_calls.load(Ordering::SeqCst)
    }

    /// The query pairs of every end_session request.
    pub fn end_session_calls(&self) -> Vec<Vec<(String, String)>> {
        lock(&self.shared.end_sessions).clone()
    }
}
