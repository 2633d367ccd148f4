//! Connection pools, counted at the stand-in: a connection with concurrency 3 never has more
//! than 3 calls in flight; a borrowing pair together never exceeds the lender's level, also
//! from two app instances sharing PostgreSQL; a crashed process's permits come back when their
//! lease expires. The lender is chosen from a list of the other connections.

use crate::common;

use std::time::Duration;

use common::{connections::*, *};
use fv_partner_app::connections::pool::LEASE;

const LATENCY: Duration = Duration::from_millis(80);

/// `n` concurrent gateway calls as connection `name` of `app`; every one must succeed.
async fn calls(app: &TestApp, name: &str, n: usize) {
    let connections = &app.state.connections;
    let c = connections.get(name).await.unwrap().unwrap();
    let gw = connections.gateway_for(&c).await.unwrap().unwrap();
    let all = (0..n).map(|_| {
        let gw = gw.clone();
        async move { gw.user_orgs().await.map(|_| ()) }
    });
    for r in futures::future::join_all(all).await {
        r.unwrap();
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

#[tokio::test]
async fn concurrency_3_never_has_more_than_3_calls_in_flight() {
    let app = spawn_app(TestOptions::default()).await;
    save_pat_connection(&app, "reports", "3", "").await;
    app.control().set_gateway_latency(LATENCY);
    app.control().reset_gateway_stats();
    calls(&app, "reports", 12).await;
    assert_eq!(app.control().gateway_max_in_flight(), 3);
    // Every permit was given back.
    let held = app.state.connections.pools().held("reports").await.unwrap();
    assert_eq!(held, 0);
}

#[tokio::test]
async fn a_borrowing_pair_never_exceeds_the_lenders_level() {
    let app = spawn_app(TestOptions::default()).await;
    save_pat_connection(&app, "lender", "3", "").await;
    save_pat_connection(&app, "borrower", "20", "lender").await;
    app.control().set_gateway_latency(LATENCY);
    app.control().reset_gateway_stats();
    tokio::join!(calls(&app, "lender", 8), calls(&app, "borrower", 8));
    assert_eq!(app.control().gateway_max_in_flight(), 3);
}

#[tokio::test]
async fn two_instances_on_postgres_share_one_pool() {
    let apps = spawn_replicas(
        2,
        TestOptions {
            database_url: Some(postgres_url()),
            ..Default::default()
        },
    )
    .await;
    let (a, b) = (&apps[0], &apps[1]);
    let (lender, borrower) = (unique("lender"), unique("borrower"));
    save_pat_connection(a, &lender, "3", "").await;
    save_pat_connection(a, &borrower, "25", &lender).await;
    b.state.connections.refresh_live().await.unwrap();
    a.control().set_gateway_latency(LATENCY);
    a.control().reset_gateway_stats();
    tokio::join!(
        calls(a, &lender, 6),
        calls(b, &lender, 6),
        calls(a, &borrower, 6),
        calls(b, &borrower, 6),
    );
    assert_eq!(a.control().gateway_max_in_flight(), 3);
    for name in [&borrower, &lender] {
        a.state.connections.remove(name, "test").await.unwrap();
    }
}

#[tokio::test]
async fn a_crashed_holders_permits_come_back_when_the_lease_ends() {
    let app = spawn_app(TestOptions::default()).await;
    save_pat_connection(&app, "reports", "2", "").await;
    // A process took both slots and died without giving them back.
    let now = app.clock.now_unix() * 1000;
    for slot in 0..2 {
        let expires = now + LEASE.as_millis() as i64;
        let db = &app.state.db;
        assert!(db
            .permit_try("reports", slot, "crashed", expires, now)
            .await
            .unwrap());
    }
    app.control().reset_gateway_stats();
    let state = app.state.clone();
    let call = tokio::spawn(async move {
        let c = state.connections.get("reports").await.unwrap().unwrap();
        let gw = state.connections.gateway_for(&c).await.unwrap().unwrap();
        gw.user_orgs().await.map(|_| ())
    });
    // The pool is full: the call waits (it is polling the database, not failing).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!call.is_finished(), "a call ran past a full pool");
    assert_eq!(app.control().gateway_requests().len(), 0);
    // Once the lease has run out, the slot is free again.
    app.advance_clock(LEASE + Duration::from_secs(1));
    tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the call runs once the crashed lease ended")
        .unwrap()
        .unwrap();
}

/// "Borrow concurrency from" is a list of the other connections (plus "its own pool"), with
/// the current lender chosen, on each card and in the new-connection form.
#[tokio::test]
async fn borrowing_is_chosen_from_a_list_of_the_other_connections() {
    let app = spawn_app(admin_opts()).await;
    save_pat_connection(&app, "reports", "8", "").await;
    save_pat_connection(&app, "nightly", "2", "reports").await;
    let (ada, _) = admin(&app).await;
    let page = connections_page(&app, &ada).await;
    let select = |id: &str| {
        let at = page
            .find(&format!("<select id=\"{id}\" name=\"borrow_from\""))
            .unwrap_or_else(|| panic!("{id}: {page}"));
        page[at..at + page[at..].find("</select>").unwrap()].to_owned()
    };
    let reports = select("borrow-reports");
    assert!(
        reports.contains("<option value=\"nightly\">nightly</option>"),
        "{reports}"
    );
    assert!(
        !reports.contains("value=\"reports\""),
        "not itself: {reports}"
    );
    assert!(
        reports.contains("<option value=\"\" selected>"),
        "{reports}"
    );
    let nightly = select("borrow-nightly");
    assert!(
        nightly.contains("<option value=\"reports\" selected>reports</option>"),
        "{nightly}"
    );
    let new = select("borrow_from");
    assert!(
        new.contains("value=\"reports\"") && new.contains("value=\"nightly\""),
        "{new}"
    );
}
