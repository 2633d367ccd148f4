//! The stand-in's memory: issued codes and tokens, counters and injected faults.
//! One `Arc<Shared>` is shared by the HTTP handlers and every [`super::FakeControl`].

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;

use super::data::{self, DemoUser, Project};
use super::hostile::{Hostile, KeyRing};
use super::options::{FakeClient, FakePat};
use super::RecordedRequest;

/// Lock a mutex, ignoring poisoning (a panicking test must not wedge the stand-in).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `prefix` + 32 random bytes, base64url.
pub(crate) fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A single-use authorization code and everything it is bound to.
pub(crate) struct CodeGrant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) nonce: Option<String>,
    pub(crate) scope: String,
    pub(crate) user: &'static DemoUser,
    pub(crate) auth_time: u64,
    pub(crate) expires_at: Instant,
}

/// An issued access token.
pub(crate) struct AccessGrant {
    pub(crate) client_id: String,
    pub(crate) user: &'static DemoUser,
    pub(crate) scope: String,
    pub(crate) expires_at: Instant,
}

/// An issued refresh token.
pub(crate) struct RefreshGrant {
    pub(crate) client_id: String,
    pub(crate) user: &'static DemoUser,
    pub(crate) scope: String,
    pub(crate) auth_time: u64,
    /// The login this token descends from: every rotation keeps it, so a reused token can
    /// revoke the whole chain (RFC 9700 section 4.14.2).
    pub(crate) family: u64,
}

/// Issued codes and tokens.
#[derive(Default)]
pub(crate) struct Grants {
    pub(crate) codes: HashMap<String, CodeGrant>,
    pub(crate) access: HashMap<String, AccessGrant>,
    pub(crate) refresh: HashMap<String, RefreshGrant>,
    /// Refresh tokens spent by rotation, with their family: presenting one again is reuse.
    pub(crate) spent_refresh: HashMap<String, u64>,
    /// Personal access tokens revoked through [`super::FakeControl::revoke_pat`].
    pub(crate) revoked_pats: std::collections::HashSet<String>,
}

/// The stand-in's notion of time and the token-endpoint faults of issue 12: a clock tests can
/// shift (so tokens expire without sleeping), a delay on refresh grants, reuse and revocation
/// counters.
#[derive(Default)]
pub(crate) struct TokenLab {
    /// Added to the system clock for everything the provider issues and checks.
    pub(crate) clock_offset_ms: AtomicU64,
    /// How long a refresh grant takes *after* it rotated the token (the worst moment for a
    /// client to give up).
    pub(crate) refresh_delay_ms: AtomicU64,
    /// Spent refresh tokens presented again.
    pub(crate) reused_refresh: AtomicUsize,
    /// Successful refresh grants.
    pub(crate) refreshes: AtomicUsize,
    /// Revocation requests answered (RFC 7009).
    pub(crate) revocations: AtomicUsize,
    /// The revocation endpoint answers 503.
    pub(crate) revocation_down: AtomicBool,
    /// How long a refresh grant hangs *before* it looks at the token (a provider that is slow
    /// to start; a client that hangs up meanwhile spent nothing).
    pub(crate) refresh_stall_ms: AtomicU64,
    /// Faults for the next refresh grants, in order.
    pub(crate) refresh_faults: Mutex<std::collections::VecDeque<super::RefreshFault>>,
    /// How the Projects list's paging is broken, if it is ([`super::paging`]).
    pub(crate) paging_fault: Mutex<Option<super::paging::PagingFault>>,
    /// Projects lists already rendered to JSON text ([`super::rendered`]).
    pub(crate) rendered: super::rendered::Rendered,
}

impl TokenLab {
    /// How far the stand-in's clock is ahead of the system clock.
    pub(crate) fn offset(&self) -> Duration {
        Duration::from_millis(self.clock_offset_ms.load(Ordering::SeqCst))
    }
}

/// The next gateway calls that should fail.
pub(crate) struct FailPlan {
    pub(crate) status: u16,
    pub(crate) remaining: usize,
    pub(crate) retry_after: Option<u64>,
}

/// Everything the handlers and the control handle share.
pub(crate) struct Shared {
    pub(crate) issuer: String,
    pub(crate) clients: Vec<FakeClient>,
    pub(crate) pats: Vec<(FakePat, &'static DemoUser)>,
    pub(crate) rotation: bool,
    pub(crate) projects_per_org: usize,
    /// The "now" of the generated projects' dates.
    pub(crate) anchor: time::OffsetDateTime,
    pub(crate) keys: Mutex<KeyRing>,
    pub(crate) hostile: Mutex<Hostile>,
    pub(crate) jwks_fetches: AtomicUsize,
    pub(crate) userinfo_calls: AtomicUsize,
    pub(crate) grants: Mutex<Grants>,
    pub(crate) access_ttl: Mutex<Duration>,
    pub(crate) token_down: AtomicBool,
    pub(crate) token_calls: Mutex<HashMap<String, usize>>,
    pub(crate) gateway_latency: Mutex<Duration>,
    pub(crate) fail_next: Mutex<Option<FailPlan>>,
    pub(crate) in_flight: AtomicUsize,
    pub(crate) max_in_flight: AtomicUsize,
    /// Per `x-fv-userid`: calls in flight now, and the most seen at once.
    pub(crate) user_in_flight: Mutex<HashMap<String, (usize, usize)>>,
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
    pub(crate) secrets: Mutex<(Vec<String>, HashSet<String>)>,
    pub(crate) end_sessions: Mutex<Vec<Vec<(String, String)>>>,
    /// Back-channel logout: clients' URIs and the `sid` of every login.
    pub(crate) backchannel: Mutex<super::backchannel::Registry>,
    pub(crate) projects: Mutex<HashMap<i64, Arc<Vec<Project>>>>,
    /// Another provider whose tokens the gateway also trusts (see [`super::TrustedIntrospection`]).
    pub(crate) introspector: Option<super::introspection::Introspector>,
    /// Shifted clock, refresh delay and reuse/revocation counters.
    pub(crate) lab: TokenLab,
    /// Where the issued refresh tokens are kept across restarts (demo mode), if anywhere.
    pub(crate) kept_refresh: Option<std::path::PathBuf>,
    /// Answer casing, claims placement and contract refusals.
    pub(crate) wire: super::wire::Wire,
    /// Webhook subscriptions and their deliveries.
    pub(crate) webhooks: super::webhooks::Webhooks,
}

impl Shared {
    /// Keeps the refresh tokens in `grants` on disk when this stand-in keeps them (called
    /// with the grants locked, after every change, so the file never lags behind).
    pub(crate) fn keep_refresh(&self, grants: &Grants) {
        if let Some(path) = &self.kept_refresh {
            super::kept_grants::save(path, &grants.refresh);
        }
    }

    /// "Now" for expiry checks: the monotonic clock plus the test's shift.
    pub(crate) fn now(&self) -> Instant {
        Instant::now() + self.lab.offset()
    }

    /// Unix seconds on the stand-in's (shiftable) clock, for `iat`/`exp` claims.
    pub(crate) fn unix_now(&self) -> u64 {
        unix_now() + self.lab.offset().as_secs()
    }

    /// Remember a secret so leak tests can look for it.
    pub(crate) fn remember_secret(&self, s: &str) {
        if s.is_empty() {
            return;
        }
        let mut g = lock(&self.secrets);
        if g.1.insert(s.to_owned()) {
            g.0.push(s.to_owned());
        }
    }

    /// The registered client with this id.
    pub(crate) fn client(&self, client_id: &str) -> Option<&FakeClient> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// Count one token endpoint call.
    pub(crate) fn count_token_call(&self, grant_type: &str) {
        *lock(&self.token_calls)
            .entry(grant_type.to_owned())
            .or_insert(0) += 1;
    }

    /// The (cached) projects of an org; empty for an org nobody belongs to.
    pub(crate) fn projects(&self, org_id: i64) -> Arc<Vec<Project>> {
        let mut cache = lock(&self.projects);
        cache
            .entry(org_id)
            .or_insert_with(|| {
                if data::DEMO_ORGS.iter().any(|o| o.org_id == org_id) {
                    Arc::new(data::generate_projects_at(
                        org_id,
                        self.projects_per_org,
                        self.anchor,
                    ))
                } else {
                    Arc::new(Vec::new())
                }
            })
            .clone()
    }

    /// Issue an access token for `user`; returns (token, expires_in seconds).
    pub(crate) fn issue_access_token(
        &self,
        client_id: &str,
        user: &'static DemoUser,
        scope: &str,
    ) -> (String, u64) {
        let ttl = *lock(&self.access_ttl);
        let token = random_token("fvat_");
        lock(&self.grants).access.insert(
            token.clone(),
            AccessGrant {
                client_id: client_id.to_owned(),
                user,
                scope: scope.to_owned(),
                expires_at: self.now() + ttl,
            },
        );
        self.remember_secret(&token);
        (token, ttl.as_secs())
    }

    /// The live (unexpired, unrevoked) access token's user and scope.
    pub(crate) fn live_access(&self, token: &str) -> Option<(&'static DemoUser, String)> {
        let grants = lock(&self.grants);
        let g = grants.access.get(token)?;
        (g.expires_at > self.now()).then(|| (g.user, g.scope.clone()))
    }

    /// The user and scope of a bearer token at the gateway: one the stand-in issued, else (when
    /// configured) one the trusted provider's introspection endpoint vouches for.
    pub(crate) async fn gateway_access(&self, token: &str) -> Option<(&'static DemoUser, String)> {
        if let Some(found) = self.live_access(token) {
            return Some(found);
        }
        self.introspector.as_ref()?.user_and_scope(token).await
    }

    /// Mark the start of a gateway call; the guard marks its end.
    pub(crate) fn enter_gateway(self: &Arc<Self>, user_id: Option<&str>) -> InFlight {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if let Some(user) = user_id {
            let mut users = lock(&self.user_in_flight);
            let (now, max) = users.entry(user.to_owned()).or_default();
            *now += 1;
            *max = (*max).max(*now);
        }
        let answered_at = tokio::time::Instant::now() + *lock(&self.gateway_latency);
        InFlight(self.clone(), user_id.map(str::to_owned), answered_at)
    }
}

/// Decrements the in-flight gateway counts when dropped. A call whose client hung up is still
/// counted until its answer would have been ready: a real gateway (behind its load balancer)
/// does not notice a client going away and works on, so a client that frees its concurrency
/// permit on hanging up puts more calls on the gateway than its level, and the counts show it.
pub(crate) struct InFlight(Arc<Shared>, Option<String>, tokio::time::Instant);

impl InFlight {
    fn leave(shared: &Shared, user: Option<&str>) {
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        if let Some(user) = user {
            if let Some((now, _)) = lock(&shared.user_in_flight).get_mut(user) {
                *now -= 1;
            }
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let (shared, user, answered_at) = (self.0.clone(), self.1.take(), self.2);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) if answered_at > tokio::time::Instant::now() => {
                rt.spawn(async move {
                    tokio::time::sleep_until(answered_at).await;
                    InFlight::leave(&shared, user.as_deref());
                });
            }
            _ => InFlight::leave(&shared, user.as_deref()),
        }
    }
}
