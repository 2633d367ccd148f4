//! The reports page against the stand-in, whose projects' dates end today (its anchor is set
//! to now): every figure on the page equals one computed here, independently, from the
//! stand-in's own data (stale counts per band, the 25 stalest, median and 90th percentile of
//! days in phase, new matters per month, matters per type named from `ProjectTypes`).

use crate::common;

use std::collections::BTreeMap;

use common::*;
use fake_filevine::data::{Project, PHASES, PROJECT_TYPES};
use reqwest::StatusCode;
use time::{Date, OffsetDateTime};

const LOVELACE: i64 = 5001;

async fn app_with_fresh_dates() -> (TestApp, Browser) {
    let mut opts = TestOptions::default();
    opts.fake.anchor = Some(OffsetDateTime::now_utc());
    let app = spawn_app(opts).await;
    let b = app.browser();
    b.login(&app, "fv-user-1001", None).await;
    (app, b)
}

fn unescape(s: &str) -> String {
    s.replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The body rows of the table `id`, each a list of cell texts (tags stripped).
fn table(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let rest = &html[start..];
    let body = &rest[rest.find("<tbody>").unwrap()..rest.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("</t")
                .filter_map(|cell| {
                    let open = cell.rfind("<t")?;
                    let text = &cell[cell[open..].find('>')? + open + 1..];
                    let mut out = String::new();
                    let mut in_tag = false;
                    for c in text.chars() {
                        match c {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => out.push(c),
                            _ => {}
                        }
                    }
                    Some(unescape(out.trim()))
                })
                .collect()
        })
        .collect()
}

fn as_of(html: &str) -> Date {
    let at = html.find("Counted to ").unwrap() + "Counted to ".len();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(&html[at..at + 10], fmt).unwrap()
}

/// Nearest-rank percentile, written again here.
fn nearest_rank(sorted: &[i64], p: f64) -> i64 {
    let rank = (p / 100.0 * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank - 1]
}

fn days(today: Date, t: OffsetDateTime) -> i64 {
    (today - t.date()).whole_days()
}

fn check_figures(html: &str, projects: &[Project]) {
    let today = as_of(html);
    // Stale bands.
    let band = |lo: i64, hi: i64| {
        projects
            .iter()
            .filter(|p| (lo..=hi).contains(&days(today, p.last_activity)))
            .count()
            .to_string()
    };
    let stale = table(html, "stale-table");
    assert_eq!(
        stale,
        vec![
            vec!["30-59 days".to_owned(), band(30, 59)],
            vec!["60-89 days".to_owned(), band(60, 89)],
            vec!["90+ days".to_owned(), band(90, i64::MAX)],
        ]
    );
    assert!(stale.iter().all(|r| r[1] != "0"), "every band populated");
    // The 25 stalest: oldest activity first, ties by id.
    let mut by_age: Vec<&Project> = projects
        .iter()
        .filter(|p| days(today, p.last_activity) >= 30)
        .collect();
    by_age.sort_by_key(|p| (p.last_activity, p.project_id));
    let want: Vec<String> = by_age
        .iter()
        .take(25)
        .map(|p| p.project_name.clone())
        .collect();
    let shown: Vec<String> = table(html, "stalest-table")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(shown, want);
    assert!(html.contains(&format!("href=\"/projects/{}\"", by_age[0].project_id)));
    // Time in phase, in pipeline order.
    let mut want = Vec::new();
    for (phase, _) in PHASES {
        let mut d: Vec<i64> = projects
            .iter()
            .filter(|p| p.phase_name == phase)
            .map(|p| days(today, p.phase_date))
            .collect();
        if d.is_empty() {
            continue;
        }
        d.sort();
        want.push(vec![
            phase.to_owned(),
            d.len().to_string(),
            nearest_rank(&d, 50.0).to_string(),
            nearest_rank(&d, 90.0).to_string(),
        ]);
    }
    assert_eq!(table(html, "phase-table"), want);
    // New matters per month: the 12 months ending with today's.
    let mut months = Vec::new();
    let (mut y, mut m) = (today.year(), today.month());
    for _ in 0..12 {
        months.push((y, m));
        if m == time::Month::January {
            y -= 1;
        }
        m = m.previous();
    }
    months.reverse();
    let want: Vec<Vec<String>> = months
        .iter()
        .map(|(y, m)| {
            let n = projects
                .iter()
                .filter(|p| p.created_date.year() == *y && p.created_date.month() == *m)
                .count();
            vec![format!("{y:04}-{:02}", *m as u8), n.to_string()]
        })
        .collect();
    assert_eq!(table(html, "month-table"), want);
    // Per type, largest first, named from ProjectTypes.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in projects {
        let name = PROJECT_TYPES
            .iter()
            .find(|t| t.0 == p.project_type_id)
            .unwrap()
            .1;
        *counts.entry(name).or_default() += 1;
    }
    let mut want: Vec<(&str, usize)> = counts.into_iter().collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let want: Vec<Vec<String>> = want
        .into_iter()
        .map(|(n, c)| vec![n.to_owned(), c.to_string()])
        .collect();
    assert_eq!(table(html, "type-table"), want);
}

#[tokio::test]
async fn every_figure_matches_one_computed_from_the_stand_in() {
    let (app, b) = app_with_fresh_dates().await;
    app.control().reset_gateway_stats();
    let r = b.get(&app.url("/reports")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let all = app.control().projects(LOVELACE);
    let live: Vec<Project> = all.iter().filter(|p| !p.is_archived).cloned().collect();
    check_figures(&html, &live);
    assert!(html.contains("<svg"), "charts drawn");
    assert!(
        !html.contains("style=") && !html.contains("<script"),
        "CSP-clean"
    );
    assert!(html.contains("href=\"/static/print.css\" media=\"print\""));
    assert!(html.contains("href=\"/reports\""), "linked from the header");

    // One field-limited scan and one ProjectTypes call; the next view is served from cache.
    let reqs = app.control().gateway_requests();
    let lists: Vec<_> = reqs
        .iter()
        .filter(|r| r.path == "/fv-app/v2/Projects")
        .collect();
    let needed = live.len().div_ceil(1000);
    let window = app.settings.gateway.concurrency;
    assert!(
        (needed..=needed + window).contains(&lists.len()),
        "one walk: {} calls",
        lists.len()
    );
    for r in &lists {
        let fields = r
            .query
            .iter()
            .find(|(k, _)| k == "requestedFields")
            .unwrap();
        assert!(!fields.1.contains("description"), "{}", fields.1);
        assert!(fields.1.contains("lastActivity") && fields.1.contains("projectTypeId"));
        assert!(r
            .query
            .iter()
            .any(|(k, v)| k == "excludeArchived" && v == "true"));
    }
    assert_eq!(
        reqs.iter()
            .filter(|r| r.path == "/fv-app/v2/ProjectTypes")
            .count(),
        1
    );
    app.control().reset_gateway_stats();
    assert_eq!(b.get(&app.url("/reports")).await.status(), StatusCode::OK);
    assert!(app.control().gateway_requests().is_empty(), "cached");

    // Each band links to the dashboard listing exactly its matters.
    let at = html.find("id=\"stale-table\"").unwrap();
    let rest = &html[at..];
    let link = |label: &str| {
        let end = rest.find(&format!(">{label}</a>")).unwrap();
        let start = rest[..end].rfind("href=\"").unwrap() + 6;
        unescape(&rest[start..end - 1])
    };
    let stale = table(&html, "stale-table");
    for (row, label) in [(0, "30-59 days"), (1, "60-89 days"), (2, "90+ days")] {
        let dash = b.get(&app.url(&link(label))).await.text().await.unwrap();
        let shown = format!("<span class=\"big-number\">{}</span>", stale[row][1]);
        assert!(dash.contains(&shown), "{label}: {shown} on {}", link(label));
    }

    // Each phase links to the dashboard in that phase, with its count.
    let phases = table(&html, "phase-table");
    let litigation = phases.iter().find(|r| r[0] == "Litigation").unwrap();
    let dash = b
        .get(&app.url("/projects?phase=Litigation"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("href=\"/projects?phase=Litigation\""));
    assert!(dash.contains(&format!(
        "<span class=\"big-number\">{}</span>",
        litigation[1]
    )));

    // archived=1 counts every project.
    let html = b
        .get(&app.url("/reports?archived=1"))
        .await
        .text()
        .await
        .unwrap();
    check_figures(&html, &all);
}

#[tokio::test]
async fn date_filters_narrow_the_figures_and_a_bad_one_keeps_the_rest() {
    let (app, b) = app_with_fresh_dates().await;
    let since = (OffsetDateTime::now_utc() - time::Duration::days(400)).date();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let since_s = since.format(fmt).unwrap();
    app.control().reset_gateway_stats();
    let html = b
        .get(&app.url(&format!("/reports?created_since={since_s}")))
        .await
        .text()
        .await
        .unwrap();
    let start = since.midnight().assume_utc();
    let picked: Vec<Project> = app
        .control()
        .projects(LOVELACE)
        .into_iter()
        .filter(|p| !p.is_archived && p.created_date >= start)
        .collect();
    check_figures(&html, &picked);
    let reqs = app.control().gateway_requests();
    assert!(reqs
        .iter()
        .filter(|r| r.path == "/fv-app/v2/Projects")
        .all(|r| r
            .query
            .iter()
            .any(|(k, v)| k == "createdSince" && *v == since_s)));
    assert!(html.contains(&format!("name=\"created_since\" value=\"{since_s}\"")));

    let r = b
        .get(&app.url("/reports?archived=1&active_before=last+week"))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("active_before must be a date written yyyy-mm-dd"));
    assert!(html.contains("href=\"/reports?archived=1\""), "{html}");
}
