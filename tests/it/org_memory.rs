//! A user in two organizations is asked to choose once, not at every sign-in (issue 16): the
//! last choice is remembered server-side per user, on SQLite and on PostgreSQL, and applied
//! only while that org is still one of theirs. Before a choice, the profile does not call
//! every org an "other" organization.

use crate::common;

use common::*;
use reqwest::StatusCode;

/// Ben Okafor, in Lovelace & Partners (5001) and Okafor Injury (5002).
const BEN: &str = "fv-user-1002";

/// Ben signs in (chooser), picks 5002; a fresh browser's sign-in then lands on the page asked
/// for, in 5002, and the header switcher still changes it.
async fn second_login_skips_the_chooser(opts: TestOptions) {
    let app = spawn_app(opts).await;
    let first = app.browser();
    let to = first.login(&app, BEN, Some("/projects")).await;
    assert!(to.starts_with("/org?"), "first sign-in asks: {to}");
    let chooser = first.get(&app.url(&to)).await.text().await.unwrap();
    let r = first
        .post_form(
            &app.url("/org"),
            &[
                ("csrf", &csrf_of(&chooser)),
                ("org_id", "5002"),
                ("return_to", "/projects"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let again = app.browser();
    let to = again.login(&app, BEN, Some("/projects")).await;
    assert_eq!(to, "/projects", "the remembered org skips the chooser");
    let page = again.get(&app.url("/projects")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("<option value=\"5002\" selected>"), "in 5002");

    // The switcher still switches, and the new choice is the one remembered.
    let r = again
        .post_form(
            &app.url("/org"),
            &[
                ("csrf", &csrf_of(&page)),
                ("org_id", "5001"),
                ("return_to", "/projects"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let third = app.browser();
    assert_eq!(third.login(&app, BEN, Some("/projects")).await, "/projects");
    let page = third.get(&app.url("/projects")).await.text().await.unwrap();
    assert!(page.contains("<option value=\"5001\" selected>"), "in 5001");
}

#[tokio::test]
async fn the_last_org_choice_is_remembered_on_sqlite() {
    second_login_skips_the_chooser(TestOptions::default()).await;
}

#[tokio::test]
async fn the_last_org_choice_is_remembered_on_postgres() {
    second_login_skips_the_chooser(TestOptions {
        database_url: Some(postgres_url()),
        ..TestOptions::default()
    })
    .await;
}

#[tokio::test]
async fn a_remembered_org_the_user_left_brings_the_chooser_back() {
    let app = spawn_app(TestOptions::default()).await;
    let ben = app.browser();
    let to = ben.login(&app, BEN, Some("/projects")).await;
    assert!(to.starts_with("/org?"));
    let issuer = app
        .state
        .environments
        .default_env()
        .oidc
        .issuer()
        .to_owned();
    app.state
        .db
        .org_choice_put(&issuer, BEN, 9999, 0)
        .await
        .unwrap();
    let again = app.browser();
    let to = again.login(&app, BEN, Some("/projects")).await;
    assert!(to.starts_with("/org?"), "org 9999 is not Ben's: {to}");
}

#[tokio::test]
async fn the_profile_asks_for_a_choice_instead_of_listing_other_orgs() {
    let app = spawn_app(TestOptions::default()).await;
    let ben = app.browser();
    ben.login(&app, BEN, Some("/profile")).await;
    let page = ben.get(&app.url("/profile")).await.text().await.unwrap();
    assert!(!page.contains("Your other organizations"), "{page}");
    assert!(page.contains("have not chosen one yet"));
    assert!(page.contains("Partners LLP") && page.contains("(#5002)"));
    assert!(page.contains("href=\"/org?return_to=/profile\""));
}
