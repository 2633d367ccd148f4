//! What the ended-session tests share: a thief replaying a stolen session cookie, the three
//! ways a session is ended from elsewhere, the session's rows read straight from the database,
//! and a PostgreSQL database of the test's own (its "end all sessions of" and back-channel
//! logouts must not reach other tests' sessions in the shared one).
#![allow(dead_code)]

use std::time::Duration;

use fv_partner_app::store::Db;
use reqwest::{header, StatusCode};
use tower_sessions_sqlx_store::sqlx;

use crate::common::*;

/// Ben: in two organizations (so `POST /org` has a choice), and an admin in these tests.
pub const BEN: &str = "fv-user-1002";
pub const BEN_EMAIL: &str = "ben@okafor-injury.example";
/// Ada: an admin, who ends Ben's sessions from `/settings/sessions`.
pub const ADA: &str = "fv-user-1001";

/// An app where Ada and Ben are admins, on `database_url` (SQLite in a temporary folder when
/// `None`).
pub fn options(database_url: Option<String>) -> TestOptions {
    TestOptions {
        database_url,
        extra_env: vec![(
            "FV_ADMIN_EMAILS".into(),
            format!("ada@lovelace-law.example,{BEN_EMAIL}"),
        )],
        ..Default::default()
    }
}

/// A database of this test's own on the test server (`FV_TEST_DATABASE_URL`), dropped with
/// the returned guard.
pub async fn private_postgres(tag: &str) -> PrivateDb {
    let base = url::Url::parse(&postgres_url()).expect("FV_TEST_DATABASE_URL is a URL");
    let name = format!("fv_ended_{tag}_{}", std::process::id());
    // One connection: the server is shared, and this one only creates and drops a database.
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(base.as_str())
        .await
        .unwrap();
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    let mut url = base.clone();
    url.set_path(&format!("/{name}"));
    PrivateDb {
        url: url.to_string(),
        name,
        admin,
    }
}

/// A test's own PostgreSQL database.
pub struct PrivateDb {
    pub url: String,
    name: String,
    admin: sqlx::PgPool,
}

impl PrivateDb {
    /// Drops the database (the app's connections with it).
    pub async fn drop_now(self) {
        let _ = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&self.admin)
        .await;
    }
}

/// One session as the database holds it: the table's id and the vault row it names.
#[derive(Clone, Debug)]
pub struct StoredSession {
    /// The cookie's value, as a thief would replay it.
    pub cookie: String,
    pub stored_id: String,
    pub vault_id: String,
}

impl StoredSession {
    /// The session `b` is signed in with (it must be indexed).
    pub async fn of(app: &TestApp, b: &Browser) -> Self {
        let cookie = b.session_cookie(app).expect("signed in");
        let stored_id = super::backchannel::stored_id_of_cookie(app, &cookie).to_string();
        let row = app
            .state
            .db
            .sessions_all(0)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.stored_id == stored_id)
            .expect("the session is indexed");
        Self {
            cookie,
            stored_id,
            vault_id: row.vault_id,
        }
    }
}

/// `sql` with `{sessions}` replaced by the name of tower-sessions' table on `app`'s database.
fn with_sessions_table(app: &TestApp, sql: &str) -> String {
    let table = match &app.state.db {
        Db::Sqlite(_) => "tower_sessions",
        Db::Postgres(_) => "\"tower_sessions\".\"session\"",
    };
    sql.replace("{sessions}", table)
}

/// How many rows `sql` counts with `bind` as `$1`; `{sessions}` names tower-sessions' table.
pub async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    let sql = with_sessions_table(app, sql);
    match &app.state.db {
        Db::Sqlite(p) => {
            sqlx::query_scalar::<_, i64>(&sql)
                .bind(bind)
                .fetch_one(p)
                .await
        }
        Db::Postgres(p) => {
            sqlx::query_scalar::<_, i64>(&sql)
                .bind(bind)
                .fetch_one(p)
                .await
        }
    }
    .unwrap()
}

/// The stored record's expiry, as text: every save of a session moves it.
pub async fn record_expiry(app: &TestApp, s: &StoredSession) -> Option<String> {
    const SQL: &str = "SELECT CAST(expiry_date AS TEXT) FROM {sessions} WHERE id = $1";
    let sql = with_sessions_table(app, SQL);
    match &app.state.db {
        Db::Sqlite(p) => sqlx::query_scalar::<_, String>(&sql)
            .bind(&s.stored_id)
            .fetch_optional(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar::<_, String>(&sql)
            .bind(&s.stored_id)
            .fetch_optional(p)
            .await
            .unwrap(),
    }
}

/// Asserts that `s` is gone for good: no record, no index row, no tokens, no stored record that
/// the index does not name, and the thief's next requests are signed out (the home page offers
/// the login; a page sends to it).
pub async fn assert_ended(app: &TestApp, s: &StoredSession, case: &str) {
    let record = "SELECT COUNT(*) FROM {sessions} WHERE id = $1";
    assert_eq!(count(app, record, &s.stored_id).await, 0, "{case}: record");
    let index = "SELECT COUNT(*) FROM fv_session_index WHERE stored_id = $1";
    assert_eq!(
        count(app, index, &s.stored_id).await,
        0,
        "{case}: index row"
    );
    let vault = "SELECT COUNT(*) FROM fv_token_vault WHERE id = $1";
    assert_eq!(count(app, vault, &s.vault_id).await, 0, "{case}: tokens");
    assert_every_record_indexed(app, case).await;
    let thief = Thief::new(app, s, "");
    let home = thief.get("/").await;
    assert_eq!(home.status(), StatusCode::OK, "{case}: home");
    let html = home.text().await.unwrap();
    assert!(
        html.contains("Login with Filevine") && !html.contains("Log out"),
        "{case}: the home page shows a signed-out visitor"
    );
    let page = thief.get("/account/sessions").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "{case}: a page");
    assert_eq!(location(&page).path(), "/auth/login", "{case}: a page");
    assert_eq!(
        count(app, record, &s.stored_id).await,
        0,
        "{case}: still no record"
    );
}

/// No stored record is missing from the session index (such a session could be listed and
/// ended by nothing).
pub async fn assert_every_record_indexed(app: &TestApp, case: &str) {
    let sql = "SELECT COUNT(*) FROM {sessions}
        WHERE id NOT IN (SELECT stored_id FROM fv_session_index) AND id <> $1";
    assert_eq!(count(app, sql, "").await, 0, "{case}: unindexed records");
}

/// Someone replaying a session cookie, with no cookie jar of their own (a `Set-Cookie` that
/// deletes it changes nothing for them) and redirects off.
#[derive(Clone)]
pub struct Thief {
    http: reqwest::Client,
    base: url::Url,
    cookie: String,
    pub csrf: String,
    /// Whether the thief may press "Sign out everywhere else" too: not while the session is
    /// to be ended from Ben's own other browser, which it would sign out first.
    pub signs_out_others: bool,
}

impl Thief {
    pub fn new(app: &TestApp, s: &StoredSession, csrf: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            http,
            base: app.base.clone(),
            cookie: format!("fv_session={}", s.cookie),
            csrf: csrf.to_owned(),
            signs_out_others: false,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.base.join(path).unwrap())
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        self.http
            .post(self.base.join(path).unwrap())
            .header(header::COOKIE, &self.cookie)
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    /// How many kinds of request [`Thief::writer`] makes.
    pub const WRITERS: usize = 11;
    /// The writer that switches org: it answers with a redirect to `/` anyway.
    pub const ORG_SWITCH: usize = 4;

    /// Request number `i` of the pages that write the session: the ones that take a one-time
    /// notice, the profile (it saves what the gateway says of the user), the org switch, the
    /// admin forms that leave a notice, the PAT verification (it keeps the verified PAT in the
    /// session after the provider's answer), the own sessions form (its notice), and (with the
    /// last-use time due) any page.
    pub async fn writer(&self, i: usize) -> reqwest::Response {
        match i % Self::WRITERS {
            0 => self.get("/settings/connections").await,
            1 => self.get("/settings/sessions").await,
            2 => self.get("/account/sessions").await,
            3 => self.get("/profile").await,
            4 => {
                let org = if i % 2 == 0 { "5001" } else { "5002" };
                self.post("/org", &[("org_id", org), ("return_to", "/")])
                    .await
            }
            5 => {
                self.post("/settings/connections", &[("action", "cancel")])
                    .await
            }
            6 => {
                self.post("/settings/sessions", &[("email", "nobody@example.test")])
                    .await
            }
            7 => self.get("/").await,
            8 => self.get("/projects").await,
            9 => {
                let form = [
                    ("action", "verify"),
                    ("name", "thief-draft"),
                    ("environment", "us"),
                    ("auth", "pat"),
                    ("pat", fake_filevine::DEMO_PAT),
                    ("email", fake_filevine::REPORTING_BOT.email),
                    ("concurrency", "2"),
                ];
                self.post("/settings/connections", &form).await
            }
            _ if self.signs_out_others => {
                self.post("/account/sessions", &[("action", "sign_out_others")])
                    .await
            }
            _ => self.get("/reports").await,
        }
    }
}

/// The three ways a session is ended from elsewhere.
#[derive(Clone, Copy, Debug)]
pub enum Ending {
    /// Ben, in another browser, presses "Sign out everywhere else" on `/account/sessions`.
    OwnSessionsPage,
    /// Ada, an admin, ends all sessions of Ben's email on `/settings/sessions`.
    AdminPage,
    /// Ben's provider posts a logout token for him (`sub` only: all his sessions).
    BackchannelLogout,
}

/// Whoever ends the session, ready: a browser signed in with its CSRF token (none for a
/// back-channel logout, which the provider sends).
pub struct Ender {
    ending: Ending,
    browser: Browser,
    csrf: String,
}

impl Ender {
    pub async fn new(app: &TestApp, ending: Ending) -> Self {
        let browser = app.browser();
        let (who, page) = match ending {
            Ending::OwnSessionsPage => (BEN, "/account/sessions"),
            Ending::AdminPage => (ADA, "/settings/sessions"),
            Ending::BackchannelLogout => {
                return Self {
                    ending,
                    browser,
                    csrf: String::new(),
                }
            }
        };
        browser.login(app, who, None).await;
        let html = browser.get(&app.url(page)).await.text().await.unwrap();
        Self {
            ending,
            csrf: csrf_of(&html),
            browser,
        }
    }

    /// Ends the session(s) of Ben this way.
    pub async fn end(&self, app: &TestApp) {
        let r = match self.ending {
            Ending::OwnSessionsPage => {
                let form = [("csrf", self.csrf.as_str()), ("action", "sign_out_others")];
                self.browser
                    .post_form(&app.url("/account/sessions"), &form)
                    .await
            }
            Ending::AdminPage => {
                let form = [("csrf", self.csrf.as_str()), ("email", BEN_EMAIL)];
                self.browser
                    .post_form(&app.url("/settings/sessions"), &form)
                    .await
            }
            Ending::BackchannelLogout => {
                let control = app.control();
                let claims = control.logout_claims(CLIENT_ID, BEN, None);
                super::backchannel::post_logout_token(
                    app,
                    &control.sign_logout_token(&claims, None),
                )
                .await
            }
        };
        let want = match self.ending {
            Ending::BackchannelLogout => StatusCode::OK,
            _ => StatusCode::SEE_OTHER,
        };
        assert_eq!(r.status(), want, "{:?}", self.ending);
    }
}

/// Ben signs in with a fresh browser (in his first organization when he has not chosen one
/// yet): the session a thief will replay, and its CSRF token.
pub async fn stolen_session(app: &TestApp) -> (StoredSession, Thief) {
    let b = app.browser();
    let landed = b.login(app, BEN, None).await;
    let html = b
        .get(&app.url("/account/sessions"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    if landed.starts_with("/org") {
        let form = [("csrf", csrf.as_str()), ("org_id", "5001")];
        let r = b.post_form(&app.url("/org"), &form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "org chosen");
    }
    let stored = StoredSession::of(app, &b).await;
    let thief = Thief::new(app, &stored, &csrf);
    (stored, thief)
}
