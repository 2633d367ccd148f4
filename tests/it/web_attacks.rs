//! Web attacks on the login client, through the real round trip: open redirects, `state` and
//! code injection, CSRF, and the authorization response leaving the address bar (cookie
//! attributes and security headers are in `web_headers.rs`).

use crate::common;

use common::*;
use reqwest::{header, StatusCode};
use url::Url;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";

/// oauth2-proxy's and others' known bypasses, plus scheme, encoding and whitespace variants.
const HOSTILE_RETURN_TO: &[&str] = &[
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%252F%252Fevil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "https://evil.example",
    "https://evil.example/profile",
    "https:evil.example",
    "http:/evil.example",
    "HTTPS://evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "\t//evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/%0a/evil.example",
    "/%0d%0a/evil.example",
    " //evil.example",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
];

/// Where a `Location` value takes a browser that is on `base`.
fn resolve(base: &Url, location: &str) -> Url {
    base.join(location).expect("Location resolves")
}

#[tokio::test]
async fn open_redirect_through_return_to_is_refused_in_the_round_trip() {
    let app = spawn_app(TestOptions::default()).await;
    for bad in HOSTILE_RETURN_TO {
        let b = app.browser();
        let to = b.login(&app, ADA, Some(bad)).await;
        assert_eq!(to, "/", "return_to {bad:?} must fall back to /");
        assert_eq!(resolve(&app.base, &to).host_str(), Some("localhost"));
    }
    // A harmless path survives.
    let b = app.browser();
    assert_eq!(
        b.login(&app, ADA, Some("/profile?tab=orgs")).await,
        "/profile?tab=orgs"
    );
}

#[tokio::test]
async fn open_redirect_through_the_org_chooser_is_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    // Ben has two orgs: the login goes through /org?return_to=..., carrying return_to on.
    let to = b.login(&app, BEN, Some("//evil.example")).await;
    assert_eq!(to, "/org?return_to=%2F", "{to}");
    let page = b.get(&app.url(&to)).await.text().await.unwrap();
    let csrf = csrf_of(&page);
    for bad in HOSTILE_RETURN_TO {
        // The chooser page does not echo a hostile return_to into its form.
        let mut chooser = app.url("/org");
        chooser.query_pairs_mut().append_pair("return_to", bad);
        let html = b.get(&chooser).await.text().await.unwrap();
        assert!(!html.contains("evil.example"), "{bad:?} echoed: {html}");
        // Nor does the POST follow one.
        let r = b
            .post_form(
                &app.url("/org"),
                &[("csrf", &csrf), ("org_id", "5002"), ("return_to", bad)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{bad:?}");
        assert_eq!(r.headers()[header::LOCATION], "/", "{bad:?}");
    }
}

#[tokio::test]
async fn tampered_empty_and_repeated_state_are_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let authorize = b.start_login(&app, None).await;
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    let pairs: Vec<(String, String)> = callback.query_pairs().into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let (code, state, iss) = (get("code"), get("state"), get("iss"));
    let with = |query: Vec<(&str, String)>| {
        let mut u = callback.clone();
        u.set_query(None);
        {
            let mut q = u.query_pairs_mut();
            for (k, v) in &query {
                q.append_pair(k, v);
            }
        }
        u
    };
    let mut flipped = state.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    for (what, url) in [
        (
            "one character changed",
            with(vec![
                ("code", code.clone()),
                ("state", flipped),
                ("iss", iss.clone()),
            ]),
        ),
        (
            "empty",
            with(vec![
                ("code", code.clone()),
                ("state", String::new()),
                ("iss", iss.clone()),
            ]),
        ),
        (
            "repeated",
            with(vec![
                ("code", code.clone()),
                ("state", state.clone()),
                ("state", state.clone()),
                ("iss", iss.clone()),
            ]),
        ),
        (
            "prefix",
            with(vec![
                ("code", code.clone()),
                ("state", state[..state.len() / 2].to_owned()),
                ("iss", iss.clone()),
            ]),
        ),
    ] {
        let r = b.get(&url).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "state {what}");
        assert_eq!(
            b.get(&app.url("/profile")).await.status(),
            StatusCode::SEE_OTHER,
            "state {what}: not signed in"
        );
    }
    assert_eq!(
        app.control().token_calls("authorization_code"),
        0,
        "a bad state never reaches the token endpoint"
    );
}

/// RFC 9207: the provider advertises `iss` on the authorization response, so a missing or
/// foreign `iss` (a mix-up attack) is refused before the code is spent.
#[tokio::test]
async fn authorization_response_iss_is_checked() {
    let app = spawn_app(TestOptions::default()).await;
    for iss in [None, Some("https://evil.example")] {
        let b = app.browser();
        let authorize = b.start_login(&app, None).await;
        let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
        let mut u = callback.clone();
        let pairs: Vec<(String, String)> = callback
            .query_pairs()
            .into_owned()
            .filter(|(k, _)| k != "iss")
            .collect();
        u.set_query(None);
        {
            let mut q = u.query_pairs_mut();
            for (k, v) in &pairs {
                q.append_pair(k, v);
            }
            if let Some(iss) = iss {
                q.append_pair("iss", iss);
            }
        }
        let r = b.get(&u).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "iss {iss:?}");
        assert_eq!(
            b.get(&app.url("/profile")).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(app.control().token_calls("authorization_code"), 0);
}

/// Code injection: the attacker's own code, delivered with the victim's valid `state`, fails
/// at the provider because PKCE binds the code to the verifier of the session that asked.
#[tokio::test]
async fn injected_code_of_another_session_fails_pkce() {
    let app = spawn_app(TestOptions::default()).await;
    let victim = app.browser();
    let victim_authorize = victim.start_login(&app, None).await;
    let victim_state = victim_authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let attacker = app.browser();
    let attacker_authorize = attacker.start_login(&app, None).await;
    let attacker_callback = attacker
        .provider_choose(&attacker_authorize, Choice::User(BEN))
        .await;
    let mut injected = attacker_callback.clone();
    let pairs: Vec<(String, String)> = attacker_callback
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "state" {
                (k, victim_state.clone())
            } else {
                (k, v)
            }
        })
        .collect();
    injected.set_query(None);
    injected.query_pairs_mut().extend_pairs(pairs);
    let r = victim.get(&injected).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        victim.get(&app.url("/profile")).await.status(),
        StatusCode::SEE_OTHER,
        "the victim is not signed in as the attacker"
    );
    assert_eq!(app.control().token_calls("authorization_code"), 1);
}

#[tokio::test]
async fn csrf_token_of_another_session_is_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let ben = app.browser();
    ben.login(&app, BEN, None).await;
    let attacker = app.browser();
    attacker.login(&app, BEN, None).await;
    let attacker_page = attacker.get(&app.url("/org")).await.text().await.unwrap();
    let foreign = csrf_of(&attacker_page);

    for (path, form) in [
        ("/auth/logout", vec![("csrf", foreign.as_str())]),
        ("/org", vec![("csrf", foreign.as_str()), ("org_id", "5002")]),
        ("/org", vec![("org_id", "5002")]),
        ("/org", vec![("csrf", ""), ("org_id", "5002")]),
    ] {
        let r = ben.post_form(&app.url(path), &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} {form:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains("This form has expired"), "friendly page");
    }
    // Ben is still signed in, with no org chosen, and nothing reached the provider's logout.
    let html = ben.get(&app.url("/profile")).await.text().await.unwrap();
    assert!(
        !html.contains("Current organization</dt><dd>Okafor"),
        "{html}"
    );
    assert!(app.control().end_session_calls().is_empty());
    // Logout is never a GET (an <img src> cannot sign anyone out).
    let r = ben.get(&app.url("/auth/logout")).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(ben.get(&app.url("/profile")).await.status(), StatusCode::OK);
}

/// After the callback the browser is sent to a clean URL: neither `code` nor `state` (nor
/// their values) stay in the address bar, history or a later Referer.
#[tokio::test]
async fn code_and_state_leave_the_address_bar() {
    let app = spawn_app(TestOptions::default()).await;
    for (user, return_to) in [
        (ADA, None),
        (ADA, Some("/profile?tab=orgs")),
        (BEN, Some("/profile")),
    ] {
        let b = app.browser();
        let authorize = b.start_login(&app, return_to).await;
        let callback = b.provider_choose(&authorize, Choice::User(user)).await;
        let r = b.get(&callback).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = r.headers()[header::LOCATION].to_str().unwrap().to_owned();
        assert_eq!(r.headers()[header::REFERRER_POLICY], "no-referrer");
        for (k, v) in callback.query_pairs() {
            if k == "code" || k == "state" {
                assert!(!to.contains(v.as_ref()), "{k} value in {to}");
            }
        }
        assert!(!to.contains("code=") && !to.contains("state="), "{to}");
        assert_ne!(resolve(&app.base, &to).path(), callback.path());
    }
}
