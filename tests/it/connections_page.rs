//! `/settings/connections`, black-box: a PAT connection created through the form (the field
//! names are an interface), bad input refused with the other fields kept, the audit log,
//! admins only, CSRF, and the old `/settings/integration` address.

use crate::common;

use common::{connections::*, *};
use fake_filevine::DEMO_PAT;
use reqwest::{header, StatusCode};
use secrecy::SecretString;

/// A posted form: field names and values.
type Form<'a> = Vec<(&'a str, &'a str)>;

/// The form's fields, as an operator's script posts them.
fn fields<'a>(csrf: &'a str, action: &'a str, name: &'a str) -> Form<'a> {
    vec![
        ("csrf", csrf),
        ("action", action),
        ("name", name),
        ("environment", "us"),
        ("auth", "pat"),
        ("pat", DEMO_PAT),
        ("email", BOT_EMAIL),
        ("concurrency", "3"),
        ("borrow_from", ""),
    ]
}

fn with<'a>(
    mut form: Vec<(&'a str, &'a str)>,
    key: &str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    for f in form.iter_mut() {
        if f.0 == key {
            f.1 = value;
        }
    }
    form
}

#[tokio::test]
async fn verify_then_save_creates_a_connection_with_an_audit_line() {
    let app = spawn_app(admin_opts()).await;
    let (ada, csrf) = admin(&app).await;
    let r = ada
        .post_form(
            &app.url(CONNECTIONS_PAGE),
            &fields(&csrf, "verify", "reports"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], CONNECTIONS_PAGE);
    let html = connections_page(&app, &ada).await;
    assert!(html.contains("Verified: ready to save"), "{html}");
    assert!(!html.contains(DEMO_PAT), "PAT echoed");
    assert!(app
        .state
        .db
        .connection_get("reports")
        .await
        .unwrap()
        .is_none());

    // Save posts the same fields with the PAT empty: the verified one waits in the session.
    let save = with(fields(&csrf, "save", "reports"), "pat", "");
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &save).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let row = app
        .state
        .db
        .connection_get("reports")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.concurrency, row.status.as_str()), (3, "ok"));
    assert_eq!((row.environment.as_str(), row.auth.as_str()), ("us", "pat"));
    assert!(!row.sealed_secret.unwrap().contains(DEMO_PAT));
    let html = connections_page(&app, &ada).await;
    assert!(
        html.contains("Saved. The connection <code>reports</code> was created."),
        "{html}"
    );
    assert!(html.contains("PAT ending in …cdef"), "{html}");
    assert!(html.contains("Reporting Bot"), "{html}");
    // The audit log names who and what, never the PAT.
    let audit = app.state.db.audit_recent(10).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].who, "ada@lovelace-law.example");
    assert!(audit[0].what.contains("concurrency 3"), "{audit:?}");
    assert!(!audit[0].what.contains(DEMO_PAT));
    assert!(html.contains("Audit log") && html.contains("saved a verified PAT"));
    // A live source serves the connection.
    let source = app.state.connections.source("reports").unwrap();
    source.token().await.unwrap();

    // Its own card changes the settings without a new PAT.
    let mut edit = with(fields(&csrf, "save", "reports"), "pat", "");
    edit = with(edit, "concurrency", "5");
    edit.push(("mode", "edit"));
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &edit).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let row = app
        .state
        .db
        .connection_get("reports")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.concurrency, 5);
    assert!(row.sealed_secret.is_some(), "the PAT was kept");
    assert_eq!(app.state.db.audit_recent(10).await.unwrap().len(), 2);

    // Remove: the first press only asks, and removes nothing.
    let r = ada
        .post_form(
            &app.url(CONNECTIONS_PAGE),
            &fields(&csrf, "remove", "reports"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let ask = r.text().await.unwrap();
    assert!(ask.contains("Remove the connection reports?"), "{ask}");
    assert!(ask.contains("its feed keys are revoked"), "{ask}");
    assert!(ask.contains(r#"name="confirm" value="yes""#), "{ask}");
    assert!(!ask.contains(DEMO_PAT), "the PAT is not sent back");
    assert!(app
        .state
        .connections
        .get("reports")
        .await
        .unwrap()
        .is_some());
    // Confirmed, it goes.
    let mut confirmed = fields(&csrf, "remove", "reports");
    confirmed.push(("confirm", "yes"));
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &confirmed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app
        .state
        .db
        .connection_get("reports")
        .await
        .unwrap()
        .is_none());
    assert!(app.state.connections.source("reports").is_none());
    assert!(connections_page(&app, &ada).await.contains("Not connected"));
}

#[tokio::test]
async fn bad_input_is_a_form_error_that_keeps_the_other_fields() {
    let app = spawn_app(admin_opts()).await;
    let (ada, csrf) = admin(&app).await;
    app.state
        .connections
        .put_pat("lender", SecretString::from(DEMO_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    app.state
        .connections
        .put_pat("borrower", SecretString::from(DEMO_PAT), BOT_EMAIL, "test")
        .await
        .unwrap();
    let mut borrow = fields(&csrf, "save", "borrower");
    borrow = with(with(borrow, "borrow_from", "lender"), "pat", "");
    borrow.push(("mode", "edit"));
    assert_eq!(
        ada.post_form(&app.url(CONNECTIONS_PAGE), &borrow)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let base = || fields(&csrf, "verify", "fresh-one");
    let cycle = {
        let mut f = with(fields(&csrf, "save", "lender"), "borrow_from", "borrower");
        f.push(("mode", "edit"));
        f
    };
    let cases: Vec<(&str, Form, &str)> = vec![
        (
            "duplicate name",
            with(base(), "name", "lender"),
            "already exists",
        ),
        (
            "concurrency 0",
            with(base(), "concurrency", "0"),
            "from 1 to 25",
        ),
        (
            "concurrency 26",
            with(base(), "concurrency", "26"),
            "from 1 to 25",
        ),
        (
            "itself",
            with(base(), "borrow_from", "fresh-one"),
            "from itself",
        ),
        (
            "missing lender",
            with(base(), "borrow_from", "nobody"),
            "no connection named <code>nobody</code>",
        ),
        (
            "two levels",
            with(base(), "borrow_from", "borrower"),
            "one level",
        ),
        ("cycle", cycle, "cycle"),
        (
            "environment",
            with(base(), "environment", "mars"),
            "Unknown environment",
        ),
        (
            "email",
            with(base(), "email", "ada@lovelace-law.example"),
            "belongs to",
        ),
    ];
    for (what, form, expected) in cases {
        let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let html = r.text().await.unwrap();
        assert!(html.contains(expected), "{what}: {html}");
        assert!(!html.contains(DEMO_PAT), "{what}: PAT echoed");
        // The field is named as the form labels it, never by its field name.
        assert!(!html.contains("(field"), "{what}: {html}");
        if what == "email" {
            assert!(
                html.contains("(see “Personal access token” below)"),
                "{html}"
            );
        }
        // The fields as typed are still there (the create form's; the cycle case edits).
        if what != "cycle" {
            let name = form.iter().find(|f| f.0 == "name").unwrap().1;
            let email = form.iter().find(|f| f.0 == "email").unwrap().1;
            let concurrency = form.iter().find(|f| f.0 == "concurrency").unwrap().1;
            assert!(
                html.contains(&format!(
                    "id=\"name\" name=\"name\" type=\"text\" value=\"{name}\""
                )),
                "{what}: {html}"
            );
            assert!(html.contains(&format!("value=\"{email}\"")), "{what}");
            assert!(html.contains(&format!("value=\"{concurrency}\"")), "{what}");
        }
    }
    // Nothing was created or changed by the refusals.
    let names: Vec<String> = app
        .state
        .db
        .connections_list()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["borrower", "lender"]);
    let lender = app
        .state
        .db
        .connection_get("lender")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lender.borrow_from, None);
    // A lender others borrow from is not removed from under them.
    let mut remove = fields(&csrf, "remove", "lender");
    remove.push(("confirm", "yes"));
    let r = ada.post_form(&app.url(CONNECTIONS_PAGE), &remove).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app
        .state
        .db
        .connection_get("lender")
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn the_old_page_redirects_and_only_admins_with_csrf_get_in() {
    let app = spawn_app(admin_opts()).await;
    let (ada, csrf) = admin(&app).await;
    let r = ada.get(&app.url("/settings/integration")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], CONNECTIONS_PAGE);
    let home = ada.get(&app.url("/")).await.text().await.unwrap();
    assert!(home.contains("href=\"/settings/connections\""), "{home}");
    // A post without the CSRF token does nothing.
    let r = ada
        .post_form(&app.url(CONNECTIONS_PAGE), &fields("wrong", "verify", "x"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Ben is no admin.
    let ben = app.browser();
    ben.login(&app, "fv-user-1002", None).await;
    assert_eq!(
        ben.get(&app.url(CONNECTIONS_PAGE)).await.status(),
        StatusCode::FORBIDDEN
    );
    let ben_csrf = csrf_of(&ben.get(&app.url("/")).await.text().await.unwrap());
    let r = ben
        .post_form(&app.url(CONNECTIONS_PAGE), &fields(&ben_csrf, "save", "x"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.state.db.connections_list().await.unwrap().is_empty());
    let _ = csrf;
}
