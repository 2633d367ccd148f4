//! Issue 28's words and small things, as a firm user and an admin meet them: the no-access
//! page, the Settings menu, "End all sessions" refusing inline, error pages that lead back,
//! the folded developer details, feed keys checked before they are made, and a wrong-org feed
//! that says why.

use reqwest::{header, StatusCode};

use crate::common::{
    connections::{admin, admin_opts, save_pat_connection, ADA, BEN},
    csrf_of,
    feeds::{app_with_key, feed, new_key},
    spawn_app, Browser, TestApp,
};

async fn html(b: &Browser, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = b.get(&app.url(path)).await;
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_firm_user_is_told_to_ask_their_administrator_not_about_variables() {
    let app = spawn_app(admin_opts()).await;
    let ben = app.browser();
    ben.login(&app, BEN, None).await;
    for path in [
        "/settings/connections",
        "/settings/feeds",
        "/settings/sessions",
    ] {
        let (status, page) = html(&ben, &app, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.contains("ask your administrator"), "{path}: {page}");
        assert!(!page.contains("FV_ADMIN_EMAILS"), "{path}: {page}");
    }
    // A user who is no admin has no Settings menu.
    let (_, home) = html(&ben, &app, "/").await;
    assert!(!home.contains("id=\"settings-menu\""), "{home}");
}

#[tokio::test]
async fn one_settings_menu_reaches_every_admin_page() {
    let app = spawn_app(admin_opts()).await;
    let (ada, _) = admin(&app).await;
    for page in ["/", "/projects", "/profile"] {
        let (_, html) = html(&ada, &app, page).await;
        let at = html
            .find("id=\"settings-menu\"")
            .expect("the Settings menu");
        let menu = &html[at..at + html[at..].find("</details>").unwrap()];
        for admin_page in [
            "/settings/connections",
            "/settings/feeds",
            "/settings/sessions",
        ] {
            assert!(
                menu.contains(&format!("href=\"{admin_page}\"")),
                "{page}: {menu}"
            );
        }
    }
}

#[tokio::test]
async fn end_all_sessions_refuses_a_non_email_on_the_form() {
    let app = spawn_app(admin_opts()).await;
    let (ada, _) = admin(&app).await;
    let (_, page) = html(&ada, &app, "/settings/sessions").await;
    let csrf = csrf_of(&page);
    for typed in ["", "   ", "not an email", "garbage"] {
        let form = [("csrf", csrf.as_str()), ("email", typed)];
        let r = ada.post_form(&app.url("/settings/sessions"), &form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let page = r.text().await.unwrap();
        // The form itself, with the error on it and what was typed kept.
        assert!(page.contains("id=\"email-error\""), "{typed:?}: {page}");
        assert!(page.contains("action=\"/settings/sessions\""), "{page}");
        assert!(
            page.contains(&format!("value=\"{}\"", typed.trim())),
            "{page}"
        );
        assert!(
            !page.contains("did not make sense"),
            "not the error page: {page}"
        );
    }
    assert!(app.state.db.audit_recent(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn error_pages_lead_back_to_projects_or_where_the_user_was() {
    let app = spawn_app(admin_opts()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    // A project that is not there: back to Projects, not "Try again".
    let (status, page) = html(&b, &app, "/projects/987654321").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("href=\"/projects\""), "{page}");
    assert!(!page.contains(">Try again<"), "{page}");
    // A 400 reached from a page of this site links back to it, and to Projects.
    let client = &b.http;
    let from = app.url("/projects?q=Smith");
    let bad = app.url("/projects?sort=nonsense");
    let r = client
        .get(bad.clone())
        .header(header::REFERER, from.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("href=\"/projects?q=Smith\""), "{page}");
    assert!(page.contains("Back to the page you came from"), "{page}");
    assert!(page.contains("href=\"/projects\""), "{page}");
    // Another site's page is no place to send anyone back to.
    let r = client
        .get(bad)
        .header(header::REFERER, "https://evil.example/projects?q=Smith")
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(!page.contains("Back to the page you came from"), "{page}");
    assert!(!page.contains("evil.example"), "{page}");
}

#[tokio::test]
async fn developer_details_are_folded_away_on_the_profile() {
    let app = spawn_app(admin_opts()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    let (_, page) = html(&b, &app, "/profile").await;
    let at = page
        .find("<details class=\"developer\"")
        .expect("a developer section");
    let (shown, folded) = page.split_at(at);
    assert!(
        !folded.starts_with("<details class=\"developer\" open"),
        "folded"
    );
    assert!(folded.contains("<summary>Developer details</summary>"));
    for developer_word in [
        "ID token claims",
        "User type",
        "Filevine user id",
        "Org user id",
    ] {
        assert!(
            !shown.contains(developer_word),
            "{developer_word} outside: {shown}"
        );
        assert!(folded.contains(developer_word), "{developer_word} missing");
    }
    // The dashboard's "Filevine ↗" link stays on one line.
    let (_, projects) = html(&b, &app, "/projects").await;
    assert!(
        projects.contains("<td class=\"nowrap\"><a href=\"https://"),
        "nowrap cell"
    );
}

/// The feed form's answer to `fields` (name, connection and org given unless overridden).
async fn create(app: &TestApp, b: &Browser, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let (_, page) = html(b, app, "/settings/feeds").await;
    let csrf = csrf_of(&page);
    let mut form = vec![("csrf", csrf.as_str()), ("action", "create")];
    for (k, v) in [("name", "Weekly"), ("connection", "bi"), ("org", "5001")] {
        if !fields.iter().any(|(f, _)| *f == k) {
            form.push((k, v));
        }
    }
    form.extend_from_slice(fields);
    let r = b.post_form(&app.url("/settings/feeds"), &form).await;
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn feed_keys_refuse_a_foreign_org_an_unknown_phase_and_a_taken_name() {
    let app = spawn_app(admin_opts()).await;
    save_pat_connection(&app, "bi", "4", "").await;
    let (b, _) = admin(&app).await;
    // The service account is in Lovelace (5001) only.
    let (status, page) = create(&app, &b, &[("org", "5002")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("not in organization 5002"), "{page}");
    assert!(page.contains("5001"), "says which it is in: {page}");
    let (status, page) = create(&app, &b, &[("phase", "Discovry")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("phase called “Discovry”"), "{page}");
    assert!(page.contains("value=\"Discovry\""), "typed kept: {page}");
    // A real phase, then the same name again.
    let phase = fake_filevine::data::PHASES[0].0;
    let (status, page) = create(&app, &b, &[("phase", phase)]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(new_key(&page).is_some());
    let (status, page) = create(&app, &b, &[("name", " weekly ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("already called"), "{page}");
    assert!(!page.contains("(field"), "no field names: {page}");
    assert_eq!(app.state.db.feed_keys_list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_feed_for_an_org_its_connection_left_says_why() {
    let (app, _, _) = app_with_key(&[], &[]).await;
    // A key whose org the service account is not in (made before it left, say).
    let key = "fvfeed_a-key-for-an-org-the-bot-is-not-in";
    let bound = app.state.connections.get("bi").await.unwrap().unwrap();
    let row = fv_partner_app::store::FeedKeyRow {
        id: "00aa00aa00aa00aa".into(),
        name: "Okafor weekly".into(),
        connection: "bi".into(),
        connection_id: bound.id,
        org_id: 5002,
        filters: String::new(),
        key_hash: fv_partner_app::reporting::feeds::hash_key(key),
        created_by: "ada@lovelace-law.example".into(),
        created_at: app.state.clock.now_unix(),
        last_used_at: None,
        revoked_at: None,
    };
    app.state.db.feed_key_insert(&row).await.unwrap();
    let r = feed(&app, "/feeds/projects.csv", key, None).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("not a member of it") && text.contains("5002"),
        "{text}"
    );
    assert!(!text.contains("try again later"), "{text}");
}
