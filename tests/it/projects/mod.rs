//! The projects dashboard, black-box against the stand-in: paging, filters reaching the gateway
//! as the right parameters, rate limits, refusals, exports and escaping. One binary in parts:
//! `views` (the table), `export` (CSV and JSON downloads), `pages` (escaping, the project
//! page, bad input, signed out).

use crate::common;
mod export;
mod in_flight;
mod pages;
mod views;

use common::*;
use fake_filevine::{ProjectFilter, RecordedRequest};
use reqwest::StatusCode;

pub const ADA: &str = "fv-user-1001";
pub const BEN: &str = "fv-user-1002";
pub const LOVELACE: i64 = 5001;

pub async fn signed_in(opts: TestOptions) -> (TestApp, Browser) {
    let app = spawn_app(opts).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    (app, b)
}

pub async fn page(b: &Browser, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = b.get(&app.url(path)).await;
    (r.status(), r.text().await.unwrap())
}

/// Project ids linked from the table, in order.
pub fn ids(html: &str) -> Vec<i64> {
    html.split("href=\"/projects/")
        .skip(1)
        .filter_map(|s| {
            let end = s.find(['"', '?'])?;
            s[..end].parse().ok()
        })
        .collect()
}

/// The `href` of the `rel="next"` link, unescaped.
pub fn next_link(html: &str) -> Option<String> {
    rel_link(html, "next")
}

pub fn filter(q: Option<&str>, phase: Option<&str>, archived: bool) -> ProjectFilter {
    ProjectFilter {
        search_term: q.map(str::to_owned),
        phase_name: phase.map(str::to_owned),
        exclude_archived: !archived,
    }
}

pub fn list_requests(reqs: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    reqs.iter()
        .filter(|r| r.path == "/fv-app/v2/Projects")
        .collect()
}

pub fn q<'a>(r: &'a RecordedRequest, k: &str) -> Option<&'a str> {
    r.query
        .iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
}
