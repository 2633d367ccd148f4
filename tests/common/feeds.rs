//! What the feed tests share: an app with a PAT connection `bi` and a key made on
//! `/settings/feeds`, and a feed request with that key.

use reqwest::{header, StatusCode};

use super::connections::{admin, admin_opts, save_pat_connection};
use super::{csrf_of, spawn_app, Browser, TestApp};

/// The key shown once after a create, or `None`.
pub fn new_key(html: &str) -> Option<String> {
    let at = html.find("id=\"new-feed-key\">")? + "id=\"new-feed-key\">".len();
    let end = at + html[at..].find('<')?;
    Some(html[at..end].to_owned())
}

/// Ada (admin) with a PAT connection `bi`, and a fresh key for `fields` (plus name/connection/org).
pub async fn app_with_key(
    extra: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> (TestApp, Browser, String) {
    app_with_key_on(None, extra, fields).await
}

/// [`app_with_key`] on the database at `url` (`None`: a fresh SQLite file).
pub async fn app_with_key_on(
    url: Option<String>,
    extra: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> (TestApp, Browser, String) {
    let mut opts = admin_opts();
    opts.database_url = url;
    for (k, v) in extra {
        opts.extra_env.push(((*k).into(), (*v).into()));
    }
    let app = spawn_app(opts).await;
    save_pat_connection(&app, "bi", "4", "").await;
    let (b, _) = admin(&app).await;
    let page = b.get(&app.url("/settings/feeds")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = csrf_of(&page.text().await.unwrap());
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("name", "Power BI weekly"),
        ("connection", "bi"),
        ("org", "5001"),
        ("action", "create"),
    ];
    form.extend_from_slice(fields);
    let r = b.post_form(&app.url("/settings/feeds"), &form).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let key = new_key(&r.text().await.unwrap()).expect("the key is shown once");
    assert!(key.starts_with("fvfeed_"));
    (app, b, key)
}

pub async fn feed(app: &TestApp, path: &str, key: &str, etag: Option<&str>) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut req = client.get(app.url(path)).bearer_auth(key);
    if let Some(t) = etag {
        req = req.header(header::IF_NONE_MATCH, t);
    }
    req.send().await.unwrap()
}
