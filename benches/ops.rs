//! The operations benchmark: `./scripts/bench.sh` (= `cargo bench --bench ops`).
//!
//! One run prints:
//! - requests per second and p50/p99 latency at `BENCH_CONNS` (64) connections for a bare route
//!   (`/healthz`) and signed-in pages of the same server (`/`, `/profile`, and `/projects` once
//!   the dashboard is merged), with the ratio to the bare route;
//! - the login round trip (the whole code flow through the stand-in), averaged;
//! - resident memory (VmRSS) before and after `BENCH_SESSIONS` (10,000) sessions are stored in
//!   SQLite, then one request on each of those sessions.
//!
//! Everything runs in this one process on loopback: the app, the stand-in for Filevine (an
//! instant gateway) and the load generator (reqwest + tokio), so the load generator competes
//! with the server for the same cores. Loops are bounded in time and count.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it does nothing.

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{spawn_app, Browser, TestApp, TestOptions};
use futures::StreamExt;
use fv_partner_app::auth::{session, Identity, SessionUser, TokenSet};
use fv_partner_app::util::Clock;
use reqwest::StatusCode;

/// The pages measured, as (label, path). A page whose route does not exist yet (404) is
/// reported as skipped, so `/projects` is measured as soon as the dashboard is merged.
const PAGES: &[(&str, &str)] = &[
    ("signed-in home /", "/"),
    ("signed-in /profile (2 gateway calls)", "/profile"),
    ("signed-in /projects (dashboard)", "/projects"),
];
/// The bare route the pages are compared with.
const BARE: (&str, &str) = ("bare route /healthz", "/healthz");

fn main() {
    support::bench_main("ops", "./scripts/bench.sh or cargo bench --bench ops", run);
}

async fn run() {
    let conns = support::env_num("BENCH_CONNS", 64) as usize;
    let secs = support::env_num("BENCH_SECS", 5);
    let logins = support::env_num("BENCH_LOGINS", 64) as usize;
    let sessions = support::env_num("BENCH_SESSIONS", 10_000) as usize;

    println!(
        "fv-partner-app ops benchmark: {} cores, {conns} connections, {secs} s per page, in one process on loopback",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let rss_start = support::rss_kib();
    let app = spawn_app(TestOptions::default()).await;
    // Warm the connection pools and the templates.
    let _ = Browser::new().get(&app.url("/healthz")).await;

    // --- Login round trip -------------------------------------------------------------------
    let mut browsers = Vec::with_capacity(conns.max(logins));
    let mut times = Vec::with_capacity(logins);
    for _ in 0..logins.max(conns) {
        let b = Browser::new();
        let started = Instant::now();
        b.login(&app, "fv-user-1001", None).await;
        times.push(started.elapsed());
        browsers.push(b);
    }
    times.truncate(logins.max(1));
    let avg = times.iter().sum::<Duration>() / times.len() as u32;
    times.sort();
    println!(
        "\nlogin round trip (login -> stand-in sign-in page -> consent POST -> callback: code exchange, ID token check, GetUserOrgsWithToken, session): \
         avg {:.2} ms, p50 {:.2} ms, max {:.2} ms over {} logins",
        ms(avg),
        ms(times[times.len() / 2]),
        ms(*times.last().unwrap_or(&Duration::ZERO)),
        times.len()
    );

    // --- Throughput -------------------------------------------------------------------------
    let clients: Vec<reqwest::Client> = browsers
        .iter()
        .take(conns)
        .map(|b| b.http.clone())
        .collect();
    println!(
        "\n{:<40} {:>10} {:>9} {:>9} {:>8} {:>7}",
        "page", "req/s", "p50 ms", "p99 ms", "errors", "ratio"
    );
    let bare = measure(&app, &clients, BARE.1, secs).await;
    print_row(BARE.0, &bare, None);
    for (label, path) in PAGES {
        let probe = browsers[0].get(&app.url(path)).await.status();
        if probe == StatusCode::NOT_FOUND {
            println!("{label:<40} skipped: the route is not there yet");
            continue;
        }
        let stats = measure(&app, &clients, path, secs).await;
        print_row(label, &stats, Some(bare.rps));
    }

    // --- Memory with many sessions ----------------------------------------------------------
    let rss_before = support::rss_kib();
    let started = Instant::now();
    let ids = create_sessions(&app, sessions).await;
    let took = started.elapsed();
    let rss_after = support::rss_kib();
    println!(
        "\n{} sessions stored in SQLite (session record + sealed vault row each) in {:.1} s ({:.0}/s)",
        ids.len(),
        took.as_secs_f64(),
        ids.len() as f64 / took.as_secs_f64()
    );
    let started = Instant::now();
    let (ok, failed) = touch_sessions(&app, &ids, conns).await;
    let took = started.elapsed();
    let rss_touched = support::rss_kib();
    println!(
        "one signed-in GET / on each stored session: {ok} ok, {failed} failed, {:.0} req/s",
        ok as f64 / took.as_secs_f64()
    );
    println!(
        "\nresident memory (VmRSS of this process: app + stand-in + load generator):\n  \
         before the app       {:>8.1} MiB\n  \
         after the load runs  {:>8.1} MiB\n  \
         + {} sessions   {:>8.1} MiB (delta {:+.1} MiB)\n  \
         after touching each  {:>8.1} MiB (delta {:+.1} MiB from before the sessions)",
        mib(rss_start),
        mib(rss_before),
        ids.len(),
        mib(rss_after),
        mib(rss_after) - mib(rss_before),
        mib(rss_touched),
        mib(rss_touched) - mib(rss_before),
    );
}

/// Throughput and latency of one page.
struct Stats {
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
}

fn print_row(label: &str, s: &Stats, bare_rps: Option<f64>) {
    let ratio = bare_rps
        .map(|b| format!("{:.2}", s.rps / b))
        .unwrap_or_else(|| "1.00".into());
    println!(
        "{label:<40} {:>10.0} {:>9.2} {:>9.2} {:>8} {:>7}",
        s.rps,
        ms(s.p50),
        ms(s.p99),
        s.errors,
        ratio
    );
}

/// Each client (one connection, its own session cookie) requests `path` back to back for one
/// second of warm-up, then `secs` measured seconds. Bounded in time and in count.
async fn measure(app: &TestApp, clients: &[reqwest::Client], path: &str, secs: u64) -> Stats {
    const MAX_PER_CLIENT: usize = 200_000;
    let url = app.url(path);
    let warm_until = Instant::now() + Duration::from_secs(1);
    let measure_from = warm_until;
    let until = warm_until + Duration::from_secs(secs);
    let tasks: Vec<_> = clients
        .iter()
        .cloned()
        .map(|c| {
            let url = url.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(8192);
                let mut errors = 0u64;
                let mut n = 0usize;
                loop {
                    let now = Instant::now();
                    if now >= until || n >= MAX_PER_CLIENT {
                        break;
                    }
                    n += 1;
                    let ok = match c.get(url.clone()).send().await {
                        Ok(r) => {
                            let ok = r.status() == StatusCode::OK;
                            ok && r.bytes().await.is_ok()
                        }
                        Err(_) => false,
                    };
                    if now >= measure_from {
                        if ok {
                            lat.push(now.elapsed());
                        } else {
                            errors += 1;
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Stats {
        rps: all.len() as f64 / secs as f64,
        p50: pct(0.50),
        p99: pct(0.99),
        errors,
    }
}

/// Stores `n` signed-in sessions through the app's own APIs: a tower-sessions record written
/// by `session::sign_in` and a sealed token set in the vault. Returns the session ids.
async fn create_sessions(app: &TestApp, n: usize) -> Vec<String> {
    let state = app.state.clone();
    let idle = tower_sessions::Expiry::OnInactivity(time::Duration::seconds(
        app.settings.session.idle_timeout.as_secs() as i64,
    ));
    // Through the same wrappers as the router: the id hashing, or the cookies would not load,
    // and the index, or the sessions could not be saved (an unindexed session is signed out).
    let indexed = fv_partner_app::auth::sessions::IndexedStore::new(
        state.db.session_store(),
        state.db.clone(),
        app.settings.session.absolute_timeout,
    );
    let store = Arc::new(fv_partner_app::store::HashedIds::new(
        indexed,
        &app.settings.db.secret_key,
    ));
    futures::stream::iter(0..n)
        .map(|i| {
            let (state, store) = (state.clone(), store.clone());
            async move {
                let user = SessionUser {
                    identity: Identity {
                        issuer: state.environments.default_env().oidc.issuer().to_owned(),
                        subject: format!("bench-user-{i}"),
                        name: Some(format!("Bench User {i}")),
                        email: Some(format!("bench{i}@example.test")),
                        email_verified: false,
                        email_source: Default::default(),
                        userinfo: Default::default(),
                        claims: vec![("sub".into(), format!("bench-user-{i}"))],
                        sid: None,
                    },
                    vault_id: session::random_token(),
                    login_at: Clock::system().now_unix(),
                    csrf: session::random_token(),
                    fv_user_id: Some(1001),
                    first_name: Some("Bench".into()),
                    last_name: Some(format!("User {i}")),
                    user_type: Some(1),
                    fv_email: None,
                    orgs: vec![fv_partner_app::auth::OrgRef {
                        id: 5001,
                        name: "Bench Org".into(),
                    }],
                    current_org: Some(5001),
                    environment: "us".into(),
                    browser: None,
                };
                let tokens = TokenSet {
                    access_token: session::random_token(),
                    refresh_token: Some(session::random_token()),
                    id_token: session::random_token(),
                    expires_at: Clock::system().now_unix() + 3600,
                    issued_at: Clock::system().now_unix(),
                    scope: Some("openid profile email offline_access".into()),
                };
                state.vault.store(&user, &tokens).await.ok()?;
                let s = tower_sessions::Session::new(None, store, Some(idle));
                session::sign_in(&s, &user).await.ok()?;
                s.save().await.ok()?;
                s.id().map(|id| id.to_string())
            }
        })
        .buffer_unordered(8)
        .filter_map(|id| async move { id })
        .collect()
        .await
}

/// One `GET /` on each stored session (its cookie sent by hand), `conns` at a time.
async fn touch_sessions(app: &TestApp, ids: &[String], conns: usize) -> (u64, u64) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(conns)
        .build()
        .expect("client");
    let url = app.url("/");
    let cookie = fv_partner_app::web::session_cookie_name(false);
    let results: Vec<bool> = futures::stream::iter(ids.iter().cloned())
        .map(|id| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                match http
                    .get(url)
                    .header("cookie", format!("{cookie}={id}"))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == StatusCode::OK => {
                        r.text().await.is_ok_and(|body| body.contains("Bench User"))
                    }
                    _ => false,
                }
            }
        })
        .buffer_unordered(conns)
        .collect()
        .await;
    let ok = results.iter().filter(|b| **b).count() as u64;
    (ok, results.len() as u64 - ok)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
