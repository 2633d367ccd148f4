//! Issue 14: OpenID Connect Back-Channel Logout. A valid logout token ends exactly the
//! sessions it names (and their tokens); every refusal the spec lists answers 400 with a JSON
//! error and ends nothing. On SQLite; the two-replica case on PostgreSQL is in
//! `backchannel_replicas.rs`.

use crate::common;

use crate::support::backchannel as support;

use common::*;
use fake_filevine::{FakeFilevine, FakeOptions, Tamper};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::*;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";

#[tokio::test]
async fn a_valid_token_with_sid_ends_that_session_and_no_other() {
    let app = spawn_app(TestOptions::default()).await;
    let control = app.control();
    let (ada1, ada2, ben) = (app.browser(), app.browser(), app.browser());
    ada1.login(&app, ADA, None).await;
    ada2.login(&app, ADA, None).await;
    ben.login(&app, BEN, None).await;
    let sid1 = control.sids_of(ADA)[0].clone();
    let vault_rows = vault_count(&app).await;

    let token =
        control.sign_logout_token(&control.logout_claims(CLIENT_ID, ADA, Some(&sid1)), None);
    let r = post_logout_token(&app, &token).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");

    assert!(!signed_in(&app, &ada1).await, "the named session ends");
    assert!(
        signed_in(&app, &ada2).await,
        "Ada's other session (another sid) stays"
    );
    assert!(signed_in(&app, &ben).await, "another user's session stays");
    assert_eq!(
        vault_count(&app).await,
        vault_rows - 1,
        "its tokens are gone too"
    );
}

#[tokio::test]
async fn a_token_with_only_sub_ends_every_session_of_that_user() {
    let app = spawn_app(TestOptions::default()).await;
    let control = app.control();
    let (ada1, ada2, ben) = (app.browser(), app.browser(), app.browser());
    ada1.login(&app, ADA, None).await;
    ada2.login(&app, ADA, None).await;
    ben.login(&app, BEN, None).await;

    let token = control.sign_logout_token(&control.logout_claims(CLIENT_ID, ADA, None), None);
    assert_eq!(
        post_logout_token(&app, &token).await.status(),
        StatusCode::OK
    );
    assert!(!signed_in(&app, &ada1).await);
    assert!(!signed_in(&app, &ada2).await);
    assert!(signed_in(&app, &ben).await);
}

/// Every refusal of the issue: 400, a JSON error, and Ada still signed in.
#[tokio::test]
async fn broken_logout_tokens_are_refused_with_400_and_end_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let control = app.control();
    let ada = app.browser();
    ada.login(&app, ADA, None).await;
    let sid = control.sids_of(ADA)[0].clone();
    let valid = || control.logout_claims(CLIENT_ID, ADA, Some(&sid));
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut c = valid();
        edit(&mut c);
        c
    };
    let now = app.clock.now_unix();
    let cases: Vec<(&str, Value, Option<Tamper>)> = vec![
        ("bad signature", valid(), Some(Tamper::BadSignature)),
        ("alg none", valid(), Some(Tamper::AlgNone)),
        (
            "HS256 with the client secret",
            valid(),
            Some(Tamper::HmacWithClientSecret),
        ),
        (
            "wrong iss",
            with(&|c| c["iss"] = json!("http://127.0.0.1:1/other")),
            None,
        ),
        (
            "wrong aud",
            with(&|c| c["aud"] = json!("another-client")),
            None,
        ),
        (
            "missing events",
            with(&|c| {
                c.as_object_mut().unwrap().remove("events");
            }),
            None,
        ),
        (
            "wrong event",
            with(&|c| c["events"] = json!({"http://schemas.openid.net/event/other": {}})),
            None,
        ),
        (
            "nonce present",
            with(&|c| c["nonce"] = json!("n-123")),
            None,
        ),
        (
            "neither sid nor sub",
            with(&|c| {
                let o = c.as_object_mut().unwrap();
                o.remove("sid");
                o.remove("sub");
            }),
            None,
        ),
        (
            "expired",
            with(&|c| {
                c["iat"] = json!(now - 7200);
                c["exp"] = json!(now - 3600);
            }),
            None,
        ),
        (
            "no exp and issued long ago",
            with(&|c| {
                c["iat"] = json!(now - 7200);
                c.as_object_mut().unwrap().remove("exp");
            }),
            None,
        ),
        (
            "issued in the future",
            with(&|c| c["iat"] = json!(now + 3600)),
            None,
        ),
        (
            "no jti",
            with(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            None,
        ),
    ];
    for (case, claims, tamper) in cases {
        let token = control.sign_logout_token(&claims, tamper);
        let r = post_logout_token(&app, &token).await;
        assert_refused(r, case).await;
        assert!(signed_in(&app, &ada).await, "{case}: no session may end");
    }
    for (case, form) in [
        ("no logout_token", vec![]),
        ("not a JWT", vec![("logout_token", "not-a-jwt")]),
    ] {
        let r = reqwest::Client::new()
            .post(app.url("/auth/backchannel-logout"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_refused(r, case).await;
    }
    assert!(signed_in(&app, &ada).await);
}

#[tokio::test]
async fn a_token_from_another_environments_provider_is_refused() {
    let app = spawn_app(TestOptions::default()).await;
    let ada = app.browser();
    ada.login(&app, ADA, None).await;
    let sid = app.control().sids_of(ADA)[0].clone();
    // Another provider (another environment's): its own key, its own issuer, same client id.
    let other = FakeFilevine::start(FakeOptions::default()).await.unwrap();
    let oc = other.control();
    let token = oc.sign_logout_token(&oc.logout_claims(CLIENT_ID, ADA, Some(&sid)), None);
    assert_refused(post_logout_token(&app, &token).await, "other provider").await;
    // Even claiming our issuer, its signature does not verify with our provider's keys.
    let mut claims = oc.logout_claims(CLIENT_ID, ADA, Some(&sid));
    claims["iss"] = json!(app.fake.issuer());
    let token = oc.sign_logout_token(&claims, None);
    assert_refused(
        post_logout_token(&app, &token).await,
        "other provider's key",
    )
    .await;
    assert!(signed_in(&app, &ada).await);
}

#[tokio::test]
async fn a_replayed_jti_is_refused_even_by_another_process_on_the_same_database() {
    // Two app processes on one SQLite file: the second has never seen the token, as after a
    // restart; only the database remembers the jti.
    let apps = spawn_replicas(2, TestOptions::default()).await;
    let (one, two) = (&apps[0], &apps[1]);
    let control = one.control();
    let ada = one.browser();
    ada.login(one, ADA, None).await;
    let claims = control.logout_claims(CLIENT_ID, ADA, None);
    let token = control.sign_logout_token(&claims, None);
    assert_eq!(
        post_logout_token(one, &token).await.status(),
        StatusCode::OK
    );
    assert_refused(
        post_logout_token(two, &token).await,
        "replay at the other process",
    )
    .await;
    assert_refused(
        post_logout_token(one, &token).await,
        "replay at the same process",
    )
    .await;

    // A replay must end nothing: Ada signs in again and the old token is still refused.
    let again = one.browser();
    again.login(one, ADA, None).await;
    assert_refused(
        post_logout_token(two, &token).await,
        "replay after a new login",
    )
    .await;
    assert!(signed_in(one, &again).await);
}

#[tokio::test]
async fn signing_out_at_the_provider_signs_the_app_out() {
    let app = spawn_app(TestOptions::default()).await;
    let control = app.control();
    control.set_backchannel_logout_uri(CLIENT_ID, app.url("/auth/backchannel-logout").as_str());
    let (ada, ben) = (app.browser(), app.browser());
    ada.login(&app, ADA, None).await;
    ben.login(&app, BEN, None).await;
    // The stand-in's own "Sign out of Filevine" page posts the same logout tokens.
    let page = reqwest::Client::new()
        .post(format!("{}/connect/signout", app.fake.issuer()))
        .form(&[("user", ADA)])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("1 of 1"));
    assert!(!signed_in(&app, &ada).await);
    assert!(signed_in(&app, &ben).await);
    assert_eq!(control.sign_out_at_provider(BEN).await, vec![200]);
    assert!(!signed_in(&app, &ben).await);
}

/// A session signed in before the index existed has no row, so a logout token cannot find
/// it. Ordinary pages do not write the index; its user opening "Your sessions" indexes it (the
/// row it would have had), and from then on the logout token ends it.
#[tokio::test]
async fn a_session_from_before_the_index_is_indexed_when_its_user_opens_the_sessions_page() {
    let app = spawn_app(TestOptions::default()).await;
    let control = app.control();
    let ada = app.browser();
    ada.login(&app, ADA, None).await;
    let rows = app.state.db.sessions_all(0).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = rows[0].clone();
    // As before the index: the session, without its row.
    app.state
        .db
        .session_index_delete(&row.stored_id)
        .await
        .unwrap();
    let sid = row.sid.clone();
    let logout = || {
        let claims = control.logout_claims(CLIENT_ID, ADA, sid.as_deref());
        control.sign_logout_token(&claims, None)
    };
    assert_eq!(
        post_logout_token(&app, &logout()).await.status(),
        StatusCode::OK
    );
    assert!(signed_in(&app, &ada).await, "not found without its row");
    assert!(
        app.state.db.sessions_all(0).await.unwrap().is_empty(),
        "an ordinary page writes nothing to the index"
    );

    let r = ada.get(&app.url("/account/sessions")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("(this session)"));
    assert_eq!(app.state.db.sessions_all(0).await.unwrap(), vec![row]);

    assert_eq!(
        post_logout_token(&app, &logout()).await.status(),
        StatusCode::OK
    );
    assert!(!signed_in(&app, &ada).await, "found and ended once indexed");
}
