//! The cancellation fault of issue 12 against an independent, certified provider
//! (`oidc-provider` on Node, `tests/e2e/provider.mjs`): rotating refresh tokens with reuse
//! detection (a consumed refresh token presented again revokes the grant). Requests on
//! sessions that need a refresh are abandoned by their client at a random point; afterwards
//! every session still works and the provider refused no refresh.
//!
//! Needs Node and `npm ci` in `tests/e2e` (`./scripts/test.sh` installs them). The login is
//! walked with plain HTTP through the provider's development login and consent forms.

use crate::common;

use std::time::Duration;

use common::{
    peer::{peer_app, peer_login, Peer},
    Browser,
};
use fv_partner_app::util::Clock;
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;
use url::Url;

/// The provider's access-token lifetime; the app's clock passes it before every round.
const TTL: Duration = Duration::from_secs(20);
const SESSIONS: usize = 10;
const ROUNDS: usize = 10;

async fn abandoned_get(port: u16, cookie: &str, after: Duration) {
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!(
        "GET /profile HTTP/1.1\r\nHost: localhost:{port}\r\nCookie: fv_session={cookie}\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(after).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_refreshes_against_a_certified_provider_lose_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app_base = Url::parse(&format!("http://localhost:{port}/")).unwrap();
    let peer = Peer::start(&app_base, TTL).await;
    let db_dir = tempfile::tempdir().unwrap();
    let clock = Clock::system();
    let (_state, _fake) = peer_app(&peer, listener, clock.clone(), db_dir.path(), &[]).await;

    let mut browsers = Vec::new();
    for _ in 0..SESSIONS {
        let b = Browser::new();
        peer_login(&b, &app_base, "fv-user-1001").await;
        let cookie = {
            use reqwest::cookie::CookieStore;
            let header = b.jar.cookies(&app_base).expect("a session cookie");
            header
                .to_str()
                .unwrap()
                .split("; ")
                .find_map(|c| c.strip_prefix("fv_session=").map(str::to_owned))
                .expect("signed in")
        };
        browsers.push((b, cookie));
    }
    for _ in 0..ROUNDS {
        // Past the access tokens' lifetime by the app's clock: every session refreshes.
        clock.advance(TTL + Duration::from_secs(1));
        futures::future::join_all(browsers.iter().map(|(_, cookie)| {
            let after = Duration::from_micros(rand::random::<u64>() % 15_000);
            abandoned_get(port, cookie, after)
        }))
        .await;
        for (b, _) in &browsers {
            let r = b.get(&app_base.join("/profile").unwrap()).await;
            assert_eq!(r.status(), StatusCode::OK, "session lost after an abort");
        }
    }
    println!(
        "{} refresh grants at the provider for {} abandoned requests",
        peer.grants("grant.success", "refresh_token"),
        SESSIONS * ROUNDS
    );
    assert_eq!(
        peer.count("grant.error"),
        0,
        "the provider refused a grant (a reused refresh token?):\n{}",
        peer.log()
    );
    assert!(
        peer.grants("grant.success", "refresh_token") >= ROUNDS,
        "refreshes happened"
    );
}
