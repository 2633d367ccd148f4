//! The OpenID Foundation's RP certification cases (Basic and Config profiles), each against a
//! hostile stand-in: the app must refuse every broken answer, leave no session behind, show the
//! friendly page and log why, and accept the variations a correct provider may send.

mod common;

use fake_filevine::{FakeFilevine, FakeOptions, Tamper};
use std::time::Duration;

use common::*;
use fv_partner_app::startup::Application;
use reqwest::StatusCode;

const ADA: &str = "fv-user-1001";
/// `login failed` lines are warnings; `info` also shows the key refetches.
const LOG_FILTER: &str = "info";

/// Starts the app with the log capture installed first (it must be the global subscriber).
async fn spawn(opts: TestOptions) -> TestApp {
    capture_logs(LOG_FILTER);
    spawn_app(opts).await
}

/// Logs in as Ada and expects the callback to be refused: friendly page, the reason in the log
/// (found by the page's reference), and no session (the profile sends us to login).
async fn assert_login_refused(app: &TestApp, reason: &str, detail: &str) {
    let logs = capture_logs(LOG_FILTER);
    let b = app.browser();
    let authorize = b.start_login(app, Some("/profile")).await;
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    let r = b.get(&callback).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "callback must be refused"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Sign-in could not be completed"),
        "friendly page: {html}"
    );
    let reference = error_reference(&html).expect("error page has a reference");
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains(&reference))
        .unwrap_or_else(|| panic!("no log line with reference {reference}"));
    assert!(line.contains("login failed"), "{line}");
    assert!(line.contains(&format!("reason=\"{reason}\"")), "{line}");
    assert!(line.contains(detail), "log should say {detail:?}: {line}");
    assert_signed_out(app, &b).await;
}

async fn assert_signed_out(app: &TestApp, b: &Browser) {
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no session left behind");
    assert_eq!(location(&r).path(), "/auth/login");
}

async fn assert_login_succeeds(app: &TestApp) {
    let b = app.browser();
    assert_eq!(b.login(app, ADA, Some("/profile")).await, "/profile");
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);
}

/// A fresh app whose provider breaks every ID token as `tamper` says.
async fn refused_with(tamper: Tamper, reason: &str, detail: &str) {
    let app = spawn(TestOptions::default()).await;
    app.control().set_id_token_tamper(Some(tamper));
    assert_login_refused(&app, reason, detail).await;
    // The same app accepts an honest token: the refusal was about the tamper.
    app.control().set_id_token_tamper(None);
    assert_login_succeeds(&app).await;
}

#[tokio::test]
async fn rp_id_token_iss_mismatch() {
    refused_with(Tamper::WrongIssuer, "id_token", "issuer").await;
}

#[tokio::test]
async fn rp_id_token_aud_missing() {
    refused_with(Tamper::NoAudience, "id_token", "must contain `test-client`").await;
}

#[tokio::test]
async fn rp_id_token_aud_mismatch() {
    refused_with(Tamper::WrongAudience, "id_token", "audience").await;
}

#[tokio::test]
async fn several_audiences_without_azp() {
    refused_with(
        Tamper::ManyAudiencesNoAzp,
        "id_token",
        "not a trusted audience",
    )
    .await;
}

#[tokio::test]
async fn azp_of_another_client() {
    refused_with(Tamper::WrongAzp, "id_token", "azp is not this client").await;
}

#[tokio::test]
async fn rp_id_token_sub_missing() {
    refused_with(Tamper::NoSubject, "token_exchange", "sub").await;
}

#[tokio::test]
async fn rp_id_token_iat_missing() {
    refused_with(Tamper::NoIssuedAt, "token_exchange", "iat").await;
}

#[tokio::test]
async fn expired_id_token() {
    refused_with(Tamper::Expired, "id_token", "expired").await;
}

#[tokio::test]
async fn id_token_issued_in_the_future() {
    refused_with(Tamper::IssuedInFuture, "id_token", "future").await;
}

#[tokio::test]
async fn rp_id_token_bad_sig_rs256() {
    refused_with(Tamper::BadSignature, "id_token", "signature").await;
}

#[tokio::test]
async fn rp_id_token_sig_none() {
    refused_with(Tamper::AlgNone, "id_token", "No signature found").await;
}

#[tokio::test]
async fn hmac_signed_with_the_client_secret() {
    refused_with(Tamper::HmacWithClientSecret, "id_token", "HS256").await;
}

#[tokio::test]
async fn rp_nonce_invalid() {
    refused_with(Tamper::WrongNonce, "id_token", "nonce").await;
}

#[tokio::test]
async fn rp_id_token_kid_absent_single_jwks_succeeds() {
    let app = spawn(TestOptions::default()).await;
    app.control().set_id_token_tamper(Some(Tamper::NoKid));
    assert_login_succeeds(&app).await;
}

/// Decision: with several eligible keys and no `kid`, the token is refused (OpenID Connect Core
/// 10.1 requires `kid` then; `openidconnect` reports the key as ambiguous). We do not try every
/// key: the provider is misbehaving, and trying keys would turn a forged header into work.
#[tokio::test]
async fn rp_id_token_kid_absent_multiple_jwks_is_refused() {
    let app = spawn(TestOptions {
        fake: FakeOptions {
            extra_jwks_keys: 1,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    // With its kid the same token verifies against the two-key set.
    assert_login_succeeds(&app).await;
    app.control().set_id_token_tamper(Some(Tamper::NoKid));
    assert_login_refused(&app, "id_token", "eligible").await;
}

/// `rp-key-rotation-op-sign-key`: an unknown `kid` refetches the key set once and succeeds; a
/// second unknown `kid` within the cool-down does not fetch again; after the cool-down it does.
#[tokio::test]
async fn rp_key_rotation_refetches_once_within_the_cool_down() {
    let app = spawn(TestOptions::default()).await;
    let control = app.control();
    assert_login_succeeds(&app).await;
    let at_start = control.jwks_fetches();
    assert_eq!(at_start, 1, "discovery fetched the key set once");

    control.rotate_signing_key(false).await.unwrap();
    assert_login_succeeds(&app).await;
    assert_eq!(control.jwks_fetches(), 2, "one refetch for the new kid");
    // The new key is cached: no more fetches.
    assert_login_succeeds(&app).await;
    assert_eq!(control.jwks_fetches(), 2);

    // A second rotation right away: within the cool-down nothing is refetched, however many
    // tokens name the unknown key.
    control.rotate_signing_key(true).await.unwrap();
    for _ in 0..3 {
        assert_login_refused(&app, "id_token", "key").await;
    }
    assert_eq!(control.jwks_fetches(), 2, "the provider is not hammered");

    // Once the cool-down is over, the next unknown kid refetches and succeeds.
    app.state
        .environments
        .default_env()
        .oidc
        .set_key_refetch_cooldown(Duration::ZERO);
    assert_login_succeeds(&app).await;
    assert_eq!(control.jwks_fetches(), 3);
}

/// `rp-discovery-issuer-not-matching-config`: start-up refuses.
#[tokio::test]
async fn discovery_issuer_differs_from_the_authority() {
    let opts = TestOptions::default();
    capture_logs(LOG_FILTER);
    let fake = FakeFilevine::start(FakeOptions::default()).await.unwrap();
    let build = |claimed: Option<String>| {
        fake.control().set_discovery_issuer(claimed);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("app.db").display());
        let settings = settings_for(&fake, port, &opts, &db);
        async move {
            let result = Application::build_with_listener(settings, listener).await;
            drop(dir);
            result.map(|_| ())
        }
    };
    for claimed in [
        "https://evil.example".to_owned(),
        format!("{}/", fake.issuer()),
        format!("{}/tenant", fake.issuer()),
    ] {
        let err = build(Some(claimed.clone()))
            .await
            .expect_err("start-up must refuse a discovery issuer that is not the authority");
        let text = err.to_string();
        assert!(text.contains("FV_AUTHORITY"), "{claimed}: {text}");
        // Said plainly: which issuer discovery named instead.
        assert!(
            text.contains(&format!("names the issuer {claimed}, not")),
            "{claimed}: {text}"
        );
    }
    build(None).await.expect("the true issuer starts");
}

/// `rp-userinfo-bad-sub-claim`: userinfo naming someone else refuses the login.
#[tokio::test]
async fn rp_userinfo_bad_sub_claim() {
    let app = spawn(TestOptions::default()).await;
    assert_login_succeeds(&app).await;
    assert_eq!(app.control().userinfo_calls(), 1, "login asks userinfo");
    app.control()
        .set_userinfo_sub(Some("fv-user-somebody-else".into()));
    assert_login_refused(&app, "userinfo", "userinfo sub differs").await;
}

/// Filevine signs with RS512 by default.
#[tokio::test]
async fn rs512_signed_id_tokens_succeed() {
    let app = spawn(TestOptions {
        fake: FakeOptions {
            id_token_alg: jsonwebtoken::Algorithm::RS512,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    assert_login_succeeds(&app).await;
}

/// Decision: userinfo is a cross-check, so an outage of it fails open (the verified ID token
/// already says who this is; a flaky userinfo must not lock every user out) and is logged,
/// while a userinfo naming someone else fails closed (see `rp_userinfo_bad_sub_claim`).
#[tokio::test]
async fn a_userinfo_outage_does_not_refuse_the_login_but_is_logged() {
    let logs = capture_logs(LOG_FILTER);
    let app = spawn(TestOptions::default()).await;
    app.control().set_userinfo_down(true);
    assert_login_succeeds(&app).await;
    assert_eq!(
        app.control().userinfo_calls(),
        0,
        "userinfo answered nothing"
    );
    assert!(
        logs.text()
            .contains("userinfo unavailable at login; relying on the verified ID token"),
        "the outage is logged"
    );
}

/// `FV_CLOCK_SKEW_SECONDS=30`, seconds either side of the boundary. Only the app's clock is
/// moved, so the provider's clock runs ahead (the ID token's `iat` is in our future) or behind
/// (its one-hour `exp` is in our past) by 25 s (within the leeway) or 35 s (beyond it).
#[tokio::test]
async fn the_clock_skew_leeway_holds_to_within_seconds_either_side() {
    let app = spawn(TestOptions {
        extra_env: vec![("FV_CLOCK_SKEW_SECONDS".into(), "30".into())],
        ..Default::default()
    })
    .await;
    let secs = Duration::from_secs;
    let id_token_ttl = secs(3600);
    // The provider 25 s / 35 s ahead of us: `iat` in our future.
    app.clock.rewind(secs(25));
    assert_login_succeeds(&app).await;
    app.clock.rewind(secs(10));
    assert_login_refused(&app, "id_token", "future").await;
    app.clock.advance(secs(35));
    // The provider 25 s / 35 s behind, on an ID token issued an hour ago by its clock.
    app.clock.advance(id_token_ttl + secs(25));
    assert_login_succeeds(&app).await;
    app.clock.advance(secs(10));
    assert_login_refused(&app, "id_token", "xpired").await;
}

/// `callback` with its `iss` replaced by `iss` (`None`: removed).
fn with_iss(callback: &url::Url, iss: Option<&str>) -> url::Url {
    let mut u = callback.clone();
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "iss")
        .collect();
    let mut q = u.query_pairs_mut();
    q.clear().extend_pairs(pairs);
    if let Some(iss) = iss {
        q.append_pair("iss", iss);
    }
    drop(q);
    u
}

/// RFC 9207 when the provider does not advertise it: a response without `iss` is accepted,
/// and one that carries a foreign `iss` is still refused (RFC 9207 2.4) before the code is spent.
#[tokio::test]
async fn without_rfc_9207_advertised_iss_is_optional_but_still_checked() {
    let app = spawn(TestOptions {
        fake: FakeOptions {
            advertise_iss_parameter: false,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let b = app.browser();
    let authorize = b.start_login(&app, None).await;
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    let r = b.get(&with_iss(&callback, None)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no iss, none promised");
    assert_eq!(b.get(&app.url("/profile")).await.status(), StatusCode::OK);

    let b = app.browser();
    let authorize = b.start_login(&app, None).await;
    let callback = b.provider_choose(&authorize, Choice::User(ADA)).await;
    let exchanged = app.control().token_calls("authorization_code");
    let r = b
        .get(&with_iss(&callback, Some("https://evil.example")))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a foreign iss");
    assert_signed_out(&app, &b).await;
    assert_eq!(app.control().token_calls("authorization_code"), exchanged);
}
