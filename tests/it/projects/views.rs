//! The table: paging, search, phase and sort reaching the gateway, the summary, rate limits
//! and refusals.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::*;
use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn paging_visits_every_project_exactly_once() {
    let (app, b) = signed_in(TestOptions::default()).await;
    let mut path = "/projects?per_page=200&sort=projectId&order=asc".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (status, html) = page(&b, &app, &path).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        seen.extend(ids(&html));
        pages += 1;
        match next_link(&html) {
            Some(next) => path = next,
            None => break,
        }
        assert!(pages < 50, "paging does not end");
    }
    let expected = app
        .control()
        .project_count(LOVELACE, &filter(None, None, false));
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no project twice");
    assert_eq!(seen.len(), expected, "every live project once");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "sorted by id");
    assert_eq!(pages, expected.div_ceil(200));
}

#[tokio::test]
async fn search_phase_sort_and_paging_reach_the_gateway() {
    let (app, b) = signed_in(TestOptions::default()).await;
    app.control().reset_gateway_stats();
    let (status, html) = page(
        &b,
        &app,
        "/projects?q=smith&phase=Intake&sort=clientName&order=asc&per_page=25&page=2&archived=1",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let reqs = app.control().gateway_requests();
    let lists = list_requests(&reqs);
    let shown = lists
        .iter()
        .find(|r| q(r, "limit") == Some("25"))
        .expect("the page's own call");
    assert_eq!(q(shown, "searchTerm"), Some("smith"));
    assert_eq!(q(shown, "phaseName"), Some("Intake"));
    assert_eq!(q(shown, "sortBy"), Some("clientName"));
    assert_eq!(q(shown, "orderBy"), Some("asc"));
    assert_eq!(q(shown, "offset"), Some("25"));
    assert_eq!(q(shown, "excludeArchived"), None, "archived included");
    assert_eq!(shown.org_id.as_deref(), Some("5001"));
    assert_eq!(shown.user_id.as_deref(), Some("1001"));

    // Sorting by last activity, newest first, and archived left out by default.
    app.control().reset_gateway_stats();
    let (status, _) = page(&b, &app, "/projects?sort=lastActivity&order=desc").await;
    assert_eq!(status, StatusCode::OK);
    let reqs = app.control().gateway_requests();
    let shown = list_requests(&reqs)
        .into_iter()
        .find(|r| q(r, "limit") == Some("50"))
        .cloned()
        .unwrap();
    assert_eq!(q(&shown, "sortBy"), Some("lastActivity"));
    assert_eq!(q(&shown, "orderBy"), Some("desc"));
    assert_eq!(q(&shown, "excludeArchived"), Some("true"));
}

#[tokio::test]
async fn summary_counts_match_the_gateway() {
    let (app, b) = signed_in(TestOptions::default()).await;
    for (path, f) in [
        ("/projects", filter(None, None, false)),
        (
            "/projects?phase=Litigation",
            filter(None, Some("Litigation"), false),
        ),
        ("/projects?q=v.&archived=1", filter(Some("v."), None, true)),
    ] {
        let (status, mut html) = page(&b, &app, path).await;
        assert_eq!(status, StatusCode::OK);
        // On a busy machine the count may come after the table (see dashboard_paging.rs).
        if html.contains("id=\"summary-slot\"") {
            let fragment = path.replacen("/projects", "/projects/summary", 1);
            html = page(&b, &app, &fragment).await.1;
        }
        // For eyeballing the layout: FV_SNAPSHOT_DIR=/tmp cargo test --test projects summary
        if let Ok(dir) = std::env::var("FV_SNAPSHOT_DIR") {
            let name = format!("projects-{}.html", path.len());
            std::fs::write(std::path::Path::new(&dir).join(name), &html).unwrap();
        }
        let n = app.control().project_count(LOVELACE, &f);
        assert!(
            html.contains(&format!(
                "<span class=\"big-number\">{}</span>",
                fv_partner_app::util::numbers::grouped(&n)
            )),
            "{path}: expected {n} in the summary"
        );
        assert!(html.contains("<svg"), "chart drawn");
        assert!(!html.contains("style="), "no inline styles (CSP)");
    }
}

#[tokio::test]
async fn rate_limit_with_retry_after_is_waited_out() {
    let (app, b) = signed_in(TestOptions::default()).await;
    // Warm the summary cache, so the next view makes exactly one gateway call.
    assert_eq!(page(&b, &app, "/projects").await.0, StatusCode::OK);
    app.control().reset_gateway_stats();
    app.control().fail_next_gateway_calls(429, 1, Some(1));
    let started = Instant::now();
    let (status, html) = page(&b, &app, "/projects").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(list_requests(&app.control().gateway_requests()).len(), 2);
    assert!(!ids(&html).is_empty());
}

/// A 429 without `Retry-After` is retried after the policy's own backoff, not shown.
#[tokio::test]
async fn rate_limit_without_retry_after_is_retried_after_a_backoff() {
    let (app, b) = signed_in(TestOptions::default()).await;
    assert_eq!(page(&b, &app, "/projects").await.0, StatusCode::OK);
    app.control().reset_gateway_stats();
    app.control().fail_next_gateway_calls(429, 1, None);
    let (status, html) = page(&b, &app, "/projects").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(list_requests(&app.control().gateway_requests()).len(), 2);
    assert!(!ids(&html).is_empty());
}

#[tokio::test]
async fn forbidden_shows_the_scope_hint() {
    let (app, b) = signed_in(TestOptions::default()).await;
    assert_eq!(page(&b, &app, "/projects").await.0, StatusCode::OK);
    // The list and the phase summary are fetched concurrently: fail every call, so the
    // list's own call is refused whichever goes first.
    app.control().fail_next_gateway_calls(403, 100, None);
    let (status, html) = page(&b, &app, "/projects?q=smith").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("fv.api.gateway.access"), "{html}");
    assert!(html.contains("value=\"smith\""), "the filters stay at hand");
}
