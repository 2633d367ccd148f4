//! Every page of a Projects query, fetched with bounded concurrency and yielded in order.
//!
//! The gateway reports no total, only `hasMore`. Once a page says there is more, the following
//! offsets are requested `concurrency` at a time (a window that slides as pages arrive), so a
//! 10,000-project export costs about `pages / concurrency` round trips instead of `pages`.
//! The price is at most `concurrency - 1` requests past the end, which come back empty.

use std::future::Future;

use futures::{stream, Stream, StreamExt};

use super::{GatewayError, ProjectPage, ProjectQuery};

/// A safety stop against a gateway that always answers `hasMore: true`.
pub const MAX_PAGES: u64 = 100_000;

/// The pages after `first` (which was fetched at `base.offset` with `base.limit`), in order.
/// Ends after the first page without `hasMore`, the first empty page, or the first error
/// (which is yielded).
pub fn pages_after<F, Fut>(
    first: &ProjectPage,
    base: ProjectQuery,
    concurrency: usize,
    fetch: F,
) -> impl Stream<Item = Result<ProjectPage, GatewayError>>
where
    F: Fn(ProjectQuery) -> Fut,
    Fut: Future<Output = Result<ProjectPage, GatewayError>>,
{
    let limit = base.limit.max(1);
    let more = first.has_more && !first.items.is_empty();
    let offsets = (1..MAX_PAGES)
        .take_while(move |_| more)
        .map(move |i| base.offset + i * u64::from(limit));
    let queries = offsets.map(move |offset| base.at(offset, limit));
    stream::iter(queries)
        .map(fetch)
        .buffered(concurrency.max(1))
        // Returning `None` ends the stream (and drops the requests still in the window).
        .scan(false, |done, page| {
            let out = if *done {
                None
            } else {
                match page {
                    Ok(p) if p.items.is_empty() => None,
                    Ok(p) => {
                        *done = !p.has_more;
                        Some(Ok(p))
                    }
                    Err(e) => {
                        *done = true;
                        Some(Err(e))
                    }
                }
            };
            futures::future::ready(out)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filevine::{Project, ProjectId};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn page(total: u64, q: &ProjectQuery) -> ProjectPage {
        let end = (q.offset + u64::from(q.limit)).min(total);
        ProjectPage {
            items: (q.offset.min(total)..end)
                .map(|i| Project {
                    project_id: Some(ProjectId::new(i as i64)),
                    ..Default::default()
                })
                .collect(),
            has_more: end < total,
            ..Default::default()
        }
    }

    async fn collect(
        total: u64,
        limit: u32,
        conc: usize,
        fail_at: Option<u64>,
    ) -> (Vec<i64>, bool, usize) {
        let base = ProjectQuery::default().at(0, limit);
        let first = page(total, &base);
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let mut ids: Vec<i64> = first
            .items
            .iter()
            .filter_map(|p| p.project_id)
            .map(|p| p.get())
            .collect();
        let mut failed = false;
        let s = pages_after(&first, base, conc, move |q| {
            c.fetch_add(1, Ordering::SeqCst);
            let r = if Some(q.offset) == fail_at {
                Err(GatewayError::Timeout)
            } else {
                Ok(page(total, &q))
            };
            async move { r }
        });
        futures::pin_mut!(s);
        while let Some(p) = s.next().await {
            match p {
                Ok(p) => ids.extend(p.items.iter().filter_map(|p| p.project_id).map(|p| p.get())),
                Err(_) => failed = true,
            }
        }
        (ids, failed, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn every_item_once_in_order_with_bounded_overfetch() {
        for (total, limit, conc) in [
            (0, 10, 3),
            (10, 10, 3),
            (11, 10, 3),
            (95, 10, 4),
            (1000, 7, 1),
        ] {
            let (ids, failed, calls) = collect(total, limit, conc, None).await;
            assert!(!failed);
            assert_eq!(
                ids,
                (0..total as i64).collect::<Vec<_>>(),
                "{total}/{limit}/{conc}"
            );
            let pages_needed = total.div_ceil(u64::from(limit)).saturating_sub(1) as usize;
            assert!(
                calls <= pages_needed + conc,
                "{calls} calls for {pages_needed} pages"
            );
        }
    }

    #[tokio::test]
    async fn an_error_ends_the_walk_and_is_reported() {
        let (ids, failed, _) = collect(100, 10, 3, Some(50)).await;
        assert!(failed);
        assert_eq!(ids, (0..50).collect::<Vec<_>>());
    }
}
