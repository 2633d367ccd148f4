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
//! cost nothing.
//! Concurrent requests for the same key share one scan (single flight), so a burst of
//! dashboard views does not multiply gateway calls. The cache is small and bounded.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::StreamExt;
use tokio::sync::OnceCell;

use crate::filevine::{walk::pages_after, GatewayError, ProjectPage, ProjectQuery};

/// How long a summary is reused.
pub const TTL: Duration = Duration::from_secs(60);
/// Most projects a summary scan reads.
pub const MAX_SCANNED: u64 = 50_000;
/// Most cached summaries (oldest dropped first).
const MAX_ENTRIES: usize = 1024;
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
/// decision, so one user's counts are never shown to another.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SummaryKey {
    pub org_id: i64,
    pub user_id: i64,
    /// The search term, empty for none.
    pub q: String,
    /// Archived projects are counted too.
    pub archived: bool,
}

struct Entry {
    created: Instant,
    cell: Arc<OnceCell<Arc<Summary>>>,
}

/// Briefly cached summaries, shared by every request of this process.
#[derive(Default)]
pub struct SummaryCache {
    entries: Mutex<HashMap<SummaryKey, Entry>>,
}

impl SummaryCache {
    fn cell(&self, key: SummaryKey) -> Arc<OnceCell<Arc<Summary>>> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(e) = map.get(&key) {
            if now.duration_since(e.created) < TTL {
                return e.cell.clone();
            }
        }
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, e| now.duration_since(e.created) < TTL);
            if map.len() >= MAX_ENTRIES {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, e)| e.created)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        let cell = Arc::new(OnceCell::new());
        map.insert(
            key,
            Entry {
                created: now,
                cell: cell.clone(),
            },
        );
        cell
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
        let cell = self.cell(key);
        cell.get_or_try_init(|| async { scan(filters, concurrency, fetch).await.map(Arc::new) })
            .await
            .cloned()
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
    let mut summary = Summary::default();
    let mut order = HashMap::new();
    let first = fetch(base.clone()).await?;
    summary.add_page(&first, &mut order);
    let limit = MAX_SCANNED / u64::from(SCAN_PAGE);
    let rest = pages_after(&first, base, concurrency, &fetch);
    futures::pin_mut!(rest);
    let mut pages = 1;
    let mut more = first.has_more;
    while let Some(page) = rest.next().await {
        let page = page?;
        summary.add_page(&page, &mut order);
        more = page.has_more;
        pages += 1;
        if pages >= limit && more {
            summary.partial = true;
            break;
        }
    }
    summary.partial |= pages >= limit && more;
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
}
