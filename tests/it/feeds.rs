//! Feeds for BI tools, black-box: an admin makes a key on `/settings/feeds`; with it, and
//! nobody signed in, `/feeds/projects.csv` returns every matching project through a PAT
//! connection; `If-None-Match` with the last tag is a 304 after one scan; a wrong or revoked
//! key gets a bare 401, a key in the address a 400; each key is rate-limited; and the database
//! files hold the key's hash, never the key.

use crate::common;

use common::connections::{admin, admin_opts, save_pat_connection};
use common::feeds::{app_with_key, app_with_key_on, feed, new_key};
use common::*;
use fake_filevine::ProjectFilter;
use reqwest::{header, StatusCode};

const LOVELACE: i64 = 5001;
const FEEDS: &str = "/feeds/projects.csv";

#[tokio::test]
async fn a_key_reads_the_complete_csv_with_nobody_signed_in_and_a_304_costs_one_scan() {
    let (app, b, key) = app_with_key(&[], &[("archived", "1")]).await;
    let r = feed(&app, FEEDS, &key, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
    let body = r.bytes().await.unwrap();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&body[..])
        .records()
        .map(|r| r.unwrap())
        .collect();
    let all = app.control().project_count(
        LOVELACE,
        &ProjectFilter {
            exclude_archived: false,
            ..Default::default()
        },
    );
    assert_eq!(rows.len(), all, "every project, archived included");
    assert!(
        rows.iter().any(|r| r[1].starts_with("'=HYPERLINK")),
        "formulas neutralised as in the export"
    );

    // Unchanged data: one walk, then a 304 with no body.
    app.control().reset_gateway_stats();
    let r = feed(&app, FEEDS, &key, Some(&etag)).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()[header::ETAG].to_str().unwrap(), etag);
    assert!(r.bytes().await.unwrap().is_empty());
    let reqs = app.control().gateway_requests();
    let walks = reqs
        .iter()
        .filter(|r| {
            r.path == "/fv-app/v2/Projects"
                && r.query.iter().any(|(k, v)| k == "offset" && v == "0")
        })
        .count();
    assert_eq!(walks, 1, "one scan for a 304");
    // Every call went as the connection's service account, not a person.
    assert!(reqs
        .iter()
        .all(|r| r.user_id.as_deref().is_none_or(|u| u == "1003")));
    // A stale tag gets the data again.
    let r = feed(&app, FEEDS, &key, Some("\"old\"")).await;
    assert_eq!(r.status(), StatusCode::OK);

    // JSON and the report feed, with their own tags.
    let r = feed(&app, "/feeds/projects.json", &key, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Vec<serde_json::Value> = r.json().await.unwrap();
    assert_eq!(v.len(), all);
    let r = feed(&app, "/feeds/reports.json", &key, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["total"], all as u64);
    assert_eq!(report["stale"].as_array().unwrap().len(), 3);
    let r = feed(&app, "/feeds/reports.json", &key, Some(&tag)).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // The page lists the key with its last use.
    let html = b
        .get(&app.url("/settings/feeds"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Power BI weekly"));
    assert!(
        !html.contains("<span class=\"muted\">never</span>"),
        "last use shown"
    );
    assert!(!html.contains(&key), "the key is shown once only");
}

#[tokio::test]
async fn wrong_revoked_and_addressed_keys_are_refused() {
    let (app, b, key) = app_with_key(&[], &[]).await;
    for bad in ["fvfeed_wrong", "", "Basic abc"] {
        let r = feed(&app, FEEDS, bad, None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(r.text().await.unwrap(), "Unauthorized\n", "no detail");
    }
    let r = reqwest::get(app.url(FEEDS)).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no header");
    for q in [
        format!("?key={key}"),
        format!("?x={key}"),
        "?access_token=abc".to_owned(),
    ] {
        let r = feed(&app, &format!("{FEEDS}{q}"), &key, None).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{q}");
        assert!(!r.text().await.unwrap().contains(&key));
    }
    // Revoke through the page.
    let html = b
        .get(&app.url("/settings/feeds"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let at = html.find("name=\"id\" value=\"").unwrap() + "name=\"id\" value=\"".len();
    let id = &html[at..at + html[at..].find('"').unwrap()];
    assert_eq!(feed(&app, FEEDS, &key, None).await.status(), StatusCode::OK);
    let r = b
        .post_form(
            &app.url("/settings/feeds"),
            &[("csrf", &csrf), ("id", id), ("action", "revoke")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = feed(&app, FEEDS, &key, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.text().await.unwrap(), "Unauthorized\n");
    // No CSRF token, no change.
    let r = b
        .post_form(
            &app.url("/settings/feeds"),
            &[("id", id), ("action", "revoke")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn each_key_is_rate_limited() {
    let (app, _, key) = app_with_key(&[("FV_FEED_RATE_PER_MINUTE", "3")], &[]).await;
    // HEAD runs the GET handler, so it spends the key's allowance as a GET does.
    let head = |path: &'static str| {
        reqwest::Client::new()
            .head(app.url(path))
            .bearer_auth(&key)
            .send()
    };
    assert_eq!(
        head("/feeds/reports.json").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(head(FEEDS).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        feed(&app, "/feeds/reports.json", &key, None).await.status(),
        StatusCode::OK
    );
    let r = feed(&app, "/feeds/reports.json", &key, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    let r = head("/feeds/projects.json").await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn bad_form_input_is_refused_and_keeps_what_was_typed() {
    let app = spawn_app(admin_opts()).await;
    save_pat_connection(&app, "bi", "4", "").await;
    let (b, _) = admin(&app).await;
    let html = b
        .get(&app.url("/settings/feeds"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let r = b
        .post_form(
            &app.url("/settings/feeds"),
            &[
                ("csrf", &csrf),
                ("name", "Monthly"),
                ("connection", "bi"),
                ("org", "5001"),
                ("q", "Smith"),
                ("active_since", "03/01/2025"),
                ("action", "create"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("active_since must be a date"));
    assert!(html.contains("value=\"Smith\"") && html.contains("value=\"Monthly\""));
    assert!(new_key(&html).is_none());
}

#[tokio::test]
async fn no_key_bytes_in_any_database_file() {
    use base64::Engine as _;
    let (app, _, key) = app_with_key(&[], &[]).await;
    assert_eq!(feed(&app, FEEDS, &key, None).await.status(), StatusCode::OK);
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&key["fvfeed_".len()..])
        .unwrap();
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(key.as_bytes()))
    };
    let mut files = 0;
    let mut hash_seen = false;
    for entry in std::fs::read_dir(app.db_dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        files += 1;
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!has(key.as_bytes()), "the key in a database file");
        assert!(!has(&key.as_bytes()["fvfeed_".len()..]), "the key's text");
        assert!(!has(&raw), "the key's bytes");
        hash_seen |= has(hash.as_bytes());
    }
    assert!(files >= 1);
    assert!(
        hash_seen,
        "the hash is stored (so these were the right files)"
    );
}

#[tokio::test]
async fn keys_work_and_revoke_on_postgresql_too() {
    let url = postgres_url();
    let (app, b, key) = app_with_key_on(Some(url), &[], &[("created_since", "2024-01-01")]).await;
    let r = feed(&app, "/feeds/reports.json", &key, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = b
        .get(&app.url("/settings/feeds"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("created_since=2024-01-01"),
        "the fixed filter is listed"
    );
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(key.as_bytes()))
    };
    let keys = app.state.db.feed_keys_list().await.unwrap();
    let mine = keys
        .iter()
        .find(|k| k.key_hash == hash)
        .expect("stored by its hash");
    assert!(mine.last_used_at.is_some());
    assert!(app.state.db.feed_key_revoke(&mine.id, 1).await.unwrap());
    assert!(
        !app.state.db.feed_key_revoke(&mine.id, 2).await.unwrap(),
        "once"
    );
    assert_eq!(
        feed(&app, FEEDS, &key, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_failed_feed_says_little_and_is_recorded_on_its_connection() {
    let (app, _, key) = app_with_key(&[], &[]).await;
    app.control().fail_next_gateway_calls(403, 100, None);
    let r = feed(&app, FEEDS, &key, None).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("/settings/connections") && !text.contains("403"),
        "{text}"
    );
    let c = app.state.connections.get("bi").await.unwrap().unwrap();
    assert_eq!(c.status.as_str(), "needs_authorization");
    let last = c.last_error.unwrap_or_default();
    assert!(last.contains("Power BI weekly"), "{last}");
}
