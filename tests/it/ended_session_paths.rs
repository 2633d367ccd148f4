//! Issue 31: every path that writes session state after an await, with the session ended
//! while it waits: a page whose last-use write comes after a slow gateway call, a token
//! refresh that succeeds or fails at a slow provider, a login callback in the same browser, the
//! org switch and the logout under a burst. None brings a row of the ended session back, and
//! the request whose write was refused is answered signed out. Plus: a session the index does
//! not name ends at its first write, and pages that only read write nothing (a notice that is
//! not there is not taken).

use crate::common;

use crate::support::backchannel as support;

use crate::support::ended;

use std::time::Duration;

use common::*;
use ended::*;
use reqwest::{header, StatusCode};

/// How long the stand-in holds each call while the session is ended.
const SLOW: Duration = Duration::from_millis(600);

/// Ends all of Ben's sessions as his provider would.
async fn back_channel_logout(app: &TestApp) {
    Ender::new(app, Ending::BackchannelLogout)
        .await
        .end(app)
        .await;
}

/// The answer of a request whose save was refused: to the home page, the cookie deleted.
fn assert_answered_signed_out(r: &reqwest::Response, case: &str) {
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{case}");
    assert_eq!(r.headers()[header::LOCATION], "/", "{case}");
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("fv_session=;") && cookie.contains("Max-Age=0"),
        "{case}: {cookie}"
    );
}

/// Where the stand-in holds the request while its session is ended.
#[derive(Clone, Copy)]
enum Waits {
    OnGateway,
    OnRefresh,
}

impl Waits {
    /// Calls of this kind the stand-in has received (counted on arrival, before the delay).
    fn arrived(self, app: &TestApp) -> usize {
        match self {
            Waits::OnGateway => app.control().gateway_requests().len(),
            Waits::OnRefresh => app.control().token_calls("refresh_token"),
        }
    }

    /// Returns once a new call has reached the stand-in (the request has loaded its session
    /// and is held there); fails after a few seconds.
    async fn until_arrived(self, app: &TestApp, before: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.arrived(app) <= before {
            assert!(tokio::time::Instant::now() < deadline, "no call arrived");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// `path` requested with the stolen session's cookie, its session ended while the stand-in
/// holds it (`waits`).
async fn ended_while_waiting(
    app: &TestApp,
    thief: &Thief,
    path: &str,
    waits: Waits,
) -> reqwest::Response {
    let before = waits.arrived(app);
    let request = {
        let (thief, path) = (thief.clone(), path.to_owned());
        tokio::spawn(async move { thief.get(&path).await })
    };
    waits.until_arrived(app, before).await;
    back_channel_logout(app).await;
    request.await.unwrap()
}

async fn slow_gateway_page(app: &TestApp) {
    let (stolen, thief) = stolen_session(app).await;
    // The last-use write is due, and the page waits on the gateway before it is saved.
    app.advance_clock(Duration::from_secs(61));
    app.control().set_gateway_latency(SLOW);
    let r = ended_while_waiting(app, &thief, "/projects", Waits::OnGateway).await;
    app.control().set_gateway_latency(Duration::ZERO);
    assert_answered_signed_out(&r, "a slow page");
    assert_ended(app, &stolen, "a slow page").await;
}

/// A test on SQLite and on a PostgreSQL database of its own (`tag` names it): `body` with an
/// app on each.
macro_rules! on_both_databases {
    (
        $(#[$sqlite_attr:meta])* $sqlite:ident,
        $(#[$postgres_attr:meta])* $postgres:ident,
        $tag:literal,
        $body:ident
    ) => {
        $(#[$sqlite_attr])*
        async fn $sqlite() {
            $body(&spawn_app(options(None)).await).await;
        }

        $(#[$postgres_attr])*
        async fn $postgres() {
            let db = private_postgres($tag).await;
            $body(&spawn_app(options(Some(db.url.clone()))).await).await;
            db.drop_now().await;
        }
    };
}

on_both_databases!(
    #[tokio::test]
    a_page_ended_while_it_waits_on_the_gateway_is_answered_signed_out_on_sqlite,
    #[tokio::test]
    a_page_ended_while_it_waits_on_the_gateway_is_answered_signed_out_on_postgres,
    "slow_page",
    slow_gateway_page
);

async fn unindexed_session(app: &TestApp) {
    let (stolen, thief) = stolen_session(app).await;
    // As a session from before the index, or one whose row went: nothing could list or end it.
    let db = &app.state.db;
    db.session_index_delete(&stolen.stored_id).await.unwrap();
    app.advance_clock(Duration::from_secs(61));
    let r = thief.get("/").await;
    assert_answered_signed_out(&r, "unindexed");
    assert_ended(app, &stolen, "unindexed").await;
}

on_both_databases!(
    #[tokio::test]
    a_session_missing_from_the_index_ends_at_its_first_write_on_sqlite,
    #[tokio::test]
    a_session_missing_from_the_index_ends_at_its_first_write_on_postgres,
    "unindexed",
    unindexed_session
);

async fn refresh_after_the_end(app: &TestApp) {
    let (stolen, thief) = stolen_session(app).await;
    // The access token has expired: the page refreshes it, and the provider answers slowly
    // (after it issued the new tokens).
    app.advance_clock(Duration::from_secs(1300));
    app.control().set_refresh_delay(SLOW);
    let refreshes = app.control().successful_refreshes();
    let r = ended_while_waiting(app, &thief, "/profile", Waits::OnRefresh).await;
    assert_eq!(app.control().successful_refreshes(), refreshes + 1);
    // The new tokens had nowhere to go: the page finds none and sends to sign in.
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r).path(), "/auth/login");
    assert_ended(app, &stolen, "refresh").await;
}

on_both_databases!(
    #[tokio::test]
    a_refresh_that_finishes_after_the_end_stores_nothing_on_sqlite,
    #[tokio::test]
    a_refresh_that_finishes_after_the_end_stores_nothing_on_postgres,
    "refresh",
    refresh_after_the_end
);

async fn refusal_after_the_end(app: &TestApp) {
    let (stolen, thief) = stolen_session(app).await;
    app.advance_clock(Duration::from_secs(1300));
    // The provider holds the refresh, then refuses it (the refresh token was revoked).
    app.control().set_refresh_stall(SLOW);
    app.control().revoke_refresh_tokens();
    let r = ended_while_waiting(app, &thief, "/profile", Waits::OnRefresh).await;
    assert!(
        r.status().is_redirection() && !r.status().is_server_error(),
        "{}",
        r.status()
    );
    assert_ended(app, &stolen, "refused refresh").await;
}

on_both_databases!(
    #[tokio::test]
    a_refresh_refused_after_the_end_ends_nothing_twice_on_sqlite,
    #[tokio::test]
    a_refresh_refused_after_the_end_ends_nothing_twice_on_postgres,
    "refused",
    refusal_after_the_end
);

async fn callback_in_flight(app: &TestApp) {
    let ben = app.browser();
    ben.login(app, BEN, None).await;
    let before = StoredSession::of(app, &ben).await;
    // Ben signs in again in the same browser; the callback waits on the gateway (who he is,
    // in which orgs) while his sessions are ended.
    let authorize = ben.start_login(app, None).await;
    let callback = ben.provider_choose(&authorize, Choice::User(BEN)).await;
    app.control().set_gateway_latency(SLOW);
    let calls = Waits::OnGateway.arrived(app);
    let request = {
        let http = ben.http.clone();
        tokio::spawn(async move { http.get(callback).send().await.unwrap() })
    };
    Waits::OnGateway.until_arrived(app, calls).await;
    back_channel_logout(app).await;
    let r = request.await.unwrap();
    app.control().set_gateway_latency(Duration::ZERO);
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the new login succeeds");
    assert_ended(app, &before, "the replaced session").await;
    // The new session is a new record, indexed like any other.
    let after = StoredSession::of(app, &ben).await;
    assert_ne!(after.stored_id, before.stored_id);
    assert!(support::signed_in(app, &ben).await);
}

on_both_databases!(
    #[tokio::test]
    a_login_callback_in_flight_does_not_bring_back_the_session_it_replaces_on_sqlite,
    #[tokio::test]
    a_login_callback_in_flight_does_not_bring_back_the_session_it_replaces_on_postgres,
    "callback",
    callback_in_flight
);

/// `rounds` of a burst of `request` on a stolen session of Ben's, ended mid-burst by his
/// provider: six requests in flight at a time, from before the end until after it. Returns how
/// many were answered signed out because their save found the session ended (the race met).
async fn burst<F, Fut>(app: &TestApp, rounds: usize, request: F) -> usize
where
    F: Fn(Thief, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = reqwest::Response> + Send,
{
    use std::sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    };
    let mut met = 0;
    for round in 0..rounds {
        let case = format!("round {round}");
        let (stolen, thief) = stolen_session(app).await;
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..6)
            .map(|w| {
                let (thief, request, stop) = (thief.clone(), request.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut answers = Vec::new();
                    let mut i = w;
                    while !stop.load(Ordering::Acquire) {
                        let r = request(thief.clone(), i).await;
                        // The answer of a save refused (see `assert_answered_signed_out`).
                        let to_home = r.headers().get(header::LOCATION).is_some_and(|l| l == "/");
                        let cleared = r.headers().get(header::SET_COOKIE).is_some_and(|c| {
                            c.to_str().is_ok_and(|c| c.starts_with("fv_session=;"))
                        });
                        let dropped = to_home && cleared;
                        answers.push((r.status(), dropped));
                        i += 6;
                    }
                    answers
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1 + (round as u64 * 3) % 11)).await;
        back_channel_logout(app).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        stop.store(true, Ordering::Release);
        for w in workers {
            let answers = w.await.unwrap();
            assert!(
                answers.iter().all(|(s, _)| !s.is_server_error()),
                "{case}: {answers:?}"
            );
            met += answers.iter().filter(|(_, dropped)| *dropped).count();
        }
        assert_ended(app, &stolen, &case).await;
    }
    met
}

async fn org_switch_bursts(app: &TestApp) {
    let met = burst(app, 12, |thief: Thief, i| async move {
        let org = if i % 2 == 0 { "5001" } else { "5002" };
        thief
            .post("/org", &[("org_id", org), ("return_to", "/")])
            .await
    })
    .await;
    eprintln!("{met} org switches answered signed out mid-flight");
    assert!(met > 0, "the end never met an org switch in flight");
}

on_both_databases!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    org_switches_racing_the_end_bring_nothing_back_on_sqlite,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    org_switches_racing_the_end_bring_nothing_back_on_postgres,
    "org_switch",
    org_switch_bursts
);

async fn logout_bursts(app: &TestApp) {
    // A logout's own answer deletes the cookie too, so the race met cannot be told here.
    burst(app, 12, |thief: Thief, _| async move {
        thief.post("/auth/logout", &[]).await
    })
    .await;
}

on_both_databases!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    logouts_racing_the_end_bring_nothing_back_on_sqlite,
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    logouts_racing_the_end_bring_nothing_back_on_postgres,
    "logouts",
    logout_bursts
);

async fn reading_pages(app: &TestApp) {
    let (session, ben) = stolen_session(app).await;
    let pages = [
        "/",
        "/profile",
        "/projects",
        "/reports",
        "/account/sessions",
        "/settings/connections",
        "/settings/sessions",
        "/settings/feeds",
    ];
    for page in pages {
        let before = record_expiry(app, &session).await;
        let r = ben.get(page).await;
        assert_eq!(r.status(), StatusCode::OK, "{page}");
        assert_eq!(
            record_expiry(app, &session).await,
            before,
            "{page} wrote the session"
        );
    }
}

on_both_databases!(
    #[tokio::test]
    pages_that_only_read_write_nothing_on_sqlite,
    #[tokio::test]
    pages_that_only_read_write_nothing_on_postgres,
    "reading",
    reading_pages
);
