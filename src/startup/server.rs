//! Serving: plain http or https on the bound listener, until a shutdown signal, then a bounded
//! drain of in-flight requests.

use std::{
    future::{Future, IntoFuture},
    net::SocketAddr,
    time::Duration,
};

use axum::Router;

/// How long in-flight requests may run after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves, then gives in-flight requests
/// [`DRAIN_TIMEOUT`] to finish.
pub(super) async fn serve(
    listener: std::net::TcpListener,
    router: Router,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        Some(config) => {
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                h.graceful_shutdown(Some(DRAIN_TIMEOUT));
            });
            axum_server::from_tcp_rustls(listener, config)?
                .handle(handle)
                .serve(service)
                .await
        }
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            // Once the signal comes, in-flight requests get DRAIN_TIMEOUT to finish; a
            // slow client or a long export must not keep the process from exiting.
            let (tx, rx) = tokio::sync::watch::channel(false);
            let signalled = async move {
                shutdown.await;
                let _ = tx.send(true);
            };
            let mut rx2 = rx.clone();
            let serve = axum::serve(listener, service).with_graceful_shutdown(signalled);
            tokio::select! {
                r = serve.into_future() => r,
                _ = async move {
                    let _ = rx2.wait_for(|s| *s).await;
                    tokio::time::sleep(DRAIN_TIMEOUT).await;
                } => {
                    tracing::warn!(drain_s = DRAIN_TIMEOUT.as_secs(), "requests still running after the drain time; closing them");
                    drop(rx);
                    Ok(())
                }
            }
        }
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
