//! One way of writing dates (issue 28): every date a page shows reads like the dashboard's
//! ("7 Dec 2026", or "Dec 2026" for a month), inside `<time datetime=... title=...>` so the
//! exact moment is a tooltip away, and no ISO text (`2026-12-07`, `19:18:40`, `+00:00`) is
//! left in what a person reads. The CSV export writes what a spreadsheet reads as a date
//! (`2026-12-02 00:04:29`, UTC) and the JSON keeps ISO 8601 with an offset.

use reqwest::StatusCode;

use crate::common::{
    feeds::{app_with_key, feed},
    Browser, TestApp,
};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "7 Dec 2026" or "Dec 2026".
fn one_style(text: &str) -> bool {
    let parts: Vec<&str> = text.split(' ').collect();
    let year = |y: &str| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [d, m, y] => {
            (1..=2).contains(&d.len())
                && d.bytes().all(|b| b.is_ascii_digit())
                && MONTHS.contains(m)
                && year(y)
        }
        [m, y] => MONTHS.contains(m) && year(y),
        _ => false,
    }
}

/// The `<time>` elements of `html` as `(opening tag, text)`.
fn times(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<time ") {
        let tag_end = at + rest[at..].find('>').unwrap();
        let close = tag_end + rest[tag_end..].find("</time>").unwrap();
        out.push((
            rest[at..=tag_end].to_owned(),
            rest[tag_end + 1..close].to_owned(),
        ));
        rest = &rest[close..];
    }
    out
}

/// What a person reads: the text outside tags, scripts, styles and templates.
fn visible_text(html: &str) -> String {
    let mut html = html.to_owned();
    for tag in ["script", "style", "template"] {
        while let Some(at) = html.find(&format!("<{tag}")) {
            let end = html[at..]
                .find(&format!("</{tag}>"))
                .map_or(html.len(), |e| at + e + tag.len() + 3);
            html.replace_range(at..end, " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// ISO-looking text: `dddd-dd-dd`, `dd:dd:dd` or a `+00:00` offset.
fn iso_fragment(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let digits = |i: usize, n: usize| (i..i + n).all(|k| b.get(k).is_some_and(u8::is_ascii_digit));
    for i in 0..b.len() {
        let date = digits(i, 4)
            && b.get(i + 4) == Some(&b'-')
            && digits(i + 5, 2)
            && b.get(i + 7) == Some(&b'-')
            && digits(i + 8, 2);
        let clock = digits(i, 2)
            && b.get(i + 2) == Some(&b':')
            && digits(i + 3, 2)
            && b.get(i + 5) == Some(&b':')
            && digits(i + 6, 2);
        if date || clock {
            return Some(text[i.saturating_sub(20)..(i + 30).min(text.len())].to_owned());
        }
    }
    None
}

async fn page(app: &TestApp, b: &Browser, path: &str) -> String {
    let r = b.get(&app.url(path)).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// Checks the one style on `html`; returns how many dates it showed.
fn check_page(path: &str, html: &str) -> usize {
    let shown = times(html);
    for (tag, text) in &shown {
        assert!(
            tag.contains("datetime=\"") && tag.contains("title=\""),
            "{path}: {tag} has no exact value or tooltip"
        );
        assert!(
            one_style(text.trim()),
            "{path}: the date {text:?} ({tag}) is not written like the dashboard's"
        );
    }
    if let Some(iso) = iso_fragment(&visible_text(html)) {
        panic!("{path}: ISO text where a person reads: {iso:?}");
    }
    shown.len()
}

#[tokio::test]
async fn every_page_writes_dates_the_dashboards_way() {
    // A key with a fixed date filter: the feeds page lists it too.
    let (app, b, key) = app_with_key(&[], &[("created_since", "2024-01-01")]).await;
    let projects = page(&app, &b, "/projects").await;
    // The first link to one project (`/projects/<digits>`).
    let id: String = projects
        .split("href=\"/projects/")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .find(|id| !id.is_empty())
        .unwrap();
    let mut counted = Vec::new();
    for path in [
        "/projects".to_owned(),
        format!("/projects/{id}"),
        "/reports".to_owned(),
        "/profile".to_owned(),
        "/account/sessions".to_owned(),
        "/settings/feeds".to_owned(),
        "/settings/sessions".to_owned(),
    ] {
        let html = page(&app, &b, &path).await;
        counted.push((path.clone(), check_page(&path, &html)));
    }
    // Every page that has dates showed some (the check above cannot pass on no dates).
    for (path, n) in &counted {
        if path != "/settings/sessions" {
            assert!(*n > 0, "{path} showed no date at all: {counted:?}");
        }
    }

    // CSV, from the dashboard and from a feed: what a spreadsheet reads as a date.
    let csv = page(&app, &b, "/projects/export.csv").await;
    let r = feed(&app, "/feeds/projects.csv", &key, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let feed_csv = r.text().await.unwrap();
    for (what, body) in [("export", csv), ("feed", feed_csv)] {
        let body = body.trim_start_matches('\u{feff}');
        let mut rdr = csv::Reader::from_reader(body.as_bytes());
        let header = rdr.headers().unwrap().clone();
        let cols: Vec<usize> = ["Phase date", "Created", "Last activity", "Incident date"]
            .iter()
            .map(|h| header.iter().position(|c| c == *h).unwrap())
            .collect();
        let mut seen = 0;
        for row in rdr.records().take(200) {
            let row = row.unwrap();
            for &c in &cols {
                let v = &row[c];
                let b = v.as_bytes();
                let ok = v.is_empty()
                    || (v.len() == 10 && b[4] == b'-' && b[7] == b'-')
                    || (v.len() == 19 && b[10] == b' ' && b[13] == b':' && b[16] == b':');
                assert!(ok, "{what}: {v:?} is not a spreadsheet date ({row:?})");
                seen += usize::from(!v.is_empty());
            }
        }
        assert!(seen > 0, "{what}: no dates at all");
    }

    // JSON: ISO 8601 with an offset.
    let json: serde_json::Value =
        serde_json::from_str(&page(&app, &b, "/projects/export.json").await).unwrap();
    let first = &json[0];
    for field in ["createdDate", "lastActivity"] {
        let v = first[field].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339).is_ok(),
            "{field}: {v}"
        );
    }
}
