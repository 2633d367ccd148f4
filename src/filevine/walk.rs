//! Every page of a Projects query, fetched a window at a time and yielded in order.
//!
//! The gateway reports no total, only `hasMore`. So the walk requests the next `window`
//! offsets at once from the very first page on (the window slides as pages arrive): a
//! 10,000-project export costs `ceil(pages / window)` round trips, not `pages`. The price is
//! at most `window - 1` calls past the end, which come back empty. When the caller already
//! knows how many projects match ([`Walk::expected`], e.g. from the dashboard's cached
//! summary), no offset at or past that count is requested, so there are no calls past the
//! end at all; a last page that still says `hasMore` means the count was stale, and the walk
//! goes on as if it had none.
//!
//! Memory: at most `window` pages are requested or held at once, and a new one is requested
//! only when the consumer takes a page. A consumer that stops (a client that stops reading)
//! stops the walk: back-pressure reaches the gateway calls.
//!
//! A gateway whose paging does not add up ends the walk with [`GatewayError::Paging`] instead
//! of looping or repeating projects: a short page that says `hasMore`, an empty page that
//! says `hasMore`, or a page identical to the previous one.

use std::{collections::VecDeque, future::Future};

use futures::{stream, stream::FuturesOrdered, Stream, StreamExt};

use super::{GatewayError, ProjectPage, ProjectQuery};

/// A safety stop against a gateway that always answers `hasMore: true`.
pub const MAX_PAGES: u64 = 100_000;

/// How to walk.
#[derive(Clone, Copy, Debug)]
pub struct Walk {
    /// Pages requested or held at once (the connection's `FV_CONCURRENCY`).
    pub window: usize,
    /// How many projects match, when known: nothing past it is requested.
    pub expected: Option<u64>,
    /// Most pages requested in total.
    pub max_pages: u64,
}

impl Walk {
    /// `window` pages at a time, total unknown.
    pub fn new(window: usize) -> Self {
        Walk {
            window: window.max(1),
            expected: None,
            max_pages: MAX_PAGES,
        }
    }

    /// The same walk expecting `total` projects (`None`: unknown).
    pub fn expecting(self, total: Option<u64>) -> Self {
        Walk {
            expected: total,
            ..self
        }
    }
}

/// What identifies a page's content cheaply: a repeated page has the same.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    len: usize,
    first: Option<i64>,
    last: Option<i64>,
}

impl Fingerprint {
    fn of(p: &ProjectPage) -> Self {
        let id = |p: Option<&super::Project>| p.and_then(|p| p.project_id).map(|i| i.get());
        Fingerprint {
            len: p.items.len(),
            first: id(p.items.first()),
            last: id(p.items.last()),
        }
    }
}

struct State<F, Fut: Future> {
    fetch: F,
    base: ProjectQuery,
    limit: u32,
    walk: Walk,
    next_offset: u64,
    issued: u64,
    in_flight: FuturesOrdered<Fut>,
    offsets: VecDeque<u64>,
    /// No more requests: a page said it was the last.
    last_seen: bool,
    /// Nothing more to yield.
    done: bool,
    previous: Option<(u64, Fingerprint)>,
}

enum Step<E> {
    Yield(ProjectPage),
    End,
    Fail(E),
}

impl<F, Fut, E> State<F, Fut>
where
    F: Fn(ProjectQuery) -> Fut,
    Fut: Future<Output = Result<ProjectPage, E>>,
    E: From<GatewayError>,
{
    /// Requests offsets until the window is full (or nothing more may be requested).
    fn fill(&mut self) {
        while !self.last_seen
            && self.in_flight.len() < self.walk.window
            && self.issued < self.walk.max_pages
            && (self.issued == 0 || self.walk.expected.is_none_or(|t| self.next_offset < t))
        {
            let query = self.base.at(self.next_offset, self.limit);
            self.in_flight.push_back((self.fetch)(query));
            self.offsets.push_back(self.next_offset);
            self.next_offset += u64::from(self.limit);
            self.issued += 1;
        }
    }

    fn judge(&mut self, offset: u64, page: Result<ProjectPage, E>) -> Step<E> {
        let page = match page {
            Ok(p) => p,
            Err(e) => return Step::Fail(e),
        };
        let (n, limit) = (page.items.len(), self.limit as usize);
        if page.has_more && n < limit {
            return Step::Fail(E::from(GatewayError::Paging(format!(
                "the page at offset {offset} had {n} of {limit} projects but said there are more"
            ))));
        }
        if n == 0 {
            return Step::End;
        }
        let print = Fingerprint::of(&page);
        if let Some((at, prev)) = self.previous {
            if prev == print && print.first.is_some() {
                return Step::Fail(E::from(GatewayError::Paging(format!(
                    "the page at offset {offset} repeats the page at offset {at}"
                ))));
            }
        }
        self.previous = Some((offset, print));
        if !page.has_more {
            self.last_seen = true;
        } else if self
            .walk
            .expected
            .is_some_and(|t| offset + u64::from(self.limit) >= t)
        {
            // More than the summary counted: it is stale; go on without it.
            self.walk.expected = None;
        }
        Step::Yield(page)
    }
}

/// Every page of `base` (from `base.offset`, `base.limit` at a time), in order, walking as
/// `walk` says. Ends after the first page without `hasMore`, the first empty page, or the
/// first error (which is yielded). Generic in the fetcher's error, so a web handler keeps its
/// own (a lost session still sends the user to sign in).
pub fn pages<F, Fut, E>(
    base: ProjectQuery,
    walk: Walk,
    fetch: F,
) -> impl Stream<Item = Result<ProjectPage, E>>
where
    F: Fn(ProjectQuery) -> Fut,
    Fut: Future<Output = Result<ProjectPage, E>>,
    E: From<GatewayError>,
{
    let state = State {
        fetch,
        limit: base.limit.max(1),
        next_offset: base.offset,
        base,
        walk: Walk {
            window: walk.window.max(1),
            ..walk
        },
        issued: 0,
        in_flight: FuturesOrdered::new(),
        offsets: VecDeque::new(),
        last_seen: false,
        done: false,
        previous: None,
    };
    stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        st.fill();
        let offset = st.offsets.pop_front()?;
        let page = st.in_flight.next().await?;
        match st.judge(offset, page) {
            Step::Yield(p) => {
                // After the last page, whatever is still in flight is dropped unanswered.
                st.done = st.last_seen;
                Some((Ok(p), st))
            }
            Step::End => None,
            Step::Fail(e) => {
                st.done = true;
                Some((Err(e), st))
            }
        }
    })
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
