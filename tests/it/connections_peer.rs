//! A refresh-token connection against an independent, certified provider (`oidc-provider`,
//! which rotates refresh tokens and revokes the grant when a spent one comes back): Save &
//! authorize through the provider's own login and consent, then rounds of refreshes with
//! nobody signed in, some callers giving up at a random point mid-refresh. The provider
//! refuses no grant, and the connection still reads Filevine at the end.
//!
//! Needs Node and `npm ci` in `tests/e2e` (`./scripts/test.sh` installs them).

use crate::common;

use std::time::Duration;

use common::{
    connections::{BEN, CONNECTIONS_PAGE},
    csrf_of, location,
    peer::{peer_app, peer_login, walk_provider, Peer},
    Browser,
};
use fake_filevine::ADA;
use fv_partner_app::{filevine::TokenSource, reporting::PatAccount, util::Clock};
use reqwest::StatusCode;
use url::Url;

const TTL: Duration = Duration::from_secs(20);
const ROUNDS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_authorized_at_a_certified_provider_refreshes_with_rotation() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app_base = Url::parse(&format!("http://localhost:{port}/")).unwrap();
    let peer = Peer::start(&app_base, TTL).await;
    let db_dir = tempfile::tempdir().unwrap();
    let clock = Clock::system();
    // No scheduled snapshot beside the test's own uses of the tokens.
    let admins = [("FV_ADMIN_EMAILS", ADA.email), ("FV_SNAPSHOT_MINUTES", "0")];
    let (state, _fake) = peer_app(&peer, listener, clock.clone(), db_dir.path(), &admins).await;

    // Ada signs in and presses Save & authorize; Ben authorizes in the new window (a browser
    // of its own at the provider), which comes back to Ada's browser.
    let ada = Browser::new();
    peer_login(&ada, &app_base, ADA.sub).await;
    let page = app_base.join(CONNECTIONS_PAGE).unwrap();
    let csrf = csrf_of(&ada.get(&page).await.text().await.unwrap());
    let form = [
        ("csrf", csrf.as_str()),
        ("action", "save_authorize"),
        ("name", "ben-rt"),
        ("environment", "us"),
        ("auth", "refresh_token"),
        ("pat", ""),
        ("email", ""),
        ("concurrency", "4"),
        ("borrow_from", ""),
    ];
    let r = ada.post_form(&page, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let window = Browser::new();
    let callback = walk_provider(&window, location(&r), &app_base, BEN).await;
    let r = ada.get(&callback).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Connected: you can close this window"));

    let source = state.connections.token_source("ben-rt").unwrap();
    for round in 0..ROUNDS {
        clock.advance(TTL + Duration::from_secs(1));
        if round % 2 == 0 {
            // This caller gives up at a random point; the refresh goes on without it.
            let after = Duration::from_micros(rand::random::<u64>() % 15_000);
            let _ = tokio::time::timeout(after, source.token()).await;
        }
        source
            .token()
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}\n{}", peer.log()));
    }
    assert_eq!(
        peer.count("grant.error"),
        0,
        "the provider refused a grant (a reused refresh token?):\n{}",
        peer.log()
    );
    assert_eq!(
        peer.grants("grant.success", "refresh_token"),
        ROUNDS,
        "one refresh per round"
    );
    // The last rotated token reads Filevine, through the gateway trusting the provider.
    let account = PatAccount::of_connection(&state, "ben-rt").await.unwrap();
    assert!(!account.orgs.is_empty());
    let row = state.db.connection_get("ben-rt").await.unwrap().unwrap();
    assert_eq!(row.status, "ok");
}
