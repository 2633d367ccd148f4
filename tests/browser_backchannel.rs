//! OpenID Connect Back-Channel Logout, end to end, against a certified provider
//! (`oidc-provider`, `tests/e2e/provider.mjs`, with `backchannelLogout` on and the app's
//! `/auth/backchannel-logout` registered, `sid` required) in headless Chromium.
//!
//! Ada signs in to the app, then signs out *at the provider* (its own end-session page, no
//! `id_token_hint`, never through the app's Log out). The provider posts a logout token to the
//! app server to server; the app's next page is signed out. The test also checks that this
//! happened for the right reason: the provider reports the POST answered 200, the app counted
//! a 200 on that route and never served its own `/auth/logout`, and the session index is empty.
//!
//! A test binary of its own: the metrics it reads are global to the process, and in the shared
//! binary (`tests/it/`) other tests' logins and logouts would add to them.

#[path = "common/mod.rs"]
mod common;
#[path = "it/e2e_support/mod.rs"]
mod e2e_support;

use anyhow::{ensure, Context, Result};
use e2e_support::{sign_in, Session, World};
use fake_filevine::ADA;
use fantoccini::Locator;

/// The sum of `fv_http_requests_total` samples whose labels include every one of `labels`.
fn requests_counted(metrics: &str, labels: &[&str]) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("fv_http_requests_total{"))
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn app_metrics(s: &Session) -> Result<String> {
    let url = s.app.join("/metrics")?;
    Ok(reqwest::get(url).await?.text().await?)
}

async fn journey(world: &mut World) -> Result<()> {
    let (s, provider) = (&mut world.session, &world.provider);
    let db = world.state.db.clone();

    // 1-4. Home, Login with Filevine, the provider's login and consent, back signed in.
    s.client.goto(s.app.as_str()).await?;
    s.wait_for_text(&["Login with Filevine"]).await?;
    s.step("01-home").await?;
    sign_in(s, provider).await?;
    s.client.goto(s.app.join("/profile")?.as_str()).await?;
    s.wait_for_text(&[&ADA.name(), ADA.email, "Developer details"])
        .await?;
    s.step("05-profile").await?;
    let rows = db.sessions_all(0).await?;
    ensure!(
        rows.len() == 1 && rows[0].sid.is_some(),
        "one indexed session with the ID token's sid expected: {rows:?}"
    );

    // 6. Sign out at the provider, in the same browser: its end-session page, confirmed.
    s.client
        .goto(provider.issuer.join("/session/end")?.as_str())
        .await?;
    s.wait_for_text(&["Do you want to sign-out"]).await?;
    s.step("06-provider-sign-out").await?;
    s.click("button[name='logout'][value='yes']").await?;
    s.wait_for_text(&["Sign-out Success"]).await?;
    s.step("07-provider-signed-out").await?;

    // The provider posted the logout token and the app took it (the provider awaits the
    // back-channel calls before it answers the confirmation).
    ensure!(
        provider.count("backchannel.success") == 1 && provider.count("backchannel.error") == 0,
        "expected one accepted back-channel logout:\n{}",
        provider.log()
    );
    let metrics = app_metrics(s).await?;
    let accepted = requests_counted(
        &metrics,
        &["route=\"/auth/backchannel-logout\"", "status=\"200\""],
    );
    ensure!(
        accepted == 1.0,
        "the app counted {accepted} accepted logout tokens"
    );
    let own_logouts = requests_counted(&metrics, &["route=\"/auth/logout\""]);
    ensure!(
        own_logouts == 0.0,
        "the app's own Log out ran: not a back-channel logout"
    );
    let rows = db.sessions_all(0).await?;
    ensure!(rows.is_empty(), "the session is still indexed: {rows:?}");

    // 8. The app's next page is signed out. The home page first: it calls no gateway, so it
    //    shows the session itself (a /profile alone could also end at the login because the
    //    provider revoked the grant, and the app's refresh was refused).
    s.client.goto(s.app.as_str()).await?;
    let home = s.wait_for_text(&["Login with Filevine"]).await?;
    ensure!(!home.contains("Log out"), "still signed in:\n{home}");
    s.step("08-home-signed-out").await?;

    // 9. /profile sends the browser to log in, and the provider (signed out too) shows its
    //    login form; the app had no session left to try a refresh for.
    s.client.goto(s.app.join("/profile")?.as_str()).await?;
    let provider_origin = provider.issuer.origin();
    s.wait_for_url("the provider's login page", |u| {
        u.origin() == provider_origin
    })
    .await?;
    s.client
        .wait()
        .at_most(e2e_support::STEP_TIMEOUT)
        .for_element(Locator::Css("input[name='login']"))
        .await
        .context("the provider's login form")?;
    s.step("09-profile-asks-to-log-in").await?;
    ensure!(
        provider.count("grant.error") == 0,
        "the app still held a session and tried its refresh token:\n{}",
        provider.log()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_at_the_provider_signs_the_browser_out_of_the_app() {
    let mut world = World::start_backchannel("backchannel", &[]).await;
    let outcome = journey(&mut world).await;
    world.finish(outcome).await;
}
