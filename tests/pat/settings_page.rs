//! The connections page for the PAT: admins only, Verify then Save, Remove, restart, CSRF,
//! `FV_PAT` read-only, and the PAT never leaking.

use super::*;

#[tokio::test]
async fn non_admin_gets_403_and_no_form() {
    capture_logs();
    let app = spawn_app(admin_opts()).await;
    let ben = signed_in(&app, BEN).await;
    let (status, html) = settings_html(&app, &ben).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("administrators"), "{html}");
    assert!(!html.contains("name=\"pat\""), "{html}");
    assert!(
        !html.contains("href=\"/settings/connections\""),
        "no Settings link: {html}"
    );
    // Posting is refused too, even with a valid CSRF token.
    let home = ben.get(&app.url("/")).await.text().await.unwrap();
    let csrf = csrf_of(&home);
    let r = ben
        .post_form(
            &app.url("/settings/connections"),
            &[
                ("csrf", &csrf),
                ("action", "verify"),
                ("name", "default"),
                ("pat", DEMO_PAT),
                ("email", BOT_EMAIL),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.control().token_calls(PAT_GRANT), 0);
    // Signed out: sent to login.
    let r = app.browser().get(&app.url("/settings/connections")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn admin_sees_settings_link_and_form() {
    capture_logs();
    let app = spawn_app(admin_opts()).await;
    let ada = signed_in(&app, ADA).await;
    let home = ada.get(&app.url("/")).await.text().await.unwrap();
    assert!(home.contains("href=\"/settings/connections\""), "{home}");
    let (status, html) = settings_html(&app, &ada).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("type=\"password\" autocomplete=\"off\""),
        "{html}"
    );
    assert!(html.contains("Not connected"), "{html}");
    assert!(!html.contains("Demo mode: <code>FV_ADMIN_EMAILS</code>"));
}

#[tokio::test]
async fn verify_with_the_wrong_email_is_refused() {
    capture_logs();
    let app = spawn_app(admin_opts()).await;
    let ada = signed_in(&app, ADA).await;
    let (_, html) = settings_html(&app, &ada).await;
    let csrf = csrf_of(&html);
    let r = ada
        .post_form(
            &app.url("/settings/connections"),
            &[
                ("csrf", &csrf),
                ("action", "verify"),
                ("name", "default"),
                ("pat", DEMO_PAT),
                ("email", "ada@lovelace-law.example"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("belongs to"), "{html}");
    assert!(html.contains(BOT_EMAIL), "{html}");
    assert!(!html.contains(DEMO_PAT), "PAT echoed back");
    // Nothing is waiting to be saved.
    let r = ada
        .post_form(
            &app.url("/settings/connections"),
            &[("csrf", &csrf), ("action", "save"), ("name", "default")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app
        .state
        .db
        .connection_get("default")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_refused_pat_is_explained_on_the_page() {
    capture_logs();
    let app = spawn_app(admin_opts()).await;
    let ada = signed_in(&app, ADA).await;
    let csrf = csrf_of(&settings_html(&app, &ada).await.1);
    let r = ada
        .post_form(
            &app.url("/settings/connections"),
            &[
                ("csrf", &csrf),
                ("action", "verify"),
                ("name", "default"),
                ("pat", WRONG_PAT),
                ("email", BOT_EMAIL),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("revoked"), "{html}");
    assert!(!html.contains(WRONG_PAT));
}

#[tokio::test]
async fn verify_save_reload_remove_without_leaking_the_pat() {
    let logs = capture_logs();
    let app = spawn_app(admin_opts()).await;
    let ada = signed_in(&app, ADA).await;
    let (_, html) = settings_html(&app, &ada).await;
    let csrf = csrf_of(&html);
    let form = |action: &'static str| (csrf.clone(), action);

    // Verify: the result waits in the session; the PAT is not in the page.
    let (c, a) = form("verify");
    let r = ada
        .post_form(
            &app.url("/settings/connections"),
            &[
                ("csrf", &c),
                ("action", a),
                ("name", "default"),
                ("pat", DEMO_PAT),
                ("email", "Reporting-Bot@lovelace-law.example"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/settings/connections");
    let (_, html) = settings_html(&app, &ada).await;
    assert!(html.contains("Verified: ready to save"), "{html}");
    assert!(html.contains("Reporting Bot"), "{html}");
    assert!(html.contains("Service account"), "{html}");
    assert!(!html.contains(DEMO_PAT));
    assert!(
        app.state.connections.source("default").is_none(),
        "not current before Save"
    );
    assert!(
        !contains(&db_bytes(&app), DEMO_PAT),
        "PAT in the session store"
    );

    // Save (the fields as verified): stored sealed, current, shown by its last four
    // characters only.
    let (c, a) = form("save");
    let r = ada
        .post_form(
            &app.url("/settings/connections"),
            &[
                ("csrf", &c),
                ("action", a),
                ("name", "default"),
                ("email", "Reporting-Bot@lovelace-law.example"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = settings_html(&app, &ada).await;
    assert!(html.contains("Saved."), "{html}");
    assert!(html.contains("ending in …cdef"), "{html}");
    assert!(html.contains("<code>ok</code>"), "{html}");
    assert!(!html.contains(DEMO_PAT));
    assert!(!html.contains("Verified: ready to save"));
    let row = app
        .state
        .db
        .connection_get("default")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.last4, "cdef");
    assert_eq!(row.updated_by, "ada@lovelace-law.example");
    let source = app
        .state
        .connections
        .source("default")
        .expect("current after Save");
    source.token().await.unwrap();
    // Reload: the flash is gone, the connection stays.
    let (_, html) = settings_html(&app, &ada).await;
    assert!(!html.contains("Saved."));
    assert!(html.contains("Reporting Bot"));

    // Test connection: works, then records the error once the PAT is refused.
    let (c, a) = form("test");
    let test = [("csrf", c.as_str()), ("action", a), ("name", "default")];
    let r = ada
        .post_form(&app.url("/settings/connections"), &test)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = settings_html(&app, &ada).await;
    assert!(html.contains("The connection works"), "{html}");
    app.state
        .connections
        .put_pat("default", SecretString::from(WRONG_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    ada.post_form(&app.url("/settings/connections"), &test)
        .await;
    let (_, html) = settings_html(&app, &ada).await;
    assert!(html.contains("The connection test failed"), "{html}");
    let row = app
        .state
        .db
        .connection_get("default")
        .await
        .unwrap()
        .unwrap();
    assert!(row.last_error.unwrap().contains("refused"));

    let bytes = db_bytes(&app);
    assert!(!bytes.is_empty());
    assert!(!contains(&bytes, DEMO_PAT), "PAT in the database files");
    assert!(
        !String::from_utf8_lossy(&logs.lock().unwrap()).contains(DEMO_PAT),
        "PAT in the logs"
    );

    // Remove.
    let (c, a) = form("remove");
    let r = ada
        .post_form(
            &app.url("/settings/connections"),
            &[
                ("csrf", &c),
                ("action", a),
                ("name", "default"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = settings_html(&app, &ada).await;
    assert!(html.contains("Not connected"), "{html}");
    assert!(!html.contains("…cdef"));
    assert!(app.state.connections.source("default").is_none());
    assert!(app
        .state
        .db
        .connection_get("default")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_saved_pat_survives_a_restart_on_the_same_database() {
    capture_logs();
    let app = spawn_app(admin_opts()).await;
    let ada = signed_in(&app, ADA).await;
    let csrf = csrf_of(&settings_html(&app, &ada).await.1);
    for form in [
        vec![
            ("csrf", csrf.as_str()),
            ("action", "verify"),
            ("name", "default"),
            ("pat", DEMO_PAT),
            ("email", BOT_EMAIL),
        ],
        vec![
            ("csrf", csrf.as_str()),
            ("action", "save"),
            ("name", "default"),
            ("email", BOT_EMAIL),
        ],
    ] {
        let r = ada
            .post_form(&app.url("/settings/connections"), &form)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    // A second app on the same database and key loads the stored PAT at start-up.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let settings = settings_for(
        &app.fake,
        port,
        &admin_opts(),
        &format!("sqlite://{}", app.db_path.display()),
    );
    let second = fv_partner_app::startup::Application::build_with_listener(settings, listener)
        .await
        .unwrap();
    let source = second
        .state()
        .connections
        .source("default")
        .expect("loaded from the database");
    assert_eq!(source.last4(), "cdef");
    source.token().await.unwrap();
}

#[tokio::test]
async fn posts_without_the_csrf_token_are_refused() {
    capture_logs();
    let app = spawn_app(admin_opts()).await;
    let ada = signed_in(&app, ADA).await;
    for csrf in ["", "not-the-token"] {
        let r = ada
            .post_form(
                &app.url("/settings/connections"),
                &[
                    ("csrf", csrf),
                    ("action", "verify"),
                    ("name", "default"),
                    ("pat", DEMO_PAT),
                    ("email", BOT_EMAIL),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(app.control().token_calls(PAT_GRANT), 0);
}

#[tokio::test]
async fn a_pat_from_the_environment_is_read_only() {
    capture_logs();
    let mut opts = admin_opts();
    opts.extra_env.push(("FV_PAT".into(), DEMO_PAT.into()));
    opts.extra_env
        .push(("FV_SERVICE_ACCOUNT_EMAIL".into(), BOT_EMAIL.into()));
    let app = spawn_app(opts).await;
    assert!(app.state.connections.source("env").is_some());
    let ada = signed_in(&app, ADA).await;
    let (status, html) = settings_html(&app, &ada).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Configured from the environment"), "{html}");
    assert!(html.contains("ending in …cdef"), "{html}");
    assert!(html.contains(BOT_EMAIL));
    assert!(!html.contains("id=\"pat-env\""), "no form: {html}");
    assert!(!html.contains(DEMO_PAT));
    let csrf = csrf_of(&html);
    let r = ada
        .post_form(
            &app.url("/settings/connections"),
            &[("csrf", &csrf), ("action", "remove"), ("name", "env")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.state.connections.source("env").is_some());
}
