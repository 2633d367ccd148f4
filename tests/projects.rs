//! The projects dashboard, black-box against the stand-in: paging, filters reaching the gateway
//! as the right parameters, rate limits, refusals, exports and escaping.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use fake_filevine::{data::TRICKY_PROJECTS, FakeOptions, ProjectFilter, RecordedRequest};
use reqwest::{header, StatusCode};

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";
const LOVELACE: i64 = 5001;

async fn signed_in(opts: TestOptions) -> (TestApp, Browser) {
    let app = spawn_app(opts).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    (app, b)
}

async fn page(b: &Browser, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = b.get(&app.url(path)).await;
    (r.status(), r.text().await.unwrap())
}

/// Project ids linked from the table, in order.
fn ids(html: &str) -> Vec<i64> {
    html.split("href=\"/projects/")
        .skip(1)
        .filter_map(|s| {
            let end = s.find(['"', '?'])?;
            s[..end].parse().ok()
        })
        .collect()
}

/// The `href` of the `rel="next"` link, unescaped.
fn next_link(html: &str) -> Option<String> {
    let i = html.find("rel=\"next\"")?;
    let before = &html[..i];
    let start = before.rfind("href=\"")? + 6;
    let end = start + before[start..].find('"')?;
    Some(
        before[start..end]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

fn filter(q: Option<&str>, phase: Option<&str>, archived: bool) -> ProjectFilter {
    ProjectFilter {
        search_term: q.map(str::to_owned),
        phase_name: phase.map(str::to_owned),
        exclude_archived: !archived,
    }
}

fn list_requests(reqs: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    reqs.iter()
        .filter(|r| r.path == "/fv-app/v2/Projects")
        .collect()
}

fn q<'a>(r: &'a RecordedRequest, k: &str) -> Option<&'a str> {
    r.query
        .iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
}

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
            html.contains(&format!("<span class=\"big-number\">{n}</span>")),
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

async fn export_csv(b: &Browser, app: &TestApp, query: &str) -> Vec<csv::StringRecord> {
    let r = b
        .get(&app.url(&format!("/projects/export.csv{query}")))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cd = r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        cd.starts_with("attachment; filename=") && cd.contains(".csv"),
        "{cd}"
    );
    assert!(r.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = r.bytes().await.unwrap();
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("UTF-8 BOM for Excel");
    let mut reader = csv::Reader::from_reader(bytes);
    assert_eq!(reader.headers().unwrap().get(0), Some("Project ID"));
    reader.records().map(|r| r.unwrap()).collect()
}

#[tokio::test]
async fn export_row_counts_match_the_gateway_for_several_filters() {
    let (app, b) = signed_in(TestOptions::default()).await;
    for (query, f) in [
        ("", filter(None, None, false)),
        ("?archived=1", filter(None, None, true)),
        ("?q=smith", filter(Some("smith"), None, false)),
        (
            "?phase=Treatment&archived=1",
            filter(None, Some("Treatment"), true),
        ),
        ("?q=zzzz-no-such", filter(Some("zzzz-no-such"), None, false)),
    ] {
        let rows = export_csv(&b, &app, query).await;
        assert_eq!(
            rows.len(),
            app.control().project_count(LOVELACE, &f),
            "{query}"
        );
        let ids: HashSet<_> = rows.iter().map(|r| r[0].to_owned()).collect();
        assert_eq!(ids.len(), rows.len(), "{query}: no duplicates");
    }
    let r = b.get(&app.url("/projects/export.json?phase=Intake")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let items: Vec<serde_json::Value> = r.json().await.unwrap();
    assert_eq!(
        items.len(),
        app.control()
            .project_count(LOVELACE, &filter(None, Some("Intake"), false))
    );
}

#[tokio::test]
async fn csv_round_trips_tricky_names_and_defuses_formulas() {
    let (app, b) = signed_in(TestOptions::default()).await;
    let rows = export_csv(&b, &app, "?archived=1").await;
    let safe = |s: &str| match s.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{s}"),
        _ => s.to_owned(),
    };
    for (_, name, client) in TRICKY_PROJECTS {
        let row = rows
            .iter()
            .find(|r| r[1] == safe(name))
            .unwrap_or_else(|| panic!("{name:?} round-trips"));
        assert_eq!(&row[2], safe(client));
    }
    for r in &rows {
        for cell in r.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "live formula {cell:?}"
            );
        }
    }
}

#[tokio::test]
async fn export_respects_the_concurrency_bound() {
    let (app, b) = signed_in(TestOptions {
        extra_env: vec![("FV_CONCURRENCY".into(), "3".into())],
        fake: FakeOptions {
            projects_per_org: 6000,
            ..FakeOptions::default()
        },
        ..TestOptions::default()
    })
    .await;
    app.control().set_gateway_latency(Duration::from_millis(30));
    app.control().reset_gateway_stats();
    // Two exports at once: the bound is per app, not per request.
    let (rows, other) = tokio::join!(
        export_csv(&b, &app, "?archived=1"),
        export_csv(&b, &app, "")
    );
    assert_eq!(rows.len(), 6000);
    assert!(!other.is_empty());
    let max = app.control().gateway_max_in_flight();
    assert!(max <= 3, "{max} calls in flight with FV_CONCURRENCY=3");
    assert!(
        max >= 2,
        "pages after the first are fetched in parallel ({max})"
    );
    // A dashboard view (page + summary scan) stays under the bound too.
    app.control().reset_gateway_stats();
    assert_eq!(
        page(&b, &app, "/projects?archived=1").await.0,
        StatusCode::OK
    );
    assert!(app.control().gateway_max_in_flight() <= 3);
}

#[tokio::test]
async fn a_failure_mid_export_fails_the_download() {
    let (app, b) = signed_in(TestOptions {
        extra_env: vec![("FV_CONCURRENCY".into(), "1".into())],
        fake: FakeOptions {
            projects_per_org: 5000,
            ..FakeOptions::default()
        },
        ..TestOptions::default()
    })
    .await;
    app.control()
        .set_gateway_latency(Duration::from_millis(150));
    let r = b.get(&app.url("/projects/export.json?archived=1")).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Headers are out; the next page is on its way. Make every further call fail.
    app.control().fail_next_gateway_calls(500, 1000, None);
    let body = r.bytes().await;
    assert!(
        body.is_err(),
        "the download must fail, not end as a tidy file"
    );
    app.control().fail_next_gateway_calls(500, 0, None);
}

/// The tricky `<script>` name, shown as text (askama writes `&#60;`, others `&lt;`).
fn escaped_script(html: &str) -> bool {
    html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
        || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
}

#[tokio::test]
async fn project_names_are_escaped() {
    let (app, b) = signed_in(TestOptions::default()).await;
    let (status, html) = page(&b, &app, "/projects?q=alert&archived=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)</script>"), "{html}");
    assert!(escaped_script(&html), "{html}");
    assert!(!html.contains("<b>Mallory</b>"));
    // The detail page too.
    let id = ids(&html)[0];
    let (status, html) = page(&b, &app, &format!("/projects/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(escaped_script(&html));
    assert!(!html.contains("<script>alert(1)"));
}

#[tokio::test]
async fn detail_page_and_not_found() {
    let (app, b) = signed_in(TestOptions::default()).await;
    let (_, html) = page(&b, &app, "/projects").await;
    let id = ids(&html)[0];
    let (status, html) = page(&b, &app, &format!("/projects/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Open in Filevine"));
    assert!(html.contains(&format!("https://app.filevine.com/#/project/{id}")));
    assert_eq!(page(&b, &app, "/projects/1").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        page(&b, &app, "/projects/abc").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_query_values_are_refused_or_clamped_never_a_panic() {
    let (app, b) = signed_in(TestOptions::default()).await;
    for bad in ["sort=evil", "order=sideways", "page=abc", "per_page=-5"] {
        let (status, html) = page(&b, &app, &format!("/projects?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(html.contains("did not make sense"), "{bad}: friendly page");
    }
    for clamped in ["page=0", "per_page=100000", "page=999999999999", "q=%00%FF"] {
        let (status, _) = page(&b, &app, &format!("/projects?{clamped}")).await;
        assert_eq!(status, StatusCode::OK, "{clamped}");
    }
    let (_, html) = page(&b, &app, "/projects?page=100000").await;
    assert!(
        html.contains("past the end"),
        "empty state for a page past the end"
    );
    let (_, html) = page(&b, &app, "/projects?q=zzzz-no-such").await;
    assert!(html.contains("No projects match"));
}

#[tokio::test]
async fn signed_out_goes_to_login_and_multi_org_user_chooses_first() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let r = b.get(&app.url("/projects?q=smith")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).path().starts_with("/auth/login"));

    let b = app.browser();
    b.login(&app, BEN, None).await;
    let r = b.get(&app.url("/projects?q=smith")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = location(&r);
    assert_eq!(loc.path(), "/org");
    let rt: String = loc
        .query_pairs()
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(rt, "/projects?q=smith");
    let home = b.get(&app.url("/")).await.text().await.unwrap();
    assert!(home.contains("href=\"/projects\""), "nav and home link");
}
