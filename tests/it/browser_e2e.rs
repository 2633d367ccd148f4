//! The real thing, end to end: the app against a certified OpenID provider in headless
//! Chromium (see `e2e_support`) through home, login, consent, profile, a page after the access
//! token expired (refresh), logout with the provider's confirmation, and the signed-out page.

use crate::e2e_support;

use std::time::Duration;

use anyhow::{ensure, Result};
use e2e_support::{sign_in, Provider, Session, World, ACCESS_TOKEN_TTL_SECS};
use fake_filevine::ADA;

/// The journey. Each step waits for what a person would see, then screenshots it.
async fn journey(s: &mut Session, provider: &Provider) -> Result<()> {
    let org = ADA.orgs[0].name;

    // 1. Home page, signed out.
    s.client.goto(s.app.as_str()).await?;
    s.wait_for_text(&["Login with Filevine"]).await?;
    s.step("01-home").await?;

    // 2-4. Login with Filevine, the provider's login and consent pages, back signed in.
    sign_in(s, provider).await?;

    // 5. The profile page: the user from the ID token and from the gateway (which only answers
    //    when the provider's access token introspects as live, with the gateway scope).
    s.client.goto(s.app.join("/profile")?.as_str()).await?;
    s.wait_for_text(&[&ADA.name(), ADA.email, org, "ID token claims"])
        .await?;
    s.step("05-profile").await?;
    ensure!(
        provider.grants("grant.success", "refresh_token") == 0,
        "no refresh expected yet:\n{}",
        provider.log()
    );

    // 6. Past the access token's lifetime (by the app's clock: no sleeping), the profile needs
    //    a refreshed token.
    s.clock
        .advance(Duration::from_secs(ACCESS_TOKEN_TTL_SECS + 1));
    s.client.goto(s.app.join("/profile")?.as_str()).await?;
    let text = s.wait_for_text(&[&ADA.name(), ADA.email, org]).await?;
    ensure!(
        !text.contains("could not") && !text.contains("Sign in again"),
        "the profile after expiry shows a problem:\n{text}"
    );
    s.step("06-profile-after-refresh").await?;
    ensure!(
        provider.grants("grant.success", "refresh_token") == 1,
        "expected exactly one refresh_token grant at the provider:\n{}",
        provider.log()
    );

    // 7. Log out -> the provider's end-session confirmation: "Yes, sign me out".
    let provider_origin = provider.issuer.origin();
    s.click("form[action='/auth/logout'] button[type='submit']")
        .await?;
    s.wait_for_url("the provider's sign-out page", |u| {
        u.origin() == provider_origin
    })
    .await?;
    s.wait_for_text(&["Do you want to sign-out"]).await?;
    s.step("07-provider-logout").await?;
    s.click("button[name='logout'][value='yes']").await?;

    // 8. The app's signed-out landing page.
    s.wait_for_url("the app's signed-out page", |u| {
        s.on_app(u) && u.path() == "/auth/logout/callback"
    })
    .await?;
    s.wait_for_text(&["You are signed out"]).await?;
    s.step("08-signed-out").await?;
    ensure!(
        (provider.count("end_session.success") > 0),
        "the provider did not end its session:\n{}",
        provider.log()
    );

    // 9. Signed out for real: the home page offers the login again.
    s.client.goto(s.app.as_str()).await?;
    let home = s.wait_for_text(&["Login with Filevine"]).await?;
    ensure!(!home.contains("Log out"), "still signed in:\n{home}");
    s.step("09-home-signed-out").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_login_refresh_logout_against_a_certified_provider() {
    let mut world = World::start("login", &[]).await;
    let outcome = journey(&mut world.session, &world.provider).await;
    world.finish(outcome).await;
}
