//! Issue 12, faults 2 and the replica cases, on a real PostgreSQL shared by the replicas:
//! a provider slower than the lease, and a replica killed (SIGKILL) while it holds the lease
//! mid-refresh. Needs `FV_TEST_DATABASE_URL` (`./scripts/test.sh` sets it).

use crate::common;

use std::{process::Stdio, time::Duration};

use common::*;
use fv_partner_app::store::Db;
use reqwest::StatusCode;
use tower_sessions_sqlx_store::sqlx;

const TTL: Duration = Duration::from_secs(60);

fn on_postgres() -> TestOptions {
    TestOptions {
        access_token_ttl: TTL,
        database_url: Some(postgres_url()),
        ..Default::default()
    }
}

async fn vault_ids(app: &TestApp) -> Vec<String> {
    let Db::Postgres(pool) = &app.state.db else {
        panic!("postgres expected")
    };
    sqlx::query_scalar("SELECT id FROM fv_token_vault")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Signs in at `app` and returns the browser and the new session's vault row id.
async fn sign_in(app: &TestApp) -> (Browser, String) {
    let before = vault_ids(app).await;
    let b = app.browser();
    b.login(app, "fv-user-1001", None).await;
    let id = vault_ids(app)
        .await
        .into_iter()
        .find(|id| !before.contains(id))
        .expect("a new vault row");
    (b, id)
}

async fn lease_owner(app: &TestApp, id: &str) -> Option<String> {
    let Db::Postgres(pool) = &app.state.db else {
        panic!("postgres expected")
    };
    sqlx::query_scalar("SELECT lease_owner FROM fv_token_vault WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Waits (polling, bounded) until `what` holds.
async fn until(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn a_provider_slower_than_the_lease_still_refreshes_once_across_two_replicas() {
    let apps = spawn_replicas(2, on_postgres()).await;
    let (one, two) = (&apps[0], &apps[1]);
    let (b, id) = sign_in(one).await;
    let control = one.control();
    // The refresh takes 4 s of real time, during which 20 s pass on every clock: longer than
    // the 15 s lease, so only its renewal keeps the second replica from refreshing too.
    control.set_refresh_delay(Duration::from_secs(4));
    one.advance_clock(TTL + Duration::from_secs(1));
    let first = tokio::spawn({
        let (http, url) = (b.http.clone(), one.url("/profile"));
        async move { http.get(url).send().await.unwrap().status() }
    });
    until("the first replica calls the provider", async || {
        control.token_calls("refresh_token") == 1
    })
    .await;
    let second = tokio::spawn({
        let (http, url) = (b.http.clone(), two.url("/profile"));
        async move { http.get(url).send().await.unwrap().status() }
    });
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        one.advance_clock(Duration::from_secs(2));
    }
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    assert_eq!(second.await.unwrap(), StatusCode::OK);
    assert_eq!(
        control.token_calls("refresh_token"),
        1,
        "exactly one refresh"
    );
    assert_eq!(control.reused_refresh_tokens(), 0);
    assert_eq!(lease_owner(one, &id).await, None, "lease released");
}

/// A replica of the app as a child process, on `port`, sharing `app`'s stand-in and database.
fn spawn_replica_process(app: &TestApp, port: u16) -> tokio::process::Child {
    let fake = &app.fake;
    tokio::process::Command::new(env!("CARGO_BIN_EXE_fv-partner-app"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FV_AUTHORITY", fake.issuer())
        .env("FV_GATEWAY_URL", fake.gateway_url().to_string())
        .env("FV_CLIENT_ID", CLIENT_ID)
        .env("FV_CLIENT_SECRET", CLIENT_SECRET)
        .env("FV_SECRET_KEY", SECRET_KEY_HEX)
        .env("FV_REDIRECT_URI", app.url("/auth/callback").as_str())
        .env(
            "FV_POST_LOGOUT_REDIRECT_URI",
            app.url("/auth/logout/callback").as_str(),
        )
        .env("FV_LISTEN", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", postgres_url())
        .env("RUST_LOG", "warn")
        .current_dir(app.db_dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the app binary starts")
}

#[tokio::test]
async fn a_replica_killed_mid_refresh_costs_at_most_one_refresh_token() {
    let survivor = spawn_app(on_postgres()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut doomed = spawn_replica_process(&survivor, port);
    let doomed_url = url::Url::parse(&format!("http://localhost:{port}/")).unwrap();
    let probe = reqwest::Client::new();
    until("the replica process is up", async || {
        probe
            .get(doomed_url.join("/healthz").unwrap())
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    let (b, id) = sign_in(&survivor).await;
    let control = survivor.control();
    // The doomed replica's refresh hangs at the provider before anything is spent.
    control.set_refresh_stall(Duration::from_secs(120));
    control.expire_access_tokens();
    let hung = tokio::spawn({
        let (http, url) = (b.http.clone(), doomed_url.join("/profile").unwrap());
        async move { http.get(url).send().await.map(|r| r.status()) }
    });
    until(
        "the doomed replica holds the lease at the provider",
        async || {
            control.token_calls("refresh_token") == 1 && lease_owner(&survivor, &id).await.is_some()
        },
    )
    .await;
    doomed.kill().await.expect("SIGKILL");
    assert!(
        hung.await.unwrap().is_err(),
        "the killed replica never answered"
    );
    control.set_refresh_stall(Duration::ZERO);

    // The survivor waits for the dead holder's lease, and takes over once it expires. Nothing
    // of the survivor's is refreshing before it is asked (the wait below starts false).
    assert_eq!(survivor.state.vault.refreshes_in_flight(), 0);
    let served = tokio::spawn({
        let (http, url) = (b.http.clone(), survivor.url("/profile"));
        async move { http.get(url).send().await.unwrap().status() }
    });
    until("the survivor is waiting on the lease", async || {
        survivor.state.vault.refreshes_in_flight() == 1
    })
    .await;
    // Parked on the dead holder's lease: no answer and no second provider call while it
    // lasts (the survivor polls the row every 50 ms).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!served.is_finished(), "answered before the lease expired");
    assert_eq!(control.token_calls("refresh_token"), 1);
    assert!(lease_owner(&survivor, &id).await.is_some());
    survivor.advance_clock(Duration::from_secs(16));
    assert_eq!(served.await.unwrap(), StatusCode::OK);
    assert_eq!(control.successful_refreshes(), 1, "one refresh token spent");
    assert_eq!(control.reused_refresh_tokens(), 0);
    assert_eq!(lease_owner(&survivor, &id).await, None);
}
