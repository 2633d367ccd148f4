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

struct Run {
    ids: Vec<i64>,
    error: Option<GatewayError>,
    calls: usize,
}

async fn run_with(
    limit: u32,
    walk: Walk,
    answer: impl Fn(&ProjectQuery) -> Result<ProjectPage, GatewayError>,
) -> Run {
    let base = ProjectQuery::default().at(0, limit);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let s = pages(base, walk, move |q| {
        c.fetch_add(1, Ordering::SeqCst);
        let r = answer(&q);
        async move { r }
    });
    futures::pin_mut!(s);
    let mut ids = Vec::new();
    let mut error = None;
    while let Some(p) = s.next().await {
        match p {
            Ok(p) => ids.extend(p.items.iter().filter_map(|p| p.project_id).map(|p| p.get())),
            Err(e) => error = Some(e),
        }
    }
    Run {
        ids,
        error,
        calls: calls.load(Ordering::SeqCst),
    }
}

#[tokio::test]
async fn every_item_once_in_order_with_at_most_one_window_past_the_end() {
    for (total, limit, window) in [
        (0, 10, 3),
        (10, 10, 3),
        (11, 10, 3),
        (95, 10, 4),
        (1000, 7, 1),
    ] {
        let r = run_with(limit, Walk::new(window), |q| Ok(page(total, q))).await;
        assert!(r.error.is_none());
        let want: Vec<i64> = (0..total as i64).collect();
        assert_eq!(r.ids, want, "{total}/{limit}/{window}");
        let pages_needed = total.div_ceil(u64::from(limit)).max(1) as usize;
        assert!(
            r.calls < pages_needed + window,
            "{} calls for {pages_needed} pages, window {window}",
            r.calls
        );
    }
}

#[tokio::test]
async fn a_known_total_means_no_call_past_the_end() {
    for (total, limit, window) in [(10_000, 1000, 25), (95, 10, 4), (100, 10, 8), (0, 10, 8)] {
        let walk = Walk::new(window).expecting(Some(total));
        let r = run_with(limit, walk, |q| Ok(page(total, q))).await;
        assert_eq!(r.ids.len() as u64, total);
        let pages_needed = total.div_ceil(u64::from(limit)).max(1) as usize;
        assert_eq!(r.calls, pages_needed, "{total}/{limit}/{window}");
    }
}

#[tokio::test]
async fn a_stale_total_is_walked_past() {
    // The summary said 50; there are 95 now.
    let walk = Walk::new(3).expecting(Some(50));
    let r = run_with(10, walk, |q| Ok(page(95, q))).await;
    assert!(r.error.is_none());
    assert_eq!(r.ids, (0..95).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_error_ends_the_walk_and_is_reported() {
    let r = run_with(10, Walk::new(3), |q| {
        if q.offset == 50 {
            Err(GatewayError::Timeout)
        } else {
            Ok(page(100, q))
        }
    })
    .await;
    assert!(matches!(r.error, Some(GatewayError::Timeout)));
    assert_eq!(r.ids, (0..50).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_short_page_that_says_more_ends_with_a_paging_error() {
    // Every page has 5 of the 10 asked for, and always "hasMore".
    let r = run_with(10, Walk::new(4), |q| {
        let mut p = page(1_000_000, q);
        p.items.truncate(5);
        Ok(p)
    })
    .await;
    assert!(
        matches!(r.error, Some(GatewayError::Paging(_))),
        "{:?}",
        r.error
    );
    assert!(r.calls <= 4, "{} calls", r.calls);
}

#[tokio::test]
async fn a_repeated_page_ends_with_a_paging_error() {
    // The gateway ignores the offset: the first page over and over, always "hasMore".
    let r = run_with(10, Walk::new(4), |q| Ok(page(1_000_000, &q.at(0, q.limit)))).await;
    assert!(
        matches!(r.error, Some(GatewayError::Paging(_))),
        "{:?}",
        r.error
    );
    assert_eq!(
        r.ids,
        (0..10).collect::<Vec<_>>(),
        "the first page only, once"
    );
    assert!(r.calls <= 5, "{} calls", r.calls);
}
