//! Repeat views of one dashboard page, served without the gateway while live data says nothing
//! changed. A view's gateway answers (the table's page and the summary's counts) are kept for
//! [`TTL`] per [`PageKey`] (environment, org, user and the page's full query), and used only
//! while the org's webhook subscription is healthy: then every change in Filevine arrives as a
//! delivery, which drops the org's pages at once ([`crate::live::OrgCache`]), so a kept page
//! is a page nothing has changed since.
//!
//! What it trades (the README says so too): a change Filevine makes without a delivery (one
//! of the events not subscribed to, such as a note, or a delivery lost on Filevine's side) is
//! seen up to [`TTL`] late instead of at once; and what a user may see is read from Filevine
//! once per [`TTL`] rather than per view (a revoked project membership sends a delivery, so it
//! drops the page too). Never across users: the user is part of the key.

use std::{sync::Arc, time::Duration};

use super::{
    fresh_cache::{FreshCache, OrgKey},
    Summary,
};
use crate::{filevine::ProjectPage, util::Clock};

pub use super::fresh_cache::Ticket;

/// How long a page is kept (the bound: at most five minutes).
pub const TTL: Duration = Duration::from_secs(300);
/// The cache's capacity, in estimated bytes.
pub const MAX_WEIGHT: u64 = 32 * 1024 * 1024;
/// Estimated bytes of one project row (names, dates, links).
const ROW_BYTES: usize = 512;

/// Whose page, which page.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub environment: String,
    pub org_id: i64,
    pub user_id: i64,
    /// The page's full query, in its canonical form (filters, sort, page, per page).
    pub query: String,
}

/// What a view of the page asked the gateway.
#[derive(Clone, Debug)]
pub struct KeptPage {
    pub page: ProjectPage,
    pub summary: Arc<Summary>,
}

impl OrgKey for PageKey {
    fn environment(&self) -> &str {
        &self.environment
    }
    fn org_id(&self) -> i64 {
        self.org_id
    }
}

fn weight(key: &PageKey, kept: &KeptPage) -> u32 {
    let phases: usize = kept.summary.phases.iter().map(|(n, _)| n.len() + 40).sum();
    let bytes = kept.page.items.len() * ROW_BYTES + phases + key.query.len() + 256;
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// The kept pages of this process (the app's [`FreshCache`]).
pub struct PageCache {
    cache: FreshCache<PageKey, KeptPage>,
}

impl PageCache {
    /// Pages kept for [`TTL`] on `clock`.
    pub fn new(clock: Clock) -> Self {
        Self {
            cache: FreshCache::new(TTL, clock, MAX_WEIGHT, Some(weight)),
        }
    }

    /// The kept page of `key`, when younger than [`TTL`] by the app clock.
    pub async fn get(&self, key: &PageKey) -> Option<Arc<KeptPage>> {
        self.cache.cached(key).await
    }

    /// Call before asking the gateway for `key`'s page.
    pub fn ticket(&self, key: &PageKey) -> Ticket {
        self.cache.ticket(key)
    }

    /// Keeps `kept` for `key`, unless the org changed since `ticket` was taken.
    pub async fn put(&self, key: PageKey, ticket: Ticket, kept: KeptPage) {
        self.cache.put(key, ticket, kept).await
    }
}

/// Any delivery for the org drops every kept page of it (every user's).
impl crate::live::OrgCache for PageCache {
    fn drop_org(&self, environment: &str, org_id: i64) {
        self.cache.drop_org(environment, org_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::OrgCache;

    fn key(org_id: i64, user_id: i64) -> PageKey {
        PageKey {
            environment: "us".into(),
            org_id,
            user_id,
            query: "page=2".into(),
        }
    }

    fn kept() -> KeptPage {
        KeptPage {
            page: ProjectPage::default(),
            summary: Arc::new(Summary::default()),
        }
    }

    #[tokio::test]
    async fn kept_per_user_dropped_by_a_change_and_after_ttl() {
        let clock = Clock::system();
        let cache = PageCache::new(clock.clone());
        let t = cache.ticket(&key(1, 2));
        cache.put(key(1, 2), t, kept()).await;
        assert!(cache.get(&key(1, 2)).await.is_some());
        assert!(cache.get(&key(1, 3)).await.is_none(), "another user");
        cache.drop_org("ca", 1);
        assert!(cache.get(&key(1, 2)).await.is_some(), "another environment");
        cache.drop_org("us", 1);
        assert!(cache.get(&key(1, 2)).await.is_none(), "dropped by a change");

        let t = cache.ticket(&key(1, 2));
        cache.drop_org("us", 1);
        cache.put(key(1, 2), t, kept()).await;
        assert!(
            cache.get(&key(1, 2)).await.is_none(),
            "fetched across a change"
        );

        let t = cache.ticket(&key(1, 2));
        cache.put(key(1, 2), t, kept()).await;
        clock.advance(TTL - Duration::from_secs(1));
        assert!(cache.get(&key(1, 2)).await.is_some());
        clock.advance(Duration::from_secs(2));
        assert!(cache.get(&key(1, 2)).await.is_none(), "expired");
    }
}
