//! The summary above the table: how many projects match, and how many are in each phase.
//!
//! Why a scan and not "one `limit=1` call per phase": the gateway returns no total (a page
//! has `count` = items on the page, and `hasMore`), and it has no endpoint listing phases.
//! A `limit=1` call per phase would only say whether a phase is empty; getting real counts that
//! way needs a binary search on `offset` per phase (about log2(n) calls each, ~11 per phase
//! for 1,250 projects) and a phase list from somewhere. Instead we walk the matching projects
//! once with `limit=1000` and `requestedFields=projectId,phaseName,phaseId` (a few bytes per
//! project): `ceil(n / 1000)` calls in total, fetched [`FV_CONCURRENCY`](crate::config) at a
//! time, which discovers the phases (ordered by `phaseId`, i.e. the pipeline) and counts them
//! exactly. The walk stops at [`MAX_SCANNED`] projects and then says "at least".
//!
//! Results are cached for [`TTL`] per [`SummaryKey`] (org, user, search, archived): the phase
//! filter and the page are not part of the key, so paging, sorting and clicking a phase bar
//! cost nothing, and an export of the same filters knows its total (no call past the end).
//! Concurrent requests for the same key share one scan (single flight), so a burst of
//! dashboard views does not multiply gateway calls.
//!
//! The cache is the app's [`FreshCache`] (moka, single flight, failed loads not cached, fresh
//! by the app clock). It is bounded by entries and by weight at once: each entry weighs its estimated bytes but never less than
//! [`MIN_ENTRY_WEIGHT`], and the capacity is [`MAX_ENTRIES`] such minimum weights, so at most
//! that many summaries are kept and a few with huge phase lists cannot grow it past
//! [`MAX_WEIGHT`] bytes either.

use std::{collections::HashMap, sync::Arc, time::Duration};

use futures::StreamExt;

use super::fresh_cache::{FreshCache, OrgKey};
use crate::{
    filevine::{
        walk::{pages, Walk},
        GatewayError, ProjectPage, ProjectQuery,
    },
    util::Clock,
};

/// How long a summary is reused.
pub const TTL: Duration = Duration::from_secs(60);
/// Most projects a summary scan reads.
pub const MAX_SCANNED: u64 = 50_000;
/// Most cached summaries.
pub const MAX_ENTRIES: u64 = 1024;
/// The least an entry weighs (bytes, estimated).
pub const MIN_ENTRY_WEIGHT: u32 = 1024;
/// The cache's capacity, in estimated bytes.
pub const MAX_WEIGHT: u64 = MAX_ENTRIES * MIN_ENTRY_WEIGHT as u64;
const SCAN_PAGE: u32 = 1000;

/// Counts for one set of filters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Matching projects across all phases.
    pub total: u64,
    /// `(phase, count)`, in pipeline order (by phase id).
    pub phases: Vec<(String, u64)>,
    /// The scan stopped at [`MAX_SCANNED`]: the numbers are lower bounds.
    pub partial: bool,
}

impl Summary {
    /// Projects in `phase` (exact name), or all when `phase` is empty.
    pub fn count_for(&self, phase: &str) -> u64 {
        if phase.is_empty() {
            return self.total;
        }
        self.phases
            .iter()
            .find(|(p, _)| p == phase)
            .map_or(0, |(_, c)| *c)
    }

    fn add_page(&mut self, page: &ProjectPage, order: &mut HashMap<String, i64>) {
        for p in &page.items {
            self.total += 1;
            let name = p
                .phase_name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "(no phase)".to_owned());
            let rank = p.phase_id.unwrap_or(i64::MAX);
            let r = order.entry(name.clone()).or_insert(rank);
            *r = (*r).min(rank);
            match self.phases.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => self.phases.push((name, 1)),
            }
        }
    }
}

/// The cache key: what changes the counts. Not the phase filter (the chart shows every phase)
/// and not the sort or page. The user is part of it: what a user may see is Filevine's
/// decision, so one user's counts are never shown to another. So is the environment: ids are
/// numbered by each environment's Filevine, so a Canadian org and user may carry the very ids
/// of a US one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SummaryKey {
    /// The environment (`us`, `ca`, ...) the org and user ids belong to.
    pub environment: String,
    pub org_id: i64,
    pub user_id: i64,
    /// The search term, empty for none.
    pub q: String,
    /// Archived projects are counted too.
    pub archived: bool,
    /// The date filters narrow the counts too.
    pub dates: super::DateFilters,
}

impl OrgKey for SummaryKey {
    fn environment(&self) -> &str {
        &self.environment
    }
    fn org_id(&self) -> i64 {
        self.org_id
    }
}

/// Estimated bytes of a cached summary and its key, at least [`MIN_ENTRY_WEIGHT`].
fn weight(key: &SummaryKey, s: &Summary) -> u32 {
    let phases: usize = s.phases.iter().map(|(n, _)| n.len() + 40).sum();
    let bytes = std::mem::size_of::<Summary>()
        + std::mem::size_of::<SummaryKey>()
        + key.q.len()
        + key.environment.len();
    u32::try_from(bytes + phases)
        .unwrap_or(u32::MAX)
        .max(MIN_ENTRY_WEIGHT)
}

/// Briefly cached summaries, shared by every request of this process.
pub struct SummaryCache {
    cache: FreshCache<SummaryKey, Summary>,
}

impl SummaryCache {
    /// The dashboard's cache: entries live for [`TTL`] on `clock`.
    pub fn new(clock: Clock) -> Self {
        Self::with_ttl(TTL, clock)
    }

    /// A cache whose entries live for `ttl` on `clock`.
    pub fn with_ttl(ttl: Duration, clock: Clock) -> Self {
        Self {
            cache: FreshCache::new(ttl, clock, MAX_WEIGHT, Some(weight)),
        }
    }

    /// The summary for `key` (cached, or computed by scanning every page of `filters`
    /// through `fetch`). Concurrent callers with one key share one scan; a failed scan is
    /// not cached.
    pub async fn get<F, Fut>(
        &self,
        key: SummaryKey,
        filters: ProjectQuery,
        concurrency: usize,
        fetch: F,
    ) -> Result<Arc<Summary>, GatewayError>
    where
        F: Fn(ProjectQuery) -> Fut,
        Fut: std::future::Future<Output = Result<ProjectPage, GatewayError>>,
    {
        self.cache
            .get_with(key, scan(filters, concurrency, fetch))
            .await
    }

    /// The cached summary for `key`, if a fresh one is there (nothing is fetched). A stale
    /// one is dropped, so the next [`SummaryCache::get`] scans again.
    pub async fn cached(&self, key: &SummaryKey) -> Option<Arc<Summary>> {
        self.cache.cached(key).await
    }
}

/// A webhook said the org's projects changed: its summaries (every user's, every filter) are
/// scanned again at the next view.
impl crate::live::OrgCache for SummaryCache {
    fn drop_org(&self, environment: &str, org_id: i64) {
        self.cache.drop_org(environment, org_id);
    }
}

/// Counts every project matching `filters`' search and archived settings, per phase (the phase
/// filter is ignored), with any page fetcher: a user's session for the dashboard, the service
/// account's PAT for the scheduled snapshots ([`crate::reporting::snapshot`]).
pub async fn scan<F, Fut>(
    filters: ProjectQuery,
    concurrency: usize,
    fetch: F,
) -> Result<Summary, GatewayError>
where
    F: Fn(ProjectQuery) -> Fut,
    Fut: std::future::Future<Output = Result<ProjectPage, GatewayError>>,
{
    let base = ProjectQuery {
        phase_name: None,
        sort_by: Some(crate::filevine::SortField::ProjectId),
        order: Some(crate::filevine::SortOrder::Asc),
        requested_fields: Some("projectId,phaseName,phaseId"),
        ..filters
    }
    .at(0, SCAN_PAGE);
    let max_pages = MAX_SCANNED / u64::from(SCAN_PAGE);
    let walk = Walk {
        max_pages,
        ..Walk::new(concurrency)
    };
    let mut summary = Summary::default();
    let mut order = HashMap::new();
    let all = pages(base, walk, fetch);
    futures::pin_mut!(all);
    let (mut seen, mut more) = (0, false);
    while let Some(page) = all.next().await {
        let page = page?;
        summary.add_page(&page, &mut order);
        more = page.has_more;
        seen += 1;
    }
    summary.partial = more && seen >= max_pages;
    summary
        .phases
        .sort_by(|a, b| order[&a.0].cmp(&order[&b.0]).then(a.0.cmp(&b.0)));
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filevine::{Project, ProjectId};

    #[tokio::test]
    async fn counts_in_pipeline_order() {
        let mk = |id: i64, phase: &str, pid: i64| Project {
            project_id: Some(ProjectId::new(id)),
            phase_name: Some(phase.into()),
            phase_id: Some(pid),
            ..Default::default()
        };
        // Settled (phase id 307) comes first in the data, Intake (301) first in the pipeline;
        // a project with no phase goes last.
        let items = [
            mk(1, "Settled", 307),
            mk(2, "Intake", 301),
            mk(3, "Intake", 301),
            Project {
                project_id: Some(ProjectId::new(4)),
                ..Default::default()
            },
            mk(5, "Intake", 301),
        ];
        let fetch = |q: ProjectQuery| {
            let start = (q.offset as usize).min(items.len());
            let end = (start + q.limit as usize).min(items.len());
            futures::future::ready(Ok(ProjectPage {
                items: items[start..end].to_vec(),
                has_more: end < items.len(),
                ..Default::default()
            }))
        };
        let s = scan(ProjectQuery::default(), 2, fetch).await.unwrap();
        assert_eq!(s.total, 5);
        assert_eq!(
            s.phases,
            vec![
                ("Intake".into(), 3),
                ("Settled".into(), 1),
                ("(no phase)".into(), 1)
            ]
        );
        assert_eq!(s.count_for("Settled"), 1);
        assert_eq!(s.count_for(""), 5);
        assert_eq!(s.count_for("Nope"), 0);
        assert!(!s.partial);
    }

    #[tokio::test]
    async fn one_scan_per_key_and_failures_are_not_cached() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
        // Counts scans: each starts at offset 0 (and requests a window of pages at once).
        let fetch = |q: ProjectQuery| {
            if q.offset == 0 {
                calls.fetch_add(1, Ordering::SeqCst);
            }
            let failing = fail.load(Ordering::SeqCst);
            async move {
                tokio::task::yield_now().await;
                if failing {
                    Err(GatewayError::Timeout)
                } else {
                    Ok(ProjectPage::default())
                }
            }
        };
        let clock = Clock::system();
        let cache = SummaryCache::new(clock.clone());
        let key = SummaryKey {
            environment: "us".into(),
            org_id: 1,
            user_id: 2,
            q: String::new(),
            archived: false,
            dates: Default::default(),
        };
        let get = || cache.get(key.clone(), ProjectQuery::default(), 4, fetch);
        assert!(get().await.is_err());
        assert!(
            cache.cached(&key).await.is_none(),
            "a failure is not cached"
        );
        fail.store(false, Ordering::SeqCst);
        calls.store(0, Ordering::SeqCst);
        let all = futures::future::join_all((0..20).map(|_| get())).await;
        assert!(all.iter().all(|r| r.as_ref().is_ok_and(|s| s.total == 0)));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "twenty views, one scan");
        assert!(cache.cached(&key).await.is_some());
        // The minute is judged by the app clock: 59 s on, still cached; past 60 s, scanned again.
        clock.advance(TTL - Duration::from_secs(1));
        get().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "fresh at 59 s");
        clock.advance(Duration::from_secs(2));
        assert!(cache.cached(&key).await.is_none(), "stale at 61 s");
        get().await.unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "a stale summary is scanned again"
        );
    }
}
