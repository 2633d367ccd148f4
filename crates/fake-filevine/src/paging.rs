//! Broken paging on the Projects list, for tests of clients that must stop instead of
//! looping: a gateway whose pages are short yet say `hasMore: true`, or one that ignores the
//! offset and answers the first page again and again.

use super::control::FakeControl;
use super::state::lock;

/// How the Projects list's paging goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagingFault {
    /// Every page holds half the `limit` asked for (at least one project) and says
    /// `hasMore: true`, however far the offset goes.
    ShortPagesSayMore,
    /// The offset is ignored: every call answers the first page, with `hasMore: true`.
    RepeatFirstPage,
}

impl FakeControl {
    /// Break the Projects list's paging from now on (`None`: page correctly again).
    pub fn set_paging_fault(&self, fault: Option<PagingFault>) {
        *lock(&self.shared.lab.paging_fault) = fault;
    }
}

/// Which of the `total` matching projects a page at `offset` of `limit` shows (`start..end`)
/// and whether it says there are more, under `fault`.
pub(crate) fn page_bounds(
    fault: Option<PagingFault>,
    total: i64,
    offset: i64,
    limit: i64,
) -> (usize, usize, bool) {
    let start = offset.clamp(0, total);
    match fault {
        None => {
            let end = offset.saturating_add(limit).min(total);
            (start as usize, end.max(start) as usize, end < total)
        }
        Some(PagingFault::ShortPagesSayMore) => {
            let end = start.saturating_add((limit / 2).max(1)).min(total);
            (start as usize, end as usize, true)
        }
        Some(PagingFault::RepeatFirstPage) => (0, limit.min(total).max(0) as usize, true),
    }
}
