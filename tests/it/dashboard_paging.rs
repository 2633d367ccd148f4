//! The dashboard as people read it: sorting in column labels and words (never the gateway's
//! field names), a pager that knows its last page, the "Sort by" menu, the Number heading,
//! and "All projects" on a project's page returning to the very view the user came from.

use crate::common;

use common::*;
use fake_filevine::ProjectFilter;
use fv_partner_app::util::numbers::grouped;
use reqwest::StatusCode;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";
const LOVELACE: i64 = 5001;
const OKAFOR: i64 = 5002;

async fn signed_in() -> (TestApp, Browser) {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    (app, b)
}

async fn page(b: &Browser, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = b.get(&app.url(path)).await;
    (r.status(), r.text().await.unwrap())
}

fn row_links(html: &str) -> Vec<String> {
    html.split("<td data-label=\"Project\"><a href=\"")
        .skip(1)
        .filter_map(|s| {
            Some(
                s[..s.find('"')?]
                    .replace("&amp;", "&")
                    .replace("&#38;", "&"),
            )
        })
        .collect()
}

fn live() -> ProjectFilter {
    ProjectFilter {
        exclude_archived: true,
        ..ProjectFilter::default()
    }
}

#[tokio::test]
async fn the_pager_knows_its_last_page_and_jumps_there() {
    let (app, b) = signed_in().await;
    let n = app.control().project_count(LOVELACE, &live());
    let pages = n.div_ceil(25);
    assert!(pages > 2, "the data set spans pages");
    let (status, html) = page(&b, &app, "/projects?per_page=25").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("Page 1 of {pages}")), "{html}");
    assert!(rel_link(&html, "first").is_none(), "no First on page 1");
    let last = rel_link(&html, "last").expect("a Last link");
    assert!(last.contains(&format!("page={pages}")), "{last}");
    assert!(last.contains("per_page=25"), "{last}");
    // The jump form keeps the view's other fields.
    assert!(html.contains("name=\"per_page\" value=\"25\""), "{html}");
    assert!(html.contains(&format!("max=\"{pages}\"")));

    let (_, end) = page(&b, &app, &last).await;
    assert!(end.contains(&format!("Page {pages} of {pages}")));
    assert!(rel_link(&end, "next").is_none() && rel_link(&end, "last").is_none());
    assert_eq!(row_links(&end).len(), n - (pages - 1) * 25);
    assert!(rel_link(&end, "first").is_some());
}

#[tokio::test]
async fn sorting_is_told_in_labels_and_words() {
    let (app, b) = signed_in().await;
    let (_, html) = page(&b, &app, "/projects").await;
    assert!(
        html.contains("sorted by Last activity, newest first"),
        "{html}"
    );
    assert!(!html.contains("sorted by lastActivity"));
    // The "Sort by" menu reaches the gateway as its sort and order.
    app.control().reset_gateway_stats();
    let (status, html) = page(&b, &app, "/projects?sort_by=clientName%3Aasc").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("sorted by Client, A to Z"), "{html}");
    assert!(html.contains("<option value=\"clientName:asc\" selected>"));
    let list = app
        .control()
        .gateway_requests()
        .into_iter()
        .find(|r| {
            r.path == "/fv-app/v2/Projects"
                && r.query.iter().any(|(k, v)| k == "limit" && v == "50")
        })
        .expect("the page's list call");
    let get = |k: &str| {
        list.query
            .iter()
            .find(|(q, _)| q == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("sortBy").as_deref(), Some("clientName"));
    assert_eq!(get("orderBy").as_deref(), Some("asc"));
    // The Number heading sorts (by project ID, which it says).
    let number = html
        .split("<th scope=\"col\"")
        .skip(1)
        .find(|th| th.contains(">Number"))
        .expect("a Number heading");
    assert!(number.contains("sort=projectId"), "{number}");
    assert!(number.contains("title=\"Sorts by project ID"), "{number}");
    // A bad sort names the columns as people see them.
    let (status, html) = page(&b, &app, "/projects?sort=evil").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Last activity"), "{html}");
    assert!(!html.contains("projectName"), "{html}");
}

#[tokio::test]
async fn all_projects_returns_to_the_view_the_user_came_from() {
    let (app, b) = signed_in().await;
    let view = "/projects?q=a&sort=clientName&order=asc&per_page=25&page=2";
    let (status, html) = page(&b, &app, view).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let link = row_links(&html).into_iter().next().expect("a row");
    let (status, detail) = page(&b, &app, &link).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let back = detail
        .split("href=\"")
        .find(|s| s.contains("← All projects"))
        .map(|s| {
            s[..s.find('"').unwrap()]
                .replace("&amp;", "&")
                .replace("&#38;", "&")
        })
        .expect("an All projects link");
    assert_eq!(back, view);
    // A tampered view is just the plain list, never an error or a foreign link.
    let id = link
        .trim_start_matches("/projects/")
        .split('?')
        .next()
        .unwrap();
    let (status, detail) = page(
        &b,
        &app,
        &format!("/projects/{id}?sort=evil&page=%2F%2Fevil.example"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detail.contains("href=\"/projects\">← All projects"),
        "{detail}"
    );
}

/// Summary scans of the stand-in's project list (they ask for phase fields only).
/// The `x-fv-userid` and `x-fv-orgid` of each summary scan the gateway saw, oldest first.
fn summary_scans_made(app: &TestApp) -> Vec<(Option<String>, Option<String>)> {
    app.control()
        .gateway_requests()
        .into_iter()
        .filter(|r| r.path == "/fv-app/v2/Projects")
        .filter(|r| r.query.iter().any(|(k, v)| k == "offset" && v == "0"))
        .filter(|r| {
            r.query
                .iter()
                .any(|(k, v)| k == "requestedFields" && v.contains("phaseId"))
        })
        .map(|r| (r.user_id, r.org_id))
        .collect()
}

fn summary_scans(app: &TestApp) -> usize {
    summary_scans_made(app).len()
}

/// `b` picks `org` (the chooser after login, or the header's switcher).
async fn choose_org(app: &TestApp, b: &Browser, org: i64) {
    let html = b.get(&app.url("/account/sessions")).await.text().await;
    let csrf = csrf_of(&html.unwrap());
    let form = [("csrf", csrf.as_str()), ("org_id", &org.to_string())];
    let r = b.post_form(&app.url("/org"), &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// The summary cache is keyed by org and user: Ben, in Ada's org right after her, gets a scan
/// of his own made as him (Filevine decides what each user sees), while Ada's second view
/// within the cache's minute is served from the cache; Ben's other org is counted apart.
#[tokio::test]
async fn the_summary_cache_never_serves_one_users_or_orgs_counts_to_another() {
    let (app, ada) = signed_in().await;
    let ben = app.browser();
    ben.login(&app, BEN, None).await;
    choose_org(&app, &ben, LOVELACE).await;
    for b in [&ada, &ada, &ben] {
        let (status, html) = page(b, &app, "/projects/summary").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("data-matching=\""), "{html}");
    }
    let scans = summary_scans_made(&app);
    assert_eq!(scans.len(), 2, "Ada's once, Ben's once: {scans:?}");
    assert_ne!(scans[0].0, scans[1].0, "each scan as its own user");

    choose_org(&app, &ben, OKAFOR).await;
    let (status, _) = page(&ben, &app, "/projects/summary").await;
    assert_eq!(status, StatusCode::OK);
    let scans = summary_scans_made(&app);
    assert_eq!(scans.len(), 3, "Ben's other org is scanned: {scans:?}");
    assert_eq!(scans[2].1.as_deref(), Some("5002"), "{scans:?}");
}

#[tokio::test]
async fn on_a_slow_gateway_the_table_comes_first_and_the_summary_follows() {
    let app = spawn_app(TestOptions {
        fake: fake_filevine::FakeOptions {
            projects_per_org: 20_000,
            ..Default::default()
        },
        ..TestOptions::default()
    })
    .await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    // 20 pages of 1,000 to count, 8 at a time: three round trips against the table's one.
    app.control()
        .set_gateway_latency(std::time::Duration::from_millis(500));
    app.control().reset_gateway_stats();
    let (status, html) = page(&b, &app, "/projects?q=a").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(row_links(&html).len(), 50, "the table is there");
    assert!(html.contains("id=\"summary-slot\""), "{html}");
    assert!(html.contains("Counting projects…"));
    assert!(
        !html.contains("big-number"),
        "the page waited for the count"
    );
    assert!(html.contains("<script src=\"/static/summary.js\" defer></script>"));
    assert!(html.contains("data-src=\"/projects/summary?q=a\""));
    assert!(html.contains("<noscript><p><a href=\"/projects?q=a\">Show the counts</a>"));

    // The fragment joins the scan the page started: one scan in all.
    let (status, frag) = page(&b, &app, "/projects/summary?q=a").await;
    assert_eq!(status, StatusCode::OK, "{frag}");
    let n = app.control().project_count(
        LOVELACE,
        &ProjectFilter {
            search_term: Some("a".into()),
            ..live()
        },
    );
    assert!(
        frag.contains(&format!(
            "<span class=\"big-number\">{}</span>",
            grouped(&n)
        )),
        "{frag}"
    );
    assert!(frag.contains(&format!("data-last-page=\"{}\"", n.div_ceil(50))));
    assert!(frag.contains("<template id=\"phase-options\"><option"));
    assert_eq!(summary_scans(&app), 1, "the fragment scanned again");

    // The next view has it at once.
    let (_, html) = page(&b, &app, "/projects?q=a&page=2").await;
    assert!(html.contains(&format!(
        "<span class=\"big-number\">{}</span>",
        grouped(&n)
    )));
    assert!(html.contains(&format!("Page 2 of {}", n.div_ceil(50))));
    assert_eq!(summary_scans(&app), 1);
}

#[tokio::test]
async fn the_summary_fragment_is_the_signed_in_users_and_checks_its_view() {
    let (app, b) = signed_in().await;
    let (status, _) = page(&b, &app, "/projects/summary?sort=evil").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = b.get(&app.url("/projects/summary")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let stranger = app.browser();
    let r = stranger.get(&app.url("/projects/summary")).await;
    assert!(r.status().is_redirection(), "{}", r.status());
}

/// `(datetime, title, text)` of every `<time>` in the Created column.
fn created_cells(html: &str) -> Vec<(String, String, String)> {
    html.split("<td data-label=\"Created\"><time datetime=\"")
        .skip(1)
        .filter_map(|s| {
            let (datetime, rest) = s.split_once("\" title=\"")?;
            let (title, rest) = rest.split_once("\">")?;
            let (text, _) = rest.split_once("</time>")?;
            Some((datetime.to_owned(), title.to_owned(), text.to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn dates_are_shown_in_the_firms_time_zone_with_the_exact_value_kept() {
    let app = spawn_app(TestOptions {
        extra_env: vec![("FV_TIME_ZONE".into(), "Pacific/Kiritimati".into())],
        ..TestOptions::default()
    })
    .await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    let (_, html) = page(&b, &app, "/projects?per_page=200").await;
    let cells = created_cells(&html);
    assert!(cells.len() > 100, "{} dated rows", cells.len());
    let zone = jiff::tz::TimeZone::get("Pacific/Kiritimati").unwrap();
    let mut moved = 0;
    for (datetime, title, text) in &cells {
        let ts: jiff::Timestamp = datetime.parse().expect("an RFC 3339 datetime");
        let local = ts.to_zoned(zone.clone());
        assert_eq!(text, &local.strftime("%-d %b %Y").to_string(), "{datetime}");
        assert!(
            title.ends_with(&local.strftime("%H:%M +14").to_string()),
            "{title}"
        );
        if local.date() != ts.to_zoned(jiff::tz::TimeZone::UTC).date() {
            moved += 1;
        }
        assert!(!text.contains('T') && !text.contains("+00:00"), "{text}");
    }
    assert!(
        moved > 0,
        "no date fell on another day at UTC+14: the zone was not applied"
    );
}

#[tokio::test]
async fn an_unknown_time_zone_stops_start_up_naming_the_key() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fv-partner-app"))
        .arg("check")
        .env("FV_TIME_ZONE", "Mars/Olympus_Mons")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("FV_TIME_ZONE") && err.contains("America/Denver"),
        "{err}"
    );
}

#[tokio::test]
async fn counts_are_grouped_by_thousands_as_people_read_them() {
    let (app, b) = signed_in().await;
    let n = app.control().project_count(LOVELACE, &live());
    assert!(n >= 1000, "the stand-in's org has {n} live projects");
    let (_, html) = page(&b, &app, "/projects?page=21").await;
    let (thousands, rest) = (n / 1000, n % 1000);
    let shown = format!("{thousands},{rest:03}");
    assert!(
        html.contains(&format!(
            "<span class=\"big-number\">{shown}</span> projects match"
        )),
        "{html}"
    );
    // The caption's rows and total too: page 21 of 50 a page starts at row 1,001.
    assert!(
        html.contains(&format!("Projects 1,001–1,050 of {shown}")),
        "{html}"
    );
}
