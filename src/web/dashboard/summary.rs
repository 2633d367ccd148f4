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
//! Results are cached for [`TTL`] per (org, user, search, archived): the phase filter and the
//! page are not part of the key, so paging, sorting and clicking a phase bar cost nothing.
//! Concurrent requests for the same key share one scan (single flight), so a burst of
//! dashboard views does not multiply gateway calls. The cache is small and bounded.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::StreamExt;
use tokio::sync::OnceCell;

use super::{query::DashQuery, user_gateway::UserGateway};
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

/// The key: what changes the counts. Not the phase filter (the chart shows every phase) and not
/// the sort or page.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    org_id: i64,
    user_id: i64,
    q: String,
    archived: bool,
}

struct Entry {
    created: Instant,
    cell: Arc<OnceCell<Arc<Summary>>>,
}

/// Briefly cached summaries, shared by every request of this process.
#[derive(Default)]
pub struct SummaryCache {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl SummaryCache {
    fn cell(&self, key: Key) -> Arc<OnceCell<Arc<Summary>>> {
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

    /// The summary for `view` (cached, or computed by scanning through `gateway`, which is
    /// only created on a miss). A failed scan is not cached.
    pub async fn get<G, Fut>(
        &self,
        view: &DashQuery,
        ctx: crate::filevine::OrgContext,
        concurrency: usize,
        gateway: G,
    ) -> Result<Arc<Summary>, GatewayError>
    where
        G: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Option<UserGateway>>,
    {
        let cell = self.cell(Key {
            org_id: ctx.org_id,
            user_id: ctx.user_id,
            q: view.q.clone(),
            archived: view.archived,
        });
        cell.get_or_try_init(|| async {
            let gw = gateway().await.ok_or(GatewayError::Unauthorized)?;
            scan(&gw, view, concurrency).await.map(Arc::new)
        })
        .await
        .cloned()
    }
}

/// Walks every project matching `view`'s search and archived filters (all phases).
async fn scan(
    gw: &UserGateway,
    view: &DashQuery,
    concurrency: usize,
) -> Result<Summary, GatewayError> {
    scan_with(view.filters(), concurrency, |q| {
        let gw = gw.clone();
        async move { gw.projects(q).await }
    })
    .await
}

/// Counts every project matching `filters`' search and archived settings, per phase (the phase
/// filter is ignored), with any page fetcher: the user's session here, the service account's
/// PAT for the scheduled snapshots ([`crate::reporting::snapshot`]).
pub async fn scan_with<F, Fut>(
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

/// One bar of the chart, positioned in the SVG's user units.
pub struct Bar {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
    pub y: u32,
    pub text_y: u32,
    pub width: u32,
    pub count_x: u32,
}

/// The server-drawn bar chart: positions computed here, markup in the template, no script and
/// no `style=` (the CSP forbids inline styles; SVG attributes and classes are fine).
pub struct Chart {
    pub bars: Vec<Bar>,
    pub height: u32,
    pub width: u32,
    pub label_x: u32,
    pub bar_x: u32,
    pub bar_h: u32,
    pub description: String,
}

const ROW: u32 = 30;
const BAR_H: u32 = 20;
const LABEL_W: u32 = 140;
const BAR_MAX: u32 = 420;

impl Chart {
    /// The chart of `summary`, each bar a link filtering `view` to that phase.
    pub fn new(summary: &Summary, view: &DashQuery) -> Self {
        let max = summary.phases.iter().map(|p| p.1).max().unwrap_or(0).max(1);
        let bars: Vec<Bar> = summary
            .phases
            .iter()
            .enumerate()
            .map(|(i, (label, count))| {
                let width = ((*count as f64 / max as f64) * BAR_MAX as f64).round() as u32;
                let width = if *count > 0 { width.max(2) } else { 0 };
                let y = i as u32 * ROW + 5;
                Bar {
                    label: label.clone(),
                    count: *count,
                    href: view.phase_href(if view.phase == *label { "" } else { label }),
                    selected: view.phase == *label,
                    y,
                    text_y: y + 15,
                    width,
                    count_x: LABEL_W + width + 8,
                }
            })
            .collect();
        let description = summary
            .phases
            .iter()
            .map(|(p, c)| format!("{p}: {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        Chart {
            height: bars.len() as u32 * ROW + 10,
            width: LABEL_W + BAR_MAX + 70,
            label_x: LABEL_W - 10,
            bar_x: LABEL_W,
            bar_h: BAR_H,
            bars,
            description,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filevine::{Project, ProjectId};

    #[test]
    fn counts_in_pipeline_order_and_draws_proportionally() {
        let mk = |id: i64, phase: &str, pid: i64| Project {
            project_id: Some(ProjectId::new(id)),
            phase_name: Some(phase.into()),
            phase_id: Some(pid),
            ..Default::default()
        };
        let page = ProjectPage {
            items: vec![
                mk(1, "Settled", 307),
                mk(2, "Intake", 301),
                mk(3, "Intake", 301),
                mk(4, "Intake", 301),
            ],
            ..Default::default()
        };
        let mut s = Summary::default();
        let mut order = HashMap::new();
        s.add_page(&page, &mut order);
        s.phases
            .sort_by(|a, b| order[&a.0].cmp(&order[&b.0]).then(a.0.cmp(&b.0)));
        assert_eq!(s.total, 4);
        assert_eq!(s.phases, vec![("Intake".into(), 3), ("Settled".into(), 1)]);
        assert_eq!(s.count_for("Settled"), 1);
        assert_eq!(s.count_for(""), 4);
        let chart = Chart::new(&s, &DashQuery::default());
        assert_eq!(chart.bars[0].width, BAR_MAX);
        assert_eq!(chart.bars[1].width, BAR_MAX / 3);
        assert_eq!(chart.bars[1].href, "/projects?phase=Settled");
    }
}
