//! Serving: plain http or https on the bound listener, until a shutdown signal, then a bounded
//! drain of in-flight requests.
//!
//! A hand-written accept loop over hyper-util's `auto::Builder` (HTTP/1.1 and HTTP/2) instead of
//! `axum::serve`/`axum_server`, because neither of those sets a header-read timer or a connection
//! limit, and a slowloris client trickling its headers in held a socket for as long as it liked.
//! Here every connection is bounded:
//! - the TLS handshake and each request's headers must arrive within
//!   [`ServerSettings::header_read_timeout`] (hyper's own `header_read_timeout`, which also runs
//!   while a kept-alive HTTP/1.1 connection waits for its next request);
//! - a connection on which no request is running and none has started for
//!   [`ServerSettings::keep_alive`] is shut down gracefully, HTTP/2 and the protocol sniffing
//!   included (the header timer does not cover those);
//! - at most [`ServerSettings::max_connections`] are served at once: one more is accepted and
//!   closed at once, so a client learns immediately rather than hanging in the backlog;
//! - a write that makes no progress for [`ServerSettings::header_read_timeout`] (a client that
//!   stopped reading a response, e.g. mid-export) fails and closes the connection, so a stalled
//!   reader does not hold its request (and the export's page walk) open for ever
//!   (`tokio-io-timeout`'s write timeout; hyper has none).
//!
//! hyper-util's `GracefulShutdown` is not used: it takes ownership of the connection, so the
//! idle watchdog could not shut a connection down by itself. The drain is the same idea in a
//! few lines: a watch channel tells every connection to finish, a `JoinSet` waits for them for
//! at most [`DRAIN_TIMEOUT`] and aborts the rest.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    pin::{pin, Pin},
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    sync::{watch, Semaphore},
    task::JoinSet,
    time::Instant,
};
use tower::ServiceExt;

use crate::config::ServerSettings;

/// How long in-flight requests may run after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves, then gives in-flight requests
/// [`DRAIN_TIMEOUT`] to finish. Handlers can read `ConnectInfo<SocketAddr>`, as with
/// `into_make_service_with_connect_info`.
pub(super) async fn serve(
    listener: std::net::TcpListener,
    router: Router,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    limits: &ServerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let tls = tls.map(|c| tokio_rustls::TlsAcceptor::from(c.get_inner()));
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let limits = Limits {
        header_read: limits.header_read_timeout,
        keep_alive: limits.keep_alive,
    };
    let builder = Arc::new(builder(limits));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            crate::metrics::connection_refused();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn = Conn {
            router: router.clone(),
            builder: builder.clone(),
            limits,
            remote,
            stop: stop_rx.clone(),
        };
        let tls = tls.clone();
        connections.spawn(async move {
            let _permit = permit;
            match tls {
                None => conn.run(stream).await,
                Some(acceptor) => {
                    match tokio::time::timeout(limits.header_read, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => conn.run(stream).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            drain_s = DRAIN_TIMEOUT.as_secs(),
            "requests still running after the drain time; closing them"
        );
        connections.abort_all();
    }
    Ok(())
}

/// The per-connection time limits.
#[derive(Clone, Copy)]
struct Limits {
    header_read: Duration,
    keep_alive: Duration,
}

/// HTTP/1.1 with the header-read timer, HTTP/2 with pings to find dead peers; both with the
/// tokio timer (hyper panics on a timeout without one).
fn builder(limits: Limits) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true)
        .max_headers(100);
    b.http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.keep_alive.max(Duration::from_secs(5))))
        .keep_alive_timeout(limits.header_read)
        .max_concurrent_streams(64)
        .max_header_list_size(64 * 1024);
    b
}

/// One accepted connection, before it is served.
struct Conn {
    router: Router,
    builder: Arc<auto::Builder<TokioExecutor>>,
    limits: Limits,
    remote: SocketAddr,
    stop: watch::Receiver<bool>,
}

impl Conn {
    /// Serves the connection until the client leaves, it stays idle past the keep-alive time,
    /// or the server stops.
    async fn run<I>(mut self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::default());
        let started = Instant::now();
        let service = Tracked {
            router: self.router,
            remote: self.remote,
            activity: activity.clone(),
            started,
        };
        let mut io = tokio_io_timeout::TimeoutStream::new(io);
        io.set_write_timeout(Some(self.limits.header_read));
        let conn = self.builder.serve_connection_with_upgrades(
            TokioIo::new(Box::pin(io)),
            hyper_util::service::TowerToHyperService::new(service),
        );
        let mut conn = pin!(conn);
        // Before the first request the header-read limit applies (it also bounds HTTP/2's and
        // the protocol sniffing's wait); afterwards the keep-alive time.
        let mut closing_since: Option<Instant> = None;
        loop {
            let mut deadline = match closing_since {
                Some(since) => since + self.limits.header_read,
                None => activity.idle_deadline(started, self.limits),
            };
            let recheck = Instant::now() + self.limits.keep_alive.min(self.limits.header_read);
            if activity.in_flight.load(Ordering::Acquire) > 0 {
                // A request (or a streaming response) is running: look again later.
                deadline = deadline.max(recheck);
            } else {
                // Requests come and go without waking this loop: look at least this often.
                deadline = deadline.min(recheck);
            }
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = tokio::time::sleep_until(deadline) => {
                    if activity.in_flight.load(Ordering::Acquire) > 0 {
                        continue;
                    }
                    if let Some(since) = closing_since {
                        if since + self.limits.header_read <= Instant::now() {
                            // Asked to finish and still holding a half-sent request: drop it.
                            return;
                        }
                    } else if activity.idle_deadline(started, self.limits) <= Instant::now() {
                        conn.as_mut().graceful_shutdown();
                        closing_since = Some(Instant::now());
                    }
                }
                changed = self.stop.changed(), if closing_since.is_none() => {
                    if changed.is_err() || *self.stop.borrow() {
                        conn.as_mut().graceful_shutdown();
                        closing_since = Some(Instant::now() + DRAIN_TIMEOUT);
                    }
                }
            }
        }
    }
}

/// What the idle watchdog needs to know about a connection: requests running now, and when the
/// last one started or finished (milliseconds since the connection opened; 0 = never).
#[derive(Default)]
struct Activity {
    in_flight: AtomicUsize,
    last_ms: AtomicU64,
}

impl Activity {
    fn touch(&self, started: Instant) {
        let ms = started.elapsed().as_millis().max(1) as u64;
        self.last_ms.fetch_max(ms, Ordering::AcqRel);
    }

    fn idle_deadline(&self, started: Instant, limits: Limits) -> Instant {
        match self.last_ms.load(Ordering::Acquire) {
            0 => started + limits.header_read,
            ms => started + Duration::from_millis(ms) + limits.keep_alive,
        }
    }
}

/// The router as one connection's service: adds `ConnectInfo<SocketAddr>` and keeps the
/// connection's [`Activity`] up to date.
#[derive(Clone)]
struct Tracked {
    router: Router,
    remote: SocketAddr,
    activity: Arc<Activity>,
    started: Instant,
}

/// Counts a request as running until its response body has been sent (or dropped because the
/// client left), so a long export is never taken for an idle connection.
struct InFlight {
    activity: Arc<Activity>,
    started: Instant,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.activity.touch(self.started);
        self.activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as running until it is done.
struct Guarded {
    inner: axum::body::Body,
    _guard: InFlight,
}

impl http_body::Body for Guarded {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl tower::Service<axum::http::Request<Incoming>> for Tracked {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future =
        Pin<Box<dyn Future<Output = Result<axum::response::Response, Infallible>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: axum::http::Request<Incoming>) -> Self::Future {
        self.activity.in_flight.fetch_add(1, Ordering::AcqRel);
        self.activity.touch(self.started);
        let guard = InFlight {
            activity: self.activity.clone(),
            started: self.started,
        };
        req.extensions_mut().insert(ConnectInfo(self.remote));
        let router = self.router.clone();
        Box::pin(async move {
            let response = router.oneshot(req.map(axum::body::Body::new)).await?;
            Ok(response.map(|inner| {
                axum::body::Body::new(Guarded {
                    inner,
                    _guard: guard,
                })
            }))
        })
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
