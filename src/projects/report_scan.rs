//! The reports' one scan and its cache. Like the summary ([`super::summary`]): every matching
//! project is walked once with `limit=1000` and only [`REPORT_FIELDS`], a window of pages at a
//! time, and the result is kept for [`TTL`] per [`ReportKey`] in the app's [`FreshCache`] (one
//! scan per key however many views arrive at once; a failed scan is not kept; fresh by the app
//! [`Clock`]). The
//! day the figures are counted to is part of the key, so moving past midnight (or a test moving the app clock by
//! days) recomputes instead of showing yesterday's ages.

use std::{future::Future, sync::Arc, time::Duration};

use futures::StreamExt;
use time::OffsetDateTime;

use super::{
    fresh_cache::{FreshCache, OrgKey},
    report::{Report, ReportBuilder, REPORT_FIELDS},
    ProjectFilters,
};
use crate::{
    filevine::{
        models::ProjectType,
        walk::{pages, Walk},
        GatewayError, ProjectPage, ProjectQuery,
    },
    util::{dates::Zone, Clock},
};

/// How long a report is reused.
pub const TTL: Duration = Duration::from_secs(60);
/// Most projects one scan reads.
pub const MAX_SCANNED: u64 = 50_000;
/// Most cached reports (each a few kilobytes: 25 stalest, a dozen phases and types).
pub const MAX_ENTRIES: u64 = 256;
const SCAN_PAGE: u32 = 1000;

/// What changes the figures: who asks, where (the environment too: each numbers its own orgs
/// and users, so the ids of two environments may coincide), the filters and the day counted to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReportKey {
    pub environment: String,
    pub org_id: i64,
    pub user_id: i64,
    pub filters: ProjectFilters,
    /// `yyyy-mm-dd` of "now".
    pub as_of: String,
}

impl OrgKey for ReportKey {
    fn environment(&self) -> &str {
        &self.environment
    }
    fn org_id(&self) -> i64 {
        self.org_id
    }
}

/// The day a report made `now` is counted to, in `zone` (`yyyy-mm-dd`, for [`ReportKey`]).
pub fn as_of(now: OffsetDateTime, zone: &Zone) -> String {
    let today = zone.local_date(now.unix_timestamp()).unwrap_or(now.date());
    crate::filevine::query::gateway_date(today)
}

/// The scan's query: the filters, stable order, the report's fields only.
pub fn scan_query(filters: &ProjectFilters) -> ProjectQuery {
    ProjectQuery {
        requested_fields: Some(REPORT_FIELDS),
        ..filters.walk_query()
    }
    .at(0, SCAN_PAGE)
}

/// Computes the report of `filters` as of `now`: walks every page through `fetch` while the
/// type names load through `types`.
pub async fn compute<F, Fut, T>(
    filters: &ProjectFilters,
    now: OffsetDateTime,
    zone: &Zone,
    concurrency: usize,
    fetch: F,
    types: T,
) -> Result<Report, GatewayError>
where
    F: Fn(ProjectQuery) -> Fut,
    Fut: Future<Output = Result<ProjectPage, GatewayError>>,
    T: Future<Output = Result<Vec<ProjectType>, GatewayError>>,
{
    let max_pages = MAX_SCANNED / u64::from(SCAN_PAGE);
    let walk = Walk {
        max_pages,
        ..Walk::new(concurrency)
    };
    let scan = async {
        let mut builder = ReportBuilder::new(now, zone);
        let all = pages(scan_query(filters), walk, fetch);
        futures::pin_mut!(all);
        let (mut seen, mut more) = (0, false);
        while let Some(page) = all.next().await {
            let page = page?;
            builder.add_page(&page);
            more = page.has_more;
            seen += 1;
        }
        Ok::<_, GatewayError>((builder, more && seen >= max_pages))
    };
    let (scanned, types) = futures::join!(scan, types);
    let (builder, partial) = scanned?;
    Ok(builder.finish(&types?, partial))
}

/// Briefly cached reports, shared by the page and the feeds of this process.
pub struct ReportCache {
    cache: FreshCache<ReportKey, Report>,
}

impl ReportCache {
    /// Entries live for [`TTL`] on `clock`.
    pub fn new(clock: Clock) -> Self {
        Self {
            cache: FreshCache::new(TTL, clock, MAX_ENTRIES, None),
        }
    }

    /// The report for `key` (cached, or computed by `load`). Concurrent callers with one key
    /// share one scan; a failed scan is not cached; an entry older than [`TTL`] by the app
    /// clock is computed again.
    pub async fn get<L>(&self, key: ReportKey, load: L) -> Result<Arc<Report>, GatewayError>
    where
        L: Future<Output = Result<Report, GatewayError>>,
    {
        self.cache.get_with(key, load).await
    }
}

/// A webhook said the org's projects changed: its reports (and the report scans behind the
/// feeds) are computed again at the next view.
impl crate::live::OrgCache for ReportCache {
    fn drop_org(&self, environment: &str, org_id: i64) {
        self.cache.drop_org(environment, org_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filevine::{Project, ProjectId};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_field_limited_scan_per_key() {
        let calls = AtomicUsize::new(0);
        let seen_query = std::sync::Mutex::new(None);
        // Counts scans: each starts at offset 0 (and requests a window of pages at once).
        let fetch = |q: ProjectQuery| {
            if q.offset == 0 {
                calls.fetch_add(1, Ordering::SeqCst);
            }
            *seen_query.lock().unwrap() = Some(q.clone());
            futures::future::ready(Ok(ProjectPage {
                items: vec![Project {
                    project_id: Some(ProjectId::new(1)),
                    ..Default::default()
                }],
                has_more: false,
                ..Default::default()
            }))
        };
        let now = time::macros::datetime!(2025-06-30 12:00 UTC);
        let filters = ProjectFilters::default();
        let clock = Clock::system();
        let zone = Zone::utc();
        let cache = ReportCache::new(clock.clone());
        let key = ReportKey {
            environment: "us".into(),
            org_id: 1,
            user_id: 2,
            filters: filters.clone(),
            as_of: "2025-06-30".into(),
        };
        for _ in 0..3 {
            let load = compute(&filters, now, &zone, 4, fetch, async { Ok(Vec::new()) });
            let r = cache.get(key.clone(), load).await.unwrap();
            assert_eq!(r.total, 1);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "three views, one scan");
        // A minute later by the app clock, the next view scans again.
        clock.advance(TTL + Duration::from_secs(1));
        let load = compute(&filters, now, &zone, 4, fetch, async { Ok(Vec::new()) });
        cache.get(key.clone(), load).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "stale by the app clock");
        let q = seen_query.lock().unwrap().clone().unwrap();
        assert_eq!(q.requested_fields, Some(REPORT_FIELDS));
        assert!(q.exclude_archived, "archived left out by default");
        assert_eq!(q.limit, 1000);
    }
}
