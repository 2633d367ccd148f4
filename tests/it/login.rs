//! Login with Filevine, end to end against the stand-in: login, profile, logout, and what must
//! be refused along the way.

use crate::common;

use common::*;
use reqwest::{header, StatusCode};

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";

#[tokio::test]
async fn login_profile_logout_round_trip() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();

    // Home offers the login button.
    let home = b.get(&app.url("/")).await.text().await.unwrap();
    assert!(home.contains("Login with Filevine"));

    // The authorization request carries PKCE S256, state, nonce and our redirect URI.
    let authorize = b.start_login(&app, Some("/profile")).await;
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["code_challenge"].len() >= 43);
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16);
    assert_eq!(
        q["redirect_uri"],
        format!("http://localhost:{}/auth/callback", app.port)
    );
    let scopes: Vec<&str> = q["scope"].split(' ').collect();
    assert!(scopes.contains(&"openid") && scopes.contains(&"offline_access"));

    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    assert_eq!(callback.path(), "/auth/callback");
    let r = b.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // code and state leave the address bar: the callback redirects to a clean URL.
    assert_eq!(r.headers()[header::LOCATION], "/profile");

    let profile = b.get(&app.url("/profile")).await;
    assert_eq!(profile.status(), StatusCode::OK);
    let html = profile.text().await.unwrap();
    assert!(html.contains("Ada Lovelace"), "{html}");
    assert!(
        html.contains("Lovelace &amp; Partners LLP")
            || html.contains("Lovelace &#38; Partners LLP"),
        "{html}"
    );
    assert!(html.contains("fv-user-1001"), "sub claim shown");
    for secret in app.control().issued_secrets() {
        assert!(!html.contains(&secret), "profile must never render a token");
    }
    // /userinfo is an alias.
    assert_eq!(b.get(&app.url("/userinfo")).await.status(), StatusCode::OK);

    // Logout: CSRF-protected POST, local session first, then RP-initiated logout.
    let csrf = csrf_of(&html);
    let r = b
        .post_form(&app.url("/auth/logout"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let end_session = location(&r);
    assert_eq!(end_session.path(), "/connect/endsession");
    let q: std::collections::HashMap<_, _> = end_session.query_pairs().into_owned().collect();
    assert!(q.contains_key("id_token_hint"));
    assert_eq!(
        q["post_logout_redirect_uri"],
        format!("http://localhost:{}/auth/logout/callback", app.port)
    );
    assert!(!q["state"].is_empty());
    // The local session is already gone.
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).path().starts_with("/auth/login"));

    // The provider sends us to the landing page.
    let r = b.get(&end_session).await;
    assert!(r.status().is_redirection());
    let landing = location(&r);
    assert_eq!(landing.path(), "/auth/logout/callback");
    assert_eq!(
        landing.query_pairs().find(|(k, _)| k == "state").unwrap().1,
        q["state"]
    );
    let page = b.get(&landing).await.text().await.unwrap();
    assert!(page.contains("You are signed out"));
    assert_eq!(app.control().end_session_calls().len(), 1);
}

#[tokio::test]
async fn callback_registered_at_signin_oidc_works() {
    let app = spawn_app(TestOptions {
        callback_path: "/signin-oidc",
        post_logout_path: "/signout-callback-oidc",
        ..Default::default()
    })
    .await;
    let b = app.browser();
    let to = b.login(&app, ADA, None).await;
    assert_eq!(to, "/");
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    // The default callback path is not served in this configuration.
    assert_eq!(
        b.get(&app.url("/auth/callback")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cancelled_login_shows_friendly_page_and_no_session() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let authorize = b.start_login(&app, None).await;
    let callback = b.provider_choose(&authorize, Choice::Cancel).await;
    assert_eq!(
        callback
            .query_pairs()
            .find(|(k, _)| k == "error")
            .unwrap()
            .1,
        "access_denied"
    );
    let r = b.get(&callback).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("Sign-in was cancelled"), "{html}");
    assert!(html.contains("href=\"/auth/login\""), "try-again link");
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "not signed in");
}

#[tokio::test]
async fn replayed_foreign_and_missing_state_are_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let authorize = b.start_login(&app, None).await;
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;

    // Another browser presenting this callback: its session knows no such state.
    let other = app.browser();
    let r = other.get(&callback).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("expired"));
    assert_eq!(
        other.get(&app.url("/profile")).await.status(),
        StatusCode::SEE_OTHER
    );

    // The right browser succeeds once...
    assert_eq!(b.get(&callback).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    // ...and a replay of the same callback is refused.
    let r = b.get(&callback).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Missing state.
    let mut no_state = callback.clone();
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    no_state.set_query(Some(&format!("code={code}")));
    let r = app.browser().get(&no_state).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Nothing at all.
    let r = app.browser().get(&app.url("/auth/callback")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Exactly one code exchange happened: the refused callbacks never reached the provider.
    assert_eq!(app.control().token_calls("authorization_code"), 1);
}

#[tokio::test]
async fn bad_return_to_falls_back_to_root() {
    let app = spawn_app(TestOptions::default()).await;
    for bad in [
        "//evil.example",
        "https://evil.example/x",
        "/\\evil.example",
        "/%2F%2Fevil.example",
    ] {
        let b = app.browser();
        assert_eq!(
            b.login(&app, ADA, Some(bad)).await,
            "/",
            "return_to {bad:?}"
        );
    }
    let b = app.browser();
    assert_eq!(
        b.login(&app, ADA, Some("/profile?tab=orgs")).await,
        "/profile?tab=orgs"
    );
}

#[tokio::test]
async fn session_id_changes_at_login_and_cookie_is_safe() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    // A session id planted before login (session fixation) is worthless after it.
    let planted = "AAAAAAAAAAAAAAAAAAAAAA";
    b.jar
        .add_cookie_str(&format!("fv_session={planted}; Path=/"), &app.base);
    let r = b.get(&app.url("/auth/login")).await;
    // The login in flight travels in its own sealed cookie; no session is stored for it.
    let set_cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("fv_login="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(!set_cookie.contains("Secure"), "plain http: no Secure flag");
    let authorize = location(&r);
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session_cookie = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("fv_session="))
        .expect("a session cookie at login");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
    let after = b.session_cookie(&app).expect("signed-in session");
    assert_ne!(planted, after, "session id must be cycled at login");
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_requires_the_csrf_token() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    for form in [vec![], vec![("csrf", "forged")]] {
        let r = b.post_form(&app.url("/auth/logout"), &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            b.get(&app.url("/profile")).await.status(),
            StatusCode::OK,
            "still signed in"
        );
    }
    assert!(app.control().end_session_calls().is_empty());
}

#[tokio::test]
async fn user_with_two_orgs_chooses_one() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let to = b.login(&app, BEN, Some("/profile")).await;
    assert!(to.starts_with("/org?"), "{to}");
    let page = b.get(&app.url(&to)).await.text().await.unwrap();
    assert!(page.contains("Choose an organization"));
    assert!(page.contains("Okafor Injury Law") && page.contains("Lovelace"));
    let csrf = csrf_of(&page);

    // Not one of Ben's orgs.
    let r = b
        .post_form(&app.url("/org"), &[("csrf", &csrf), ("org_id", "999")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Without CSRF.
    let r = b.post_form(&app.url("/org"), &[("org_id", "5002")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let r = b
        .post_form(
            &app.url("/org"),
            &[
                ("csrf", &csrf),
                ("org_id", "5002"),
                ("return_to", "/profile"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/profile");
    let html = b.get(&app.url("/profile")).await.text().await.unwrap();
    assert!(
        html.contains("Current organization</dt><dd>Okafor Injury Law"),
        "{html}"
    );
    // The gateway saw Ben's id and the chosen org on Users/Me.
    let me = app
        .control()
        .gateway_requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/Users/Me"))
        .expect("Users/Me called");
    assert_eq!(me.org_id.as_deref(), Some("5002"));
    assert_eq!(me.user_id.as_deref(), Some("1002"));
}

#[tokio::test]
async fn security_headers_on_every_page() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    for path in [
        "/",
        "/auth/logout/callback",
        "/no-such-page",
        "/static/app.css",
    ] {
        let r = b.get(&app.url(path)).await;
        let h = r.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(
            h.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
            "no HSTS on http"
        );
    }
}

#[tokio::test]
async fn tokens_are_encrypted_at_rest() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    b.login(&app, ADA, None).await;
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
    // Checkpoint the WAL so everything is in files we read.
    let bytes: Vec<u8> = std::fs::read_dir(app.db_dir.path())
        .unwrap()
        .flat_map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    let haystack = String::from_utf8_lossy(&bytes);
    let secrets = app.control().issued_secrets();
    assert!(
        secrets.iter().any(|s| s.starts_with("fvat_")),
        "fake reports its tokens"
    );
    for s in secrets.iter().filter(|s| s.len() > 12) {
        assert!(!haystack.contains(s.as_str()), "a token is stored in clear");
    }
}

/// The organization chooser keeps the page the login was for: the login's `return_to` is the
/// chooser form's hidden field, and choosing an org lands there (query string included).
#[tokio::test]
async fn the_org_chooser_keeps_return_to() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let wanted = "/projects?q=smith&page=2";
    let to = b.login(&app, BEN, Some(wanted)).await;
    assert!(to.starts_with("/org?"), "{to}");
    let page = b.get(&app.url(&to)).await.text().await.unwrap();
    let hidden = hidden_inputs(&page);
    let kept = hidden
        .iter()
        .find(|(name, _)| name == "return_to")
        .map(|(_, value)| value.as_str());
    assert_eq!(kept, Some(wanted), "{hidden:?}");
    let csrf = csrf_of(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("org_id", "5002"),
        ("return_to", wanted),
    ];
    let r = b.post_form(&app.url("/org"), &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], wanted);
}
