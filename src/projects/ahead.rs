//! Work done ahead of the reader, on tasks of its own, so an export's parsing and writing
//! overlap the network instead of taking turns with it (issue "Fast where it counts").
//!
//! Without this, everything an export does runs inside the one task that writes the response:
//! a page's JSON is parsed only when the writer polls for it, and the next page is asked for
//! only after the writer took the last. [`spawned`] runs each page's request and parse as a
//! task (on any core, while the writer writes), and [`run_ahead`] computes a stream's items
//! (the serialized pages) on a task of its own, at most `ahead` items in front of the reader.
//! Memory stays bounded (a window of pages plus `ahead` serialized ones) and back-pressure
//! still reaches the gateway: a reader that stops reading stops the producer, and a reader
//! that goes away (a client that hung up) ends it and aborts the requests in flight.

use std::future::Future;

use futures::{future::BoxFuture, FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

use crate::filevine::{ProjectPage, ProjectQuery};

/// `fetch`, with each call running as a task of its own; dropping the returned future (the
/// walk ended or was dropped) aborts the task.
pub fn spawned<F, Fut, E>(
    fetch: F,
) -> impl Fn(ProjectQuery) -> BoxFuture<'static, Result<ProjectPage, E>> + Send + Sync + 'static
where
    F: Fn(ProjectQuery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<ProjectPage, E>> + Send + 'static,
    E: Send + 'static,
{
    move |q| {
        let task = AbortOnDropHandle::new(tokio::spawn(fetch(q)));
        async move {
            match task.await {
                Ok(page) => page,
                // A panic in a fetch is a bug: it stays a panic, as it was when inline.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        .boxed()
    }
}

/// `items`, computed on a task of its own at most `ahead` items in front of the reader. The
/// task stops when `items` ends, or as soon as the reader is dropped.
pub fn run_ahead<S, T>(items: S, ahead: usize) -> impl Stream<Item = T> + Send + 'static
where
    S: Stream<Item = T> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel(ahead.max(1));
    tokio::spawn(async move {
        futures::pin_mut!(items);
        loop {
            let next = tokio::select! {
                _ = tx.closed() => return,
                next = items.next() => next,
            };
            let Some(item) = next else { return };
            if tx.send(item).await.is_err() {
                return;
            }
        }
    });
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            atomic::{AtomicUsize, Ordering},
            Arc,
        },
        time::Duration,
    };

    use super::*;

    #[tokio::test]
    async fn items_are_made_ahead_but_no_further_than_asked() {
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let items = futures::stream::iter(0..100).map(move |i| {
            counter.fetch_add(1, Ordering::SeqCst);
            i
        });
        let out = run_ahead(items, 2);
        futures::pin_mut!(out);
        assert_eq!(out.next().await, Some(0));
        tokio::time::sleep(Duration::from_millis(50)).await;
        // One taken, two waiting in the channel, one made and waiting to be sent.
        let n = made.load(Ordering::SeqCst);
        assert!((2..=4).contains(&n), "{n} made for a reader that took one");
        let rest: Vec<_> = out.collect().await;
        assert_eq!(rest, (1..100).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_reader_that_goes_away_stops_the_producer_and_aborts_the_fetches() {
        let started = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let (s, f) = (started.clone(), finished.clone());
        let fetch = spawned(move |_q: ProjectQuery| {
            let (s, f) = (s.clone(), f.clone());
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(3600)).await;
                f.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(ProjectPage::default())
            }
        });
        let pending = fetch(ProjectQuery::default());
        drop(fetch);
        let items = futures::stream::once(pending);
        let out = run_ahead(items, 1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            started.load(Ordering::SeqCst),
            1,
            "the fetch runs ahead on its own"
        );
        drop(out);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 0);
        assert_eq!(
            Arc::strong_count(&started),
            1,
            "the aborted fetch task let go of what it held"
        );
    }
}
