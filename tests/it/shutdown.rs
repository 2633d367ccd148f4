//! Graceful shutdown, in-process: when the shutdown signal comes, a request in flight is
//! answered (within the 10 s drain), new connections are refused, and a request still running
//! at the end of the drain is cut so the process can stop.

use crate::common;

use std::{sync::Arc, time::Duration};

use common::*;
use fake_filevine::FakeFilevine;
use fv_partner_app::startup::{Application, DRAIN_TIMEOUT};
use reqwest::StatusCode;

/// A signed-in app whose server stops when the returned sender fires; the handle ends when
/// the server has stopped.
async fn app_with_shutdown() -> (
    TestApp,
    Browser,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let opts = TestOptions::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut fake_opts = fake_filevine::FakeOptions::default();
    fake_opts.clients[0]
        .redirect_uris
        .push(format!("http://localhost:{port}{}", opts.callback_path));
    let fake = Arc::new(FakeFilevine::start(fake_opts).await.unwrap());
    let db_dir = Arc::new(tempfile::tempdir().unwrap());
    let db_path = db_dir.path().join("app.db");
    let db = format!("sqlite://{}", db_path.display());
    let mut settings = settings_for(&fake, port, &opts, &db);
    settings.oidc.client_id = fake_filevine::DEMO_CLIENT_ID.into();
    settings.oidc.client_secret = fake_filevine::DEMO_CLIENT_SECRET.into();
    let app = Application::build_with_listener(settings.clone(), listener)
        .await
        .unwrap();
    let state = app.state().clone();
    let clock = state.clock.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let app = TestApp {
        base: url::Url::parse(&format!("http://localhost:{port}/")).unwrap(),
        port,
        fake,
        settings,
        db_dir,
        db_path,
        state,
        clock,
    };
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    (app, b, stop, server)
}

/// Waits (polling) until the app's request is inside its gateway call.
async fn under_way(app: &TestApp) {
    for _ in 0..500 {
        if app.control().gateway_max_in_flight() > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the request never reached the gateway");
}

#[tokio::test]
async fn a_request_in_flight_is_answered_after_the_signal_and_new_ones_are_refused() {
    let (app, b, stop, server) = app_with_shutdown().await;
    app.control().reset_gateway_stats();
    // The profile asks the gateway, which now takes 1.5 s.
    app.control()
        .set_gateway_latency(Duration::from_millis(1500));
    let in_flight = tokio::spawn({
        let (http, url) = (b.http.clone(), app.url("/profile"));
        async move { http.get(url).send().await.map(|r| r.status()) }
    });
    under_way(&app).await;
    stop.send(()).unwrap();
    let status = in_flight.await.unwrap().expect("answered, not cut");
    assert_eq!(status, StatusCode::OK);
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops once the request is answered")
        .unwrap()
        .unwrap();
    let fresh = reqwest::Client::new();
    assert!(
        fresh.get(app.url("/healthz")).send().await.is_err(),
        "a new connection after shutdown"
    );
}

#[tokio::test]
async fn a_request_longer_than_the_drain_is_cut_and_the_server_stops() {
    let (app, b, stop, server) = app_with_shutdown().await;
    app.control().reset_gateway_stats();
    app.control()
        .set_gateway_latency(DRAIN_TIMEOUT + Duration::from_secs(20));
    let in_flight = tokio::spawn({
        let (http, url) = (b.http.clone(), app.url("/profile"));
        async move { http.get(url).send().await.map(|r| r.status()) }
    });
    under_way(&app).await;
    let signalled = std::time::Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(DRAIN_TIMEOUT + Duration::from_secs(5), server)
        .await
        .expect("the server stops at the end of the drain")
        .unwrap()
        .unwrap();
    let took = signalled.elapsed();
    assert!(
        took >= DRAIN_TIMEOUT - Duration::from_millis(500),
        "{took:?}"
    );
    let answer = in_flight.await.unwrap();
    assert!(
        !matches!(answer, Ok(StatusCode::OK)),
        "the slow request was not cut: {answer:?}"
    );
}
