//! Issue 14: a back-channel logout received by one replica ends the session on every replica
//! sharing PostgreSQL. Needs `FV_TEST_DATABASE_URL` (`./scripts/test.sh` sets it).

use crate::common;

use crate::support::backchannel as support;

use common::*;
use reqwest::StatusCode;
use support::*;

const ADA: &str = "fv-user-1001";
const BEN: &str = "fv-user-1002";

#[tokio::test]
async fn a_logout_token_at_one_replica_ends_the_session_on_both() {
    let apps = spawn_replicas(
        2,
        TestOptions {
            database_url: Some(postgres_url()),
            ..Default::default()
        },
    )
    .await;
    let (one, two) = (&apps[0], &apps[1]);
    let control = one.control();
    // Ada signs in at replica one; Ben at replica two. Each browser's cookie works at both.
    let (ada, ben) = (one.browser(), two.browser());
    ada.login(one, ADA, None).await;
    ben.login(two, BEN, None).await;
    let ada_at_two = browser_with_cookie_of(&ada, one, two);
    assert!(
        signed_in(two, &ada_at_two).await,
        "one database, one session"
    );

    let sid = control.sids_of(ADA).pop().unwrap();
    let token = control.sign_logout_token(&control.logout_claims(CLIENT_ID, ADA, Some(&sid)), None);
    // The provider calls replica two.
    assert_eq!(
        post_logout_token(two, &token).await.status(),
        StatusCode::OK
    );

    assert!(!signed_in(one, &ada).await, "signed out at replica one");
    assert!(
        !signed_in(two, &ada_at_two).await,
        "signed out at replica two"
    );
    assert!(
        signed_in(one, &browser_with_cookie_of(&ben, two, one)).await,
        "Ben untouched"
    );
    assert!(signed_in(two, &ben).await, "Ben untouched");
    // The same token again, at the other replica: a replay.
    assert_refused(
        post_logout_token(one, &token).await,
        "replay at the other replica",
    )
    .await;
}

/// A browser holding `b`'s session cookie for `to` (the same site behind a load balancer).
fn browser_with_cookie_of(b: &Browser, from: &TestApp, to: &TestApp) -> Browser {
    let cookie = b.session_cookie(from).expect("signed in");
    let other = to.browser();
    other
        .jar
        .add_cookie_str(&format!("fv_session={cookie}; Path=/"), &to.base);
    other
}
