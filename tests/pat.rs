//! The service account's PAT: the token source (cache, single flight, refusals, outages),
//! the settings page (admins only, Verify then Save, Remove, CSRF, nothing leaks) and
//! `fv-partner-app pat verify`.

mod common;

use fake_filevine::DEMO_PAT;
use std::{
    io::Write,
    process::Command,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use common::*;
use fv_partner_app::service_account::{PatClient, PatError};
use reqwest::{header, StatusCode};
use secrecy::SecretString;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";
const BOT_EMAIL: &str = "reporting-bot@lovelace-law.example";
const PAT_GRANT: &str = "personal_access_token";
const WRONG_PAT: &str = "fvpat_wrong_value_for_tests_9f8e7d6c5b4a";

// ------------------------------------------------------------------ captured logs

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log line of this test binary (debug and up) to a buffer, before the harness
/// installs its own subscriber.
fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let b = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_ansi(false)
            .with_writer(move || Capture(b.clone()))
            .try_init();
        buf
    })
    .clone()
}

fn logs_text() -> String {
    String::from_utf8_lossy(&capture_logs().lock().unwrap()).into_owned()
}

// ------------------------------------------------------------------ helpers

fn client_of(app: &TestApp) -> PatClient {
    let mut c = app.state.connections.pat_client().clone();
    c.backoff = Duration::from_millis(20);
    c
}

fn admin_opts() -> TestOptions {
    TestOptions {
        extra_env: vec![(
            "FV_ADMIN_EMAILS".into(),
            "someone@else.example, ADA@Lovelace-Law.example".into(),
        )],
        ..Default::default()
    }
}

async fn signed_in(app: &TestApp, sub: &str) -> Browser {
    let b = app.browser();
    b.login(app, sub, None).await;
    b
}

async fn settings_html(app: &TestApp, b: &Browser) -> (StatusCode, String) {
    let r = b.get(&app.url("/settings/connections")).await;
    (r.status(), r.text().await.unwrap())
}

/// Every file in the test's database directory (the SQLite file, -wal, -shm), concatenated.
fn db_bytes(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(app.db_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

// ------------------------------------------------------------------ token source

#[tokio::test]
async fn one_exchange_serves_many_calls_and_a_new_one_follows_expiry() {
    capture_logs();
    let app = spawn_app(TestOptions {
        access_token_ttl: Duration::from_secs(300),
        ..Default::default()
    })
    .await;
    let source = client_of(&app).source(SecretString::from(DEMO_PAT));
    let first = source.token().await.unwrap();
    for _ in 0..20 {
        let t = source.token().await.unwrap();
        assert_eq!(t.secret(), first.secret());
    }
    assert_eq!(app.control().token_calls(PAT_GRANT), 1);
    assert_eq!(first.lifetime, Duration::from_secs(300));
    assert!(first.missing_scopes.is_empty(), "{first:?}");
    // Renewed 30 s (a tenth of the lifetime) before expiry, by the app's clock: at 260 s the
    // token is still handed out, at 275 s a new one is minted.
    app.advance_clock(Duration::from_secs(260));
    assert_eq!(source.token().await.unwrap().secret(), first.secret());
    assert_eq!(app.control().token_calls(PAT_GRANT), 1);
    app.advance_clock(Duration::from_secs(15));
    let second = source.token().await.unwrap();
    assert_ne!(second.secret(), first.secret());
    assert_eq!(app.control().token_calls(PAT_GRANT), 2);
    // The new token works at the gateway.
    let who = app.state.gateway.user_orgs(second.secret()).await.unwrap();
    assert_eq!(who.user.email.as_deref(), Some(BOT_EMAIL));
}

#[tokio::test]
async fn a_gateway_401_mints_one_new_token_and_retries_once() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let source = client_of(&app).source(SecretString::from(DEMO_PAT));
    source.token().await.unwrap();
    app.control().expire_access_tokens();
    let gw = fv_partner_app::filevine::AuthedGateway::new(app.state.gateway.clone(), source);
    let who = gw.user_orgs().await.unwrap();
    assert_eq!(who.user.email.as_deref(), Some(BOT_EMAIL));
    assert_eq!(app.control().token_calls(PAT_GRANT), 2);
}

#[tokio::test]
async fn fifty_concurrent_callers_cause_one_exchange() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let source = client_of(&app).source(SecretString::from(DEMO_PAT));
    let calls = (0..50).map(|_| {
        let s = source.clone();
        async move { s.token().await.map(|t| t.secret().to_owned()) }
    });
    let tokens = futures::future::join_all(calls).await;
    let first = tokens[0].as_ref().unwrap().clone();
    assert!(tokens.iter().all(|t| t.as_ref().ok() == Some(&first)));
    assert_eq!(app.control().token_calls(PAT_GRANT), 1);
}

#[tokio::test]
async fn refused_pat_is_explained_and_not_asked_again() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let source = client_of(&app).source(SecretString::from(WRONG_PAT));
    let e = source.token().await.unwrap_err();
    assert!(matches!(e, PatError::Rejected), "{e:?}");
    let msg = e.to_string();
    for word in ["revoked", "mistyped", "activated"] {
        assert!(msg.contains(word), "{msg}");
    }
    assert!(!msg.contains(WRONG_PAT));
    let again = source.token().await.unwrap_err();
    assert!(matches!(again, PatError::Rejected));
    assert_eq!(
        app.control().token_calls(PAT_GRANT),
        1,
        "remembered, not retried"
    );
    // Concurrent callers after a refusal do not reach the provider either.
    let many = (0..10).map(|_| source.token());
    assert!(futures::future::join_all(many)
        .await
        .iter()
        .all(|r| r.is_err()));
    assert_eq!(app.control().token_calls(PAT_GRANT), 1);
    assert!(!logs_text().contains(WRONG_PAT), "PAT in the logs");
    // The refusal is remembered for 5 minutes by the app's clock, then asked again.
    app.advance_clock(Duration::from_secs(295));
    assert!(source.token().await.is_err());
    assert_eq!(app.control().token_calls(PAT_GRANT), 1, "4:55 later");
    app.advance_clock(Duration::from_secs(10));
    assert!(source.token().await.is_err());
    assert_eq!(app.control().token_calls(PAT_GRANT), 2, "5:05 later");
}

#[tokio::test]
async fn provider_outage_is_retried_a_bounded_number_of_times() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let source = client_of(&app).source(SecretString::from(DEMO_PAT));
    app.control().set_token_endpoint_down(true);
    let e = source.token().await.unwrap_err();
    assert!(matches!(e, PatError::Unavailable(_)), "{e:?}");
    assert_eq!(app.control().token_calls(PAT_GRANT), 3, "three attempts");
    app.control().set_token_endpoint_down(false);
    assert!(source.token().await.is_ok(), "an outage is not remembered");
    assert_eq!(app.control().token_calls(PAT_GRANT), 4);
}

#[tokio::test]
async fn a_token_without_the_gateway_scope_is_refused() {
    capture_logs();
    let app = spawn_app(TestOptions::default()).await;
    let no_gateway = client_of(&app)
        .with_scopes(vec!["openid".into(), "email".into()])
        .source(SecretString::from(DEMO_PAT));
    // The stand-in grants exactly what is asked: asking without the gateway scope means it is
    // not granted.
    let e = no_gateway.token().await.unwrap_err();
    assert!(matches!(e, PatError::MissingGatewayScope { .. }), "{e:?}");
    assert!(e.to_string().contains("fv.api.gateway.access"));
}

// ------------------------------------------------------------------ settings page

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

    // Save: stored sealed, current, shown by its last four characters only.
    let (c, a) = form("save");
    let r = ada
        .post_form(
            &app.url("/settings/connections"),
            &[("csrf", &c), ("action", a), ("name", "default")],
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
            &[("csrf", &c), ("action", a), ("name", "default")],
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

// ------------------------------------------------------------------ pat verify

fn bin(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("FV_") || k == "DATABASE_URL" || k == "CLIENT_ID" || k == "CLIENT_SECRET" {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn");
    c.env("DATABASE_URL", format!("sqlite://{}/pat.db", dir.display()));
    c.args(["pat", "verify"]);
    c
}

fn run(c: &mut Command) -> (Option<i32>, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn pat_verify_in_demo_mode_says_who_the_pat_is() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&mut bin(dir.path()));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("Reporting Bot <reporting-bot@lovelace-law.example>"),
        "{out}"
    );
    assert!(out.contains("Service account"), "{out}");
    assert!(out.contains("#5001"), "{out}");
    assert!(out.contains("1200 s"), "{out}");
    assert!(out.contains("fv.api.gateway.access"), "{out}");
    assert!(out.trim_end().ends_with("OK"), "{out}");
    assert!(!out.contains(DEMO_PAT) && !err.contains(DEMO_PAT));
}

#[test]
fn pat_verify_with_another_service_account_email_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) =
        run(bin(dir.path()).env("FV_SERVICE_ACCOUNT_EMAIL", "ada@lovelace-law.example"));
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("FV_SERVICE_ACCOUNT_EMAIL"), "{err}");
    assert!(err.contains(BOT_EMAIL), "{err}");
    // The right email passes.
    let (code, out, _) =
        run(bin(dir.path()).env("FV_SERVICE_ACCOUNT_EMAIL", BOT_EMAIL.to_uppercase()));
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn pat_verify_with_a_bad_pat_fails_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bin(dir.path())
        .env("FV_DEMO", "true")
        .env("FV_PAT", WRONG_PAT)
        .env("RUST_LOG", "debug"));
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("refused the personal access token"), "{err}");
    assert!(
        out.contains("…4a") || out.contains("5b4a"),
        "last four shown: {out}"
    );
    assert!(
        !out.contains(WRONG_PAT) && !err.contains(WRONG_PAT),
        "PAT printed"
    );
}

#[test]
fn pat_verify_without_a_pat_outside_demo_says_to_set_fv_pat() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bin(dir.path())
        .env("FV_DEMO", "false")
        .env("FV_AUTHORITY", "http://127.0.0.1:9")
        .env("FV_GATEWAY_URL", "http://127.0.0.1:9")
        .env("FV_CLIENT_ID", "id")
        .env("FV_CLIENT_SECRET", "secret-secret")
        .env("FV_SECRET_KEY", SECRET_KEY_HEX));
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(err.contains("set FV_PAT"), "{err}");
}

#[test]
fn pat_verify_with_the_provider_unreachable_fails_helpfully() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bin(dir.path())
        .env("FV_DEMO", "false")
        .env("FV_AUTHORITY", "http://127.0.0.1:9")
        .env("FV_GATEWAY_URL", "http://127.0.0.1:9")
        .env("FV_CLIENT_ID", "id")
        .env("FV_CLIENT_SECRET", "secret-secret")
        .env("FV_SECRET_KEY", SECRET_KEY_HEX)
        .env("FV_PAT", WRONG_PAT));
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("unreachable"), "{err}");
    assert!(!out.contains(WRONG_PAT) && !err.contains(WRONG_PAT));
}
