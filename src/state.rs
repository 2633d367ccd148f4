//! Shared application state, built once by [`crate::startup`] and cloned into every handler.

use std::{ops::Deref, sync::Arc};

use crate::{
    auth::{Environments, TokenVault},
    config::Settings,
    connections::ConnectionsService,
    crypto::Cipher,
    store::Db,
    util::Clock,
};

/// Everything a handler may need. Cloning is an `Arc` bump.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

/// The parts of [`AppState`].
pub struct AppInner {
    pub settings: Settings,
    /// "Now" for every comparison of times; tests move it instead of sleeping.
    pub clock: Clock,
    /// Every served environment's provider and interactive gateway: a signed-in user's
    /// calls, refresh and logout go to their session's environment only.
    pub environments: Arc<Environments>,
    pub vault: Arc<TokenVault>,
    pub cipher: Cipher,
    pub db: Db,
    /// The browser-facing site is https (cookies get `Secure` and the `__Host-` prefix).
    pub https: bool,
    /// Briefly cached dashboard summaries (projects per phase), see [`crate::projects::summary`].
    pub summaries: Arc<crate::projects::SummaryCache>,
    /// Briefly cached reports (stale matters, time in phase...), see
    /// [`crate::projects::report_scan`].
    pub reports: Arc<crate::projects::report_scan::ReportCache>,
    /// Dashboard pages kept while the org's webhook subscription is healthy, see
    /// [`crate::projects::page_cache`].
    pub pages: Arc<crate::projects::page_cache::PageCache>,
    /// Requests per feed key (`/feeds/...`, `FV_FEED_RATE_PER_MINUTE`).
    pub feed_limits: crate::util::keyed_rate::KeyedRate<String>,
    /// The named connections (`FV_PAT` as `env`, the ones admins saved): their token
    /// sources, pools, status and audit log.
    pub connections: Arc<ConnectionsService>,
    /// The connections' scheduled health checks and the alerts they send.
    pub health: Arc<crate::connections::health::HealthService>,
    /// Exports running per signed-in user ([`EXPORTS_PER_USER`] at most), so one person's
    /// downloads cannot take every gateway permit.
    pub exports: crate::util::slots::KeyedSlots,
    /// Dashboard summary scans that go on after their page was sent, per user
    /// ([`SUMMARY_SCANS_PER_USER`] at most), so made-up searches cannot pile up scans.
    pub summary_scans: crate::util::slots::KeyedSlots,
    /// Live data from webhooks: the caches it drops, the dashboards it tells.
    pub live: Arc<crate::live::LiveHub>,
}

/// How many exports one user may run at once; a third gets a 429 page.
pub const EXPORTS_PER_USER: usize = 2;
/// How many summary scans one user may leave running in the background.
pub const SUMMARY_SCANS_PER_USER: usize = 2;

impl AppState {
    pub fn new(inner: AppInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}
