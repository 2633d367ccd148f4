//! The key flows against Filevine as its documents describe it, not as the app assumed: a
//! gateway answering in the published schema (camelCase as the samples read it, and the
//! export's PascalCase), and a provider that keeps `name`, `email` and `email_verified` out of
//! the ID token (IdentityServer's default) or puts them in. Every request the app sends must be
//! a published operation with published parameters (the stand-in refuses anything else and
//! remembers it).

use crate::common;

use common::*;
use fake_filevine::{contract::Contract, Casing, FakeOptions, ADA};
use reqwest::StatusCode;

fn opts(casing: Casing, claims_in_id_token: bool) -> TestOptions {
    TestOptions {
        extra_env: vec![("FV_ADMIN_EMAILS".into(), ADA.email.into())],
        fake: FakeOptions {
            casing,
            user_claims_in_id_token: claims_in_id_token,
            ..FakeOptions::default()
        },
        ..Default::default()
    }
}

async fn page(b: &Browser, app: &TestApp, path: &str) -> String {
    let r = b.get(&app.url(path)).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// Sign in, profile, dashboard, a project, export, reports and the admin's settings, then
/// every request the gateway saw checked against the published contract.
async fn key_flows(casing: Casing, claims_in_id_token: bool) {
    let app = spawn_app(opts(casing, claims_in_id_token)).await;
    let b = app.browser();
    b.login(&app, ADA.sub, None).await;

    let home = page(&b, &app, "/").await;
    assert!(
        home.contains("Ada Lovelace"),
        "the name reached the header: {home}"
    );
    let profile = page(&b, &app, "/profile").await;
    assert!(!profile.contains("could not read"), "{profile}");
    assert!(
        profile.contains(&ADA.org_user_id(5001).to_string()),
        "org user id: {profile}"
    );
    assert!(profile.contains("Access level"), "{profile}");
    assert!(profile.contains(ADA.access_level), "{profile}");
    assert!(profile.contains(ADA.email), "{profile}");

    let dashboard = page(&b, &app, "/projects?per_page=25").await;
    let id: String = dashboard
        .split("href=\"/projects/")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .find(|id| !id.is_empty())
        .expect("a project link on the dashboard");
    let project = page(&b, &app, &format!("/projects/{id}")).await;
    assert!(project.contains(&id), "{project}");
    let export: serde_json::Value =
        serde_json::from_str(&page(&b, &app, "/projects/export.json?archived=1").await).unwrap();
    assert_eq!(
        export.as_array().map(Vec::len),
        Some(app.control().projects(5001).len()),
        "every project exported"
    );
    let reports = page(&b, &app, "/reports").await;
    assert!(reports.contains("By project type"), "{reports}");
    for (id, name, _) in fake_filevine::data::PROJECT_TYPES {
        assert!(
            !reports.contains(&format!("Type {id}")),
            "type {id} unnamed: {reports}"
        );
        assert!(
            reports.contains(&name.replace('\'', "&#39;")) || reports.contains(name),
            "{name}"
        );
    }
    for admin_page in [
        "/settings/connections",
        "/settings/feeds",
        "/settings/sessions",
    ] {
        page(&b, &app, admin_page).await;
    }

    let violations = app.control().contract_violations();
    assert!(violations.is_empty(), "{casing:?}: {violations:#?}");
    let contract = Contract::published();
    let requests = app.control().gateway_requests();
    assert!(requests.len() >= 6, "{requests:?}");
    for r in requests {
        let query: Vec<(String, String)> = r.query.clone();
        let header = |h: &str| match h {
            "x-fv-orgid" => r.org_id.as_deref(),
            "x-fv-userid" => r.user_id.as_deref(),
            _ => None,
        };
        if let Err(why) = contract.check_request(&r.method, &r.path, &query, header) {
            panic!("{} {} ({casing:?}): {why}", r.method, r.path);
        }
    }
}

#[tokio::test]
async fn key_flows_camel_case_with_user_claims_only_at_userinfo() {
    key_flows(Casing::Camel, false).await;
}

#[tokio::test]
async fn key_flows_pascal_case_with_user_claims_only_at_userinfo() {
    key_flows(Casing::Pascal, false).await;
}

#[tokio::test]
async fn key_flows_camel_case_with_user_claims_in_the_id_token() {
    key_flows(Casing::Camel, true).await;
}

#[tokio::test]
async fn key_flows_pascal_case_with_user_claims_in_the_id_token() {
    key_flows(Casing::Pascal, true).await;
}

/// With the claims only at userinfo and the gateway's record unreadable at sign-in, userinfo's
/// verified email is what makes the admin, and its name what the header shows.
#[tokio::test]
async fn userinfo_claims_alone_make_the_admin() {
    let app = spawn_app(opts(Casing::Camel, false)).await;
    app.control().fail_next_gateway_calls(503, 50, None);
    let b = app.browser();
    b.login(&app, ADA.sub, None).await;
    app.control().fail_next_gateway_calls(503, 0, None);
    let settings = page(&b, &app, "/settings/connections").await;
    assert!(settings.contains("Ada Lovelace"), "{settings}");
    // The same without userinfo: nothing vouches.
    app.control().set_userinfo_down(true);
    app.control().fail_next_gateway_calls(503, 50, None);
    let without = app.browser();
    without.login(&app, ADA.sub, None).await;
    app.control().fail_next_gateway_calls(503, 0, None);
    let r = without.get(&app.url("/settings/connections")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// Userinfo down, or slower than the app waits: sign-in still succeeds from the verified ID
/// token, and the admin is recognised by the gateway's user record (the claims are only at
/// userinfo here, so nothing else could make the admin).
#[tokio::test]
async fn userinfo_down_or_slow_at_sign_in_keeps_sign_in_and_admin() {
    use fv_partner_app::auth::oidc::USERINFO_TIMEOUT;
    let app = spawn_app(opts(Casing::Camel, false)).await;
    app.control().set_userinfo_down(true);
    let down = app.browser();
    down.login(&app, ADA.sub, None).await;
    page(&down, &app, "/settings/connections").await;

    // Slower than any client timeout of the app: only the userinfo deadline lets the sign-in
    // finish before this test's own deadline, a few times that one.
    app.control().set_userinfo_down(false);
    app.control()
        .set_userinfo_delay(std::time::Duration::from_secs(600));
    let slow = app.browser();
    tokio::time::timeout(USERINFO_TIMEOUT * 3, slow.login(&app, ADA.sub, None))
        .await
        .expect("sign-in is not held up by a userinfo that never answers");
    page(&slow, &app, "/settings/connections").await;
}
