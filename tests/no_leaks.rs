//! Nothing secret leaks: every flow runs with trace-level logging captured, and no client
//! secret, token, authorization code, encryption key or session id may appear in any log line,
//! and no secret in any page body or response header of the app.

mod common;

use std::time::Duration;

use common::*;
use fake_filevine::Tamper;
use reqwest::{header, StatusCode};
use url::Url;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";

/// Everything at trace level: our code, the stand-in, axum, tower-http, tower-sessions, sqlx,
/// reqwest, hyper and rustls (the `log` records of the last ones are bridged in).
const LOG_FILTER: &str = "trace";

/// A browser that keeps a copy of every response the app sent it.
struct Recorder {
    browser: Browser,
    seen: Vec<String>,
}

impl Recorder {
    fn new(app: &TestApp) -> Self {
        Self {
            browser: app.browser(),
            seen: Vec::new(),
        }
    }

    /// Records status, headers and body; returns status, `Location` and body.
    async fn record(&mut self, r: reqwest::Response) -> (StatusCode, Option<String>, String) {
        let status = r.status();
        // The request's URL is ours (the callback's carries the code), not the app's answer.
        let mut dump = format!("{status}\n");
        let mut loc = None;
        for (name, value) in r.headers() {
            let value = value.to_str().unwrap_or("<binary>").to_owned();
            if name == header::LOCATION {
                loc = Some(value.clone());
                dump.push_str(&format!("{name}: {}\n", without_id_token_hint(&value)));
            } else {
                dump.push_str(&format!("{name}: {value}\n"));
            }
        }
        let body = r.text().await.unwrap();
        dump.push_str(&body);
        self.seen.push(dump);
        (status, loc, body)
    }

    async fn get(&mut self, app: &TestApp, path: &str) -> (StatusCode, Option<String>, String) {
        let r = self.browser.get(&app.url(path)).await;
        self.record(r).await
    }

    async fn get_url(&mut self, url: &Url) -> (StatusCode, Option<String>, String) {
        let r = self.browser.get(url).await;
        self.record(r).await
    }

    async fn post(
        &mut self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Option<String>, String) {
        let r = self.browser.post_form(&app.url(path), form).await;
        self.record(r).await
    }

    /// The login round trip; the provider's own answers (which carry the code) are not the
    /// app's and are not recorded.
    async fn login(&mut self, app: &TestApp, user: &str) -> (StatusCode, Option<String>, String) {
        let (status, loc, _) = self.get(app, "/auth/login?return_to=/profile").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let authorize = Url::parse(&loc.unwrap()).unwrap();
        let callback = self
            .browser
            .provider_choose(&authorize, Choice::User(user))
            .await;
        self.get_url(&callback).await
    }

    fn session_id(&self, app: &TestApp) -> Option<String> {
        self.browser.session_cookie(app)
    }
}

/// The RP-initiated logout redirect carries `id_token_hint` by the spec (OpenID Connect
/// RP-Initiated Logout 1.0, section 2): the provider needs it to know whose session to end and
/// to honour `post_logout_redirect_uri` (IdentityServer, which Filevine runs, ignores the
/// return URI without it). It is the one place a token is in a header, on purpose, sent only
/// to the provider that issued it, with `Referrer-Policy: no-referrer`, and after the local
/// session is gone. We blank exactly that parameter of exactly that header and check the rest.
fn without_id_token_hint(location: &str) -> String {
    match Url::parse(location) {
        Ok(mut u) if u.path() == "/connect/endsession" => {
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .into_owned()
                .map(|(k, v)| {
                    if k == "id_token_hint" {
                        (k, "<id_token_hint>".to_owned())
                    } else {
                        (k, v)
                    }
                })
                .collect();
            u.set_query(None);
            u.query_pairs_mut().extend_pairs(pairs);
            u.to_string()
        }
        _ => location.to_owned(),
    }
}

async fn spawn(opts: TestOptions) -> (TestApp, LogBuffer) {
    let logs = capture_logs(LOG_FILTER);
    (spawn_app(opts).await, logs)
}

/// Every secret of `app` (and its stand-in) in none of `haystacks`.
fn assert_no_secret(what: &str, haystack: &str, secrets: &[String]) {
    for s in secrets {
        if let Some(at) = haystack.find(s.as_str()) {
            let line_start = haystack[..at].rfind('\n').map_or(0, |i| i + 1);
            let line_end = haystack[at..].find('\n').map_or(haystack.len(), |i| at + i);
            let shown: String = haystack[line_start..line_end].chars().take(400).collect();
            panic!(
                "a secret ({}…) appears in {what}:\n{shown}",
                &s[..s.len().min(8)]
            );
        }
    }
}

fn secrets_of(app: &TestApp) -> Vec<String> {
    let mut secrets = app.control().issued_secrets();
    secrets.push(CLIENT_SECRET.to_owned());
    secrets.push(SECRET_KEY_HEX.to_owned());
    secrets.retain(|s| s.len() >= 8);
    assert!(secrets.iter().any(|s| s.starts_with("fvat_")));
    assert!(secrets.iter().any(|s| s.starts_with("fvrt_")));
    assert!(secrets.iter().any(|s| s.starts_with("fvac_")));
    assert!(secrets.iter().any(|s| s.starts_with("ey")), "ID tokens");
    secrets
}

#[tokio::test]
async fn no_secret_in_logs_pages_or_headers() {
    let (app, logs) = spawn(TestOptions::default()).await;
    let control = app.control();
    let mut session_ids = Vec::new();

    // Login, profile, proactive refresh, 401 retry.
    control.set_access_token_ttl(Duration::from_secs(30));
    let mut ada = Recorder::new(&app);
    let (status, _, _) = ada.login(&app, ADA).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    session_ids.extend(ada.session_id(&app));
    // Past the 30 s tokens' lifetime (the refresh margin is capped by the token's own
    // lifetime, so a short token alone no longer refreshes on every request).
    app.advance_clock(Duration::from_secs(31));
    let (status, _, html) = ada.get(&app, "/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        control.token_calls("refresh_token") >= 1,
        "proactive refresh ran"
    );
    control.set_access_token_ttl(Duration::from_secs(1200));
    ada.get(&app, "/profile").await;
    let refreshes = control.token_calls("refresh_token");
    control.expire_access_tokens();
    let (status, _, _) = ada.get(&app, "/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        control.token_calls("refresh_token"),
        refreshes + 1,
        "401 retry"
    );
    ada.get(&app, "/userinfo").await;
    ada.get(&app, "/").await;

    // Org switch, then logout.
    let mut ben = Recorder::new(&app);
    let (_, loc, _) = ben.login(&app, BEN).await;
    session_ids.extend(ben.session_id(&app));
    let (_, _, page) = ben.get(&app, &loc.unwrap()).await;
    let csrf = csrf_of(&page);
    let (status, _, _) = ben
        .post(
            &app,
            "/org",
            &[
                ("csrf", &csrf),
                ("org_id", "5002"),
                ("return_to", "/profile"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    ben.get(&app, "/profile").await;
    ben.post(&app, "/org", &[("csrf", "forged"), ("org_id", "5001")])
        .await;
    let (status, loc, _) = ben.post(&app, "/auth/logout", &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let end_session = Url::parse(&loc.unwrap()).unwrap();
    assert!(end_session.query_pairs().any(|(k, _)| k == "id_token_hint"));
    let landing = location(&ben.browser.get(&end_session).await);
    ben.get_url(&landing).await;
    let (_, _, _) = ada
        .post(&app, "/auth/logout", &[("csrf", &csrf_of(&html))])
        .await;

    // Failed logins: every kind of refusal, some after tokens were issued.
    for tamper in [
        Tamper::WrongNonce,
        Tamper::BadSignature,
        Tamper::AlgNone,
        Tamper::HmacWithClientSecret,
        Tamper::NoSubject,
        Tamper::Expired,
        Tamper::WrongIssuer,
    ] {
        control.set_id_token_tamper(Some(tamper));
        let mut b = Recorder::new(&app);
        let (status, _, _) = b.login(&app, ADA).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{tamper:?}");
        session_ids.extend(b.session_id(&app));
    }
    control.set_id_token_tamper(None);
    control.set_userinfo_sub(Some("fv-user-other".into()));
    let mut b = Recorder::new(&app);
    assert_eq!(b.login(&app, ADA).await.0, StatusCode::BAD_REQUEST);
    control.set_userinfo_sub(None);
    control.set_token_endpoint_down(true);
    let mut b = Recorder::new(&app);
    assert_eq!(b.login(&app, ADA).await.0, StatusCode::BAD_REQUEST);
    control.set_token_endpoint_down(false);
    // A replayed callback and one from another browser.
    let mut b = Recorder::new(&app);
    let (_, loc, _) = b.get(&app, "/auth/login").await;
    let callback = b
        .browser
        .provider_choose(&Url::parse(&loc.unwrap()).unwrap(), Choice::User(ADA))
        .await;
    let mut other = Recorder::new(&app);
    assert_eq!(other.get_url(&callback).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(b.get_url(&callback).await.0, StatusCode::SEE_OTHER);
    assert_eq!(b.get_url(&callback).await.0, StatusCode::BAD_REQUEST);
    session_ids.extend(b.session_id(&app));
    // A callback whose code the token endpoint refuses.
    let mut forged = callback.clone();
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "code" {
                (k, format!("{v}x"))
            } else {
                (k, v)
            }
        })
        .collect();
    forged.set_query(None);
    forged.query_pairs_mut().extend_pairs(pairs);
    b.get_url(&forged).await;

    let secrets = secrets_of(&app);
    for page in ada
        .seen
        .iter()
        .chain(&ben.seen)
        .chain(&b.seen)
        .chain(&other.seen)
    {
        assert_no_secret("a response of the app", page, &secrets);
    }
    let mut log_secrets = secrets.clone();
    log_secrets.extend(session_ids.into_iter().filter(|s| s.len() >= 8));
    let text = logs.text();
    assert!(
        text.contains("TRACE") && text.contains("login failed") && text.contains("signed in"),
        "trace logs were captured"
    );
    assert_no_secret("the log", &text, &log_secrets);
}

/// The same under https (rustls and axum-server log too).
#[tokio::test]
async fn no_secret_in_logs_pages_or_headers_under_https() {
    let (app, logs) = spawn(TestOptions {
        https: true,
        ..Default::default()
    })
    .await;
    let mut ada = Recorder::new(&app);
    let (status, _, _) = ada.login(&app, ADA).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = ada.session_id(&app).expect("__Host- session cookie");
    let (_, _, html) = ada.get(&app, "/profile").await;
    app.control().expire_access_tokens();
    assert_eq!(ada.get(&app, "/profile").await.0, StatusCode::OK);
    ada.post(&app, "/auth/logout", &[("csrf", &csrf_of(&html))])
        .await;
    let secrets = secrets_of(&app);
    for page in &ada.seen {
        assert_no_secret("a response of the app", page, &secrets);
    }
    let mut log_secrets = secrets;
    log_secrets.push(session);
    assert_no_secret("the log", &logs.text(), &log_secrets);
}
