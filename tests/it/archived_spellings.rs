//! `archived=true` and `archived=1` mean the same wherever filters travel: the dashboard, its
//! exports, the reports and a feed key's fixed filters (one parser, `ProjectFilters`), and
//! every link the app writes back says `archived=1`.

use crate::common;

use common::feeds::{app_with_key, feed};
use fake_filevine::ProjectFilter;
use reqwest::StatusCode;

const LOVELACE: i64 = 5001;

/// The number in `<span class="big-number">` (the dashboard's "N projects match").
fn matching(html: &str) -> String {
    let (_, rest) = html
        .split_once("<span class=\"big-number\">")
        .expect("the summary's count");
    rest.split('<').next().unwrap().replace(',', "")
}

/// The reports page's "N matters" line.
fn matters(html: &str) -> String {
    let end = html.find(" matters").expect("the report's total");
    let start = html[..end].rfind('>').unwrap() + 1;
    html[start..end].replace(',', "")
}

/// Rows of a CSV download (names may hold line breaks; the header row is not counted).
fn records(csv: &str) -> usize {
    let body = csv.trim_start_matches('\u{feff}');
    csv::Reader::from_reader(body.as_bytes())
        .records()
        .inspect(|r| assert!(r.is_ok(), "{r:?}"))
        .count()
}

#[tokio::test]
async fn archived_true_and_archived_1_select_the_same_projects_everywhere() {
    // A feed key whose form said `archived=true`, made by the admin (who also browses).
    let (app, b, key) = app_with_key(&[], &[("archived", "true")]).await;
    let count = |exclude_archived| {
        app.control().project_count(
            LOVELACE,
            &ProjectFilter {
                exclude_archived,
                ..Default::default()
            },
        )
    };
    let (all, live) = (count(false), count(true));
    assert!(all > live, "the demo firm has archived projects");
    let get = |path: &str| {
        let (b, url) = (&b, app.url(path));
        async move {
            let r = b.get(&url).await;
            assert_eq!(r.status(), StatusCode::OK, "{url}");
            r.text().await.unwrap()
        }
    };

    for spelling in ["1", "true"] {
        // The dashboard counts and checks the box the same way, and writes `archived=1` back.
        let html = get(&format!("/projects?archived={spelling}&per_page=25")).await;
        assert_eq!(matching(&html), all.to_string(), "archived={spelling}");
        assert!(
            html.contains("name=\"archived\" value=\"1\" checked"),
            "{spelling}"
        );
        let next = html.split("rel=\"next\"").next().unwrap();
        let next = &next[next.rfind("href=").expect("a next page")..];
        assert!(
            next.starts_with("href=\"/projects?archived=1&"),
            "{spelling}: the next page keeps the filter, written one way: {next}"
        );
        // The export walks every project.
        let csv = get(&format!("/projects/export.csv?archived={spelling}")).await;
        assert_eq!(records(&csv), all, "export archived={spelling}");
        // The reports count every project.
        let html = get(&format!("/reports?archived={spelling}")).await;
        assert_eq!(
            matters(&html),
            all.to_string(),
            "reports archived={spelling}"
        );
        assert!(html.contains("href=\"/projects?archived=1\""), "{spelling}");
    }
    // Left out, archived projects are not counted (so the checks above can tell).
    assert_eq!(matching(&get("/projects").await), live.to_string());

    // The feed key made with `archived=true` reads archived projects too.
    let r = feed(&app, "/feeds/projects.csv", &key, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert_eq!(records(&body), all, "the feed's rows, archived included");
}
