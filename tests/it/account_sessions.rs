//! Issue 14: "Your sessions" (`/account/sessions`): every session of the user listed with its
//! browser, signing out another one or all others, CSRF, and handles that cannot be turned
//! against another user's session.
//!
//! Two layers keep a form from ending someone else's session, each with its own test (each
//! seen failing with only its layer removed): a handle is an HMAC keyed with the viewing
//! session's CSRF token (`a_handle_works_only_in_the_session_whose_page_showed_it`), and it is
//! looked up only among the viewer's own sessions
//! (`a_correctly_made_handle_for_another_users_session_is_refused`). With both gone,
//! `a_tampered_handle_cannot_end_another_users_session` fails too; listing or "everywhere
//! else" over other users' sessions fails the listing tests.

use crate::common;

use crate::support::backchannel as support;

use std::sync::Arc;

use common::*;
use reqwest::StatusCode;
use support::signed_in;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";
const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/// A browser that sends `user_agent`.
fn browser_as(user_agent: &str) -> Browser {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar.clone())
        .user_agent(user_agent)
        .build()
        .unwrap();
    Browser { http, jar }
}

async fn sessions_page(app: &TestApp, b: &Browser) -> String {
    let r = b.get(&app.url("/account/sessions")).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// The handles of the page's per-session Sign out forms.
fn handles(html: &str) -> Vec<String> {
    hidden_inputs(html)
        .into_iter()
        .filter(|(n, _)| n == "session")
        .map(|(_, v)| v)
        .collect()
}

async fn post(app: &TestApp, b: &Browser, form: &[(&str, &str)]) -> reqwest::Response {
    b.post_form(&app.url("/account/sessions"), form).await
}

/// Ada in Firefox on Linux (this one) and Chrome on Windows; Ben elsewhere.
async fn two_browsers_of_ada(app: &TestApp) -> (Browser, Browser, Browser) {
    let (firefox, chrome, ben) = (
        browser_as(FIREFOX_LINUX),
        browser_as(CHROME_WINDOWS),
        app.browser(),
    );
    firefox.login(app, ADA, None).await;
    chrome.login(app, ADA, None).await;
    ben.login(app, BEN, None).await;
    (firefox, chrome, ben)
}

#[tokio::test]
async fn the_page_lists_both_browsers_this_one_marked_and_never_the_raw_header() {
    let app = spawn_app(TestOptions::default()).await;
    let (firefox, _chrome, _ben) = two_browsers_of_ada(&app).await;
    let profile = firefox
        .get(&app.url("/profile"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        profile.contains("href=\"/account/sessions\""),
        "linked from the profile"
    );
    let html = sessions_page(&app, &firefox).await;
    assert!(html.contains("Firefox on Linux"));
    assert!(html.contains("Chrome on Windows"));
    assert_eq!(html.matches("(this session)").count(), 1);
    assert!(html.contains("Sign out everywhere else"));
    assert_eq!(
        handles(&html).len(),
        1,
        "a Sign out button for the other session only"
    );
    assert!(!html.contains("Gecko/20100101") && !html.contains("AppleWebKit"));
    // No session id, nor the table's hash of one, nor the cookie.
    let cookie = firefox.session_cookie(&app).unwrap();
    assert!(!html.contains(&cookie));
    for row in app.state.db.sessions_all(0).await.unwrap() {
        assert!(
            !html.contains(&row.stored_id),
            "the table id is not in the page"
        );
        assert!(
            !html.contains(&row.vault_id),
            "the vault id is not in the page"
        );
    }
}

#[tokio::test]
async fn sign_out_ends_the_other_session_and_not_this_one() {
    let app = spawn_app(TestOptions::default()).await;
    let (firefox, chrome, ben) = two_browsers_of_ada(&app).await;
    let revocations = app.control().revocation_calls();
    let html = sessions_page(&app, &firefox).await;
    let (csrf, handle) = (csrf_of(&html), handles(&html).remove(0));
    let r = post(
        &app,
        &firefox,
        &[
            ("csrf", &csrf),
            ("action", "sign_out"),
            ("session", &handle),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in(&app, &chrome).await, "the other session ended");
    assert!(signed_in(&app, &firefox).await, "this one stays");
    assert!(signed_in(&app, &ben).await);
    assert_eq!(
        app.control().revocation_calls(),
        revocations + 1,
        "its refresh token revoked"
    );
    let html = sessions_page(&app, &firefox).await;
    assert!(html.contains("1 session signed out."));
    assert!(!html.contains("Chrome on Windows"));
}

#[tokio::test]
async fn sign_out_everywhere_else_leaves_only_this_one() {
    let app = spawn_app(TestOptions::default()).await;
    let (firefox, chrome, ben) = two_browsers_of_ada(&app).await;
    let third = browser_as(CHROME_WINDOWS);
    third.login(&app, ADA, None).await;
    let html = sessions_page(&app, &firefox).await;
    assert_eq!(handles(&html).len(), 2);
    let revocations = app.control().revocation_calls();
    let r = post(
        &app,
        &firefox,
        &[("csrf", &csrf_of(&html)), ("action", "sign_out_others")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.control().revocation_calls(),
        revocations + 2,
        "both refresh tokens revoked"
    );
    assert!(!signed_in(&app, &chrome).await);
    assert!(!signed_in(&app, &third).await);
    assert!(signed_in(&app, &firefox).await);
    assert!(
        signed_in(&app, &ben).await,
        "another user's session is untouched"
    );
    let html = sessions_page(&app, &firefox).await;
    assert!(html.contains("2 sessions signed out."));
    assert!(!html.contains("no token revocation"), "{html}");
    assert!(handles(&html).is_empty());
}

#[tokio::test]
async fn a_csrf_token_of_another_session_is_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let (firefox, chrome, _ben) = two_browsers_of_ada(&app).await;
    let mine = sessions_page(&app, &firefox).await;
    let theirs = sessions_page(&app, &chrome).await;
    // Chrome's own CSRF token, sent from Firefox's session (and with no token at all).
    for csrf in [csrf_of(&theirs), String::new()] {
        let r = post(
            &app,
            &firefox,
            &[("csrf", &csrf), ("action", "sign_out_others")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let handle = handles(&mine).remove(0);
        let r = post(
            &app,
            &firefox,
            &[
                ("csrf", &csrf),
                ("action", "sign_out"),
                ("session", &handle),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    assert!(signed_in(&app, &chrome).await);
}

#[tokio::test]
async fn a_tampered_handle_cannot_end_another_users_session() {
    let app = spawn_app(TestOptions::default()).await;
    let (firefox, _chrome, ben) = two_browsers_of_ada(&app).await;
    let ben2 = app.browser();
    ben2.login(&app, BEN, None).await;
    // Ben's page names his other session; Ada submits that handle (and made-up ones, and the
    // table's own ids) with her valid CSRF token.
    let bens_handle = handles(&sessions_page(&app, &ben).await).remove(0);
    let csrf = csrf_of(&sessions_page(&app, &firefox).await);
    let mut attempts = vec![
        bens_handle,
        "AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        String::new(),
    ];
    attempts.extend(
        app.state
            .db
            .sessions_all(0)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.stored_id),
    );
    for handle in attempts {
        let r = post(
            &app,
            &firefox,
            &[
                ("csrf", &csrf),
                ("action", "sign_out"),
                ("session", &handle),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{handle}");
    }
    assert!(signed_in(&app, &ben).await);
    assert!(signed_in(&app, &ben2).await);
    assert!(signed_in(&app, &firefox).await);
}

/// The second layer: a handle is keyed with the viewing session's CSRF token, so it only
/// works on the page it was shown on. Chrome's page names Firefox and a third browser; Firefox
/// posting those handles (with its own valid CSRF token) ends nothing, although the third
/// session is Ada's own. (Without the per-viewer key, one of them would end it.)
#[tokio::test]
async fn a_handle_works_only_in_the_session_whose_page_showed_it() {
    let app = spawn_app(TestOptions::default()).await;
    let (firefox, chrome, _ben) = two_browsers_of_ada(&app).await;
    let third = browser_as(CHROME_WINDOWS);
    third.login(&app, ADA, None).await;
    let chromes_handles = handles(&sessions_page(&app, &chrome).await);
    let mine = sessions_page(&app, &firefox).await;
    assert_eq!(chromes_handles.len(), 2);
    for handle in &chromes_handles {
        assert!(
            !handles(&mine).contains(handle),
            "two pages name a session alike"
        );
        let r = post(
            &app,
            &firefox,
            &[
                ("csrf", &csrf_of(&mine)),
                ("action", "sign_out"),
                ("session", handle),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{handle}");
    }
    for b in [&firefox, &chrome, &third] {
        assert!(signed_in(&app, b).await, "nothing ended");
    }
}

/// The page's handle for `stored_id` as the viewer with CSRF token `csrf` sees it (the
/// formula of `auth::sessions::listing`, checked against a real page below).
fn handle_for(csrf: &str, stored_id: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use hmac::{Mac, SimpleHmac};
    let mut mac = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(csrf.as_bytes()).unwrap();
    mac.update(b"fv-partner-app session handle v1\0");
    mac.update(stored_id.as_bytes());
    URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
}

/// The first layer: a handle is looked up only among the viewer's own sessions. Even a handle
/// made exactly as Ada's page would make one for Ben's session (as if the handle's key and
/// the table ids had leaked) ends nothing. (Without that scoping only the key protects.)
#[tokio::test]
async fn a_correctly_made_handle_for_another_users_session_is_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let (firefox, chrome, ben) = two_browsers_of_ada(&app).await;
    let html = sessions_page(&app, &firefox).await;
    let csrf = csrf_of(&html);
    let rows = app.state.db.sessions_all(0).await.unwrap();
    let (adas, bens): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.subject == ADA);
    // The formula is right: it names Ada's other session as her page does.
    let mine: Vec<String> = adas
        .iter()
        .map(|r| handle_for(&csrf, &r.stored_id))
        .collect();
    assert!(
        mine.contains(&handles(&html).remove(0)),
        "the test's handle formula is stale"
    );
    assert_eq!(bens.len(), 1);
    let forged = handle_for(&csrf, &bens[0].stored_id);
    let r = post(
        &app,
        &firefox,
        &[
            ("csrf", &csrf),
            ("action", "sign_out"),
            ("session", &forged),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(signed_in(&app, &ben).await, "Ben's session stays");
    assert!(signed_in(&app, &chrome).await && signed_in(&app, &firefox).await);
}

/// A provider that advertises no revocation endpoint: "Sign out everywhere else" still ends
/// the other sessions and removes their tokens here, posts nothing to the provider, and the
/// page says that they were not signed out at Filevine.
#[tokio::test]
async fn sign_out_everywhere_else_works_with_a_provider_without_revocation() {
    let app = spawn_app(TestOptions {
        fake: fake_filevine::FakeOptions {
            advertise_revocation: false,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let (firefox, chrome, ben) = two_browsers_of_ada(&app).await;
    let html = sessions_page(&app, &firefox).await;
    let r = post(
        &app,
        &firefox,
        &[("csrf", &csrf_of(&html)), ("action", "sign_out_others")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in(&app, &chrome).await);
    assert!(signed_in(&app, &firefox).await);
    assert!(signed_in(&app, &ben).await);
    assert_eq!(app.control().revocation_calls(), 0);
    assert_eq!(
        app.state.db.vault_count_live(0).await.unwrap(),
        2,
        "the ended session's tokens are gone (Ada's here and Ben's stay)"
    );
    let html = sessions_page(&app, &firefox).await;
    assert!(
        html.contains("1 session signed out. The provider offers no token revocation"),
        "{html}"
    );
}
