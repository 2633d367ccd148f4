//! Back-Channel Logout 1.0, the claims the README promises beyond the refusals of
//! `backchannel_logout.rs`: a logout token signed with a key the app has not fetched yet (the
//! key set is refetched), the clock leeway on `iat` and `exp` to the second, a token without
//! `exp` while it is fresh, `sid` alone, a `sid` of one user with the `sub` of another, and
//! `aud` as an array.

use crate::common;

use crate::support::backchannel as support;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::*;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";

/// The leeway these tests configure (`FV_CLOCK_SKEW_SECONDS`), so the boundaries are exact.
const SKEW: i64 = 30;

async fn app_with_skew() -> TestApp {
    spawn_app(TestOptions {
        extra_env: vec![("FV_CLOCK_SKEW_SECONDS".into(), SKEW.to_string())],
        ..Default::default()
    })
    .await
}

/// A browser signed in as `sub`, and the stand-in's `sid` of that login.
async fn sign_in(app: &TestApp, sub: &str) -> (Browser, String) {
    let b = app.browser();
    b.login(app, sub, None).await;
    let sid = app.control().sids_of(sub).pop().expect("a sid per login");
    (b, sid)
}

/// Valid claims for `sid` of Ada, edited by `edit`, signed with the provider's current key.
fn token(app: &TestApp, sid: &str, edit: impl FnOnce(&mut Value)) -> String {
    let control = app.control();
    let mut claims = control.logout_claims(CLIENT_ID, ADA, Some(sid));
    edit(&mut claims);
    control.sign_logout_token(&claims, None)
}

#[tokio::test]
async fn a_token_signed_with_a_rotated_key_refetches_the_key_set_and_ends_the_session() {
    let app = spawn_app(TestOptions::default()).await;
    let (ada, sid) = sign_in(&app, ADA).await;
    // The provider rolls its key over: the new one signs, the one the app knows is gone.
    app.control().rotate_signing_key(true).await.unwrap();
    let fetches = app.control().jwks_fetches();
    let r = post_logout_token(&app, &token(&app, &sid, |_| {})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(app.control().jwks_fetches(), fetches + 1, "one refetch");
    assert!(!signed_in(&app, &ada).await);
}

/// `iat` up to the leeway in our future, `exp` up to the leeway in our past, and (without
/// `exp`) `iat` up to 10 minutes plus the leeway in our past are accepted; 5 s beyond each
/// boundary, refused.
#[tokio::test]
async fn token_times_are_accepted_to_the_leeway_and_refused_beyond_it() {
    let app = app_with_skew().await;
    let max_age = 600 + SKEW;
    type Edit = Box<dyn FnOnce(&mut Value, i64)>;
    let cases: Vec<(&str, Edit, bool)> = vec![
        (
            "iat 25 s ahead",
            Box::new(|c, now| c["iat"] = json!(now + SKEW - 5)),
            true,
        ),
        (
            "iat 35 s ahead",
            Box::new(|c, now| c["iat"] = json!(now + SKEW + 5)),
            false,
        ),
        (
            "exp 25 s ago",
            Box::new(|c, now| {
                c["iat"] = json!(now - 120);
                c["exp"] = json!(now - SKEW + 5);
            }),
            true,
        ),
        (
            "exp 35 s ago",
            Box::new(|c, now| {
                c["iat"] = json!(now - 120);
                c["exp"] = json!(now - SKEW - 5);
            }),
            false,
        ),
        (
            "no exp, issued now",
            Box::new(|c, now| {
                c["iat"] = json!(now);
                c.as_object_mut().unwrap().remove("exp");
            }),
            true,
        ),
        (
            "no exp, 5 s inside the age limit",
            Box::new(move |c, now| {
                c["iat"] = json!(now - max_age + 5);
                c.as_object_mut().unwrap().remove("exp");
            }),
            true,
        ),
        (
            "no exp, 5 s past the age limit",
            Box::new(move |c, now| {
                c["iat"] = json!(now - max_age - 5);
                c.as_object_mut().unwrap().remove("exp");
            }),
            false,
        ),
    ];
    for (case, edit, accepted) in cases {
        let (ada, sid) = sign_in(&app, ADA).await;
        let now = app.clock.now_unix();
        let r = post_logout_token(&app, &token(&app, &sid, |c| edit(c, now))).await;
        if accepted {
            assert_eq!(r.status(), StatusCode::OK, "{case}");
            assert!(!signed_in(&app, &ada).await, "{case}: the session ends");
        } else {
            assert_refused(r, case).await;
            assert!(signed_in(&app, &ada).await, "{case}: nothing ends");
        }
    }
}

#[tokio::test]
async fn a_token_with_only_sid_ends_that_session_alone() {
    let app = spawn_app(TestOptions::default()).await;
    let (ada1, sid1) = sign_in(&app, ADA).await;
    let (ada2, _) = sign_in(&app, ADA).await;
    let only_sid = token(&app, &sid1, |c| {
        c.as_object_mut().unwrap().remove("sub");
    });
    assert_eq!(
        post_logout_token(&app, &only_sid).await.status(),
        StatusCode::OK
    );
    assert!(!signed_in(&app, &ada1).await, "the named session ends");
    assert!(signed_in(&app, &ada2).await, "Ada's other session stays");
}

/// Section 2.4 allows both; the `sub` then narrows the `sid`: a `sid` of Ada's with Ben's
/// `sub` names no session, so neither Ada nor Ben is signed out.
#[tokio::test]
async fn a_sid_of_one_user_with_the_sub_of_another_ends_nothing() {
    let app = spawn_app(TestOptions::default()).await;
    let (ada, ada_sid) = sign_in(&app, ADA).await;
    let (ben, _) = sign_in(&app, BEN).await;
    let mismatch = token(&app, &ada_sid, |c| c["sub"] = json!(BEN));
    let r = post_logout_token(&app, &mismatch).await;
    assert_eq!(r.status(), StatusCode::OK, "a valid token, naming nobody");
    assert!(signed_in(&app, &ada).await, "Ada's session stays");
    assert!(signed_in(&app, &ben).await, "Ben's session stays");
}

#[tokio::test]
async fn aud_as_an_array_is_accepted_when_it_names_this_client() {
    let app = spawn_app(TestOptions::default()).await;
    let (ada, sid) = sign_in(&app, ADA).await;
    let others = token(&app, &sid, |c| {
        c["aud"] = json!(["another-client", "a-third-client"])
    });
    assert_refused(post_logout_token(&app, &others).await, "aud of others").await;
    assert!(signed_in(&app, &ada).await);
    let ours = token(&app, &sid, |c| {
        c["aud"] = json!(["another-client", CLIENT_ID])
    });
    assert_eq!(
        post_logout_token(&app, &ours).await.status(),
        StatusCode::OK
    );
    assert!(!signed_in(&app, &ada).await);
}
