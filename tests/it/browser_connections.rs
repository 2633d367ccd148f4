//! Save & authorize in a real browser against the certified provider: Ada, an admin, fills
//! the new-connection form for a refresh-token connection and presses Save & authorize; a new
//! window opens at the provider, she authorizes there, and the window lands on "Connected: you
//! can close this window" (its script is a file of its own, so the CSP blocks nothing: any
//! console error fails the test). Back in the first window the connections page shows the
//! connection `ok`, and Test, past the access token's lifetime, refreshes it at the provider.
//!
//! Needs what tests/it/browser_e2e.rs needs (see tests/e2e_support).

use crate::e2e_support;

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use e2e_support::{sign_in, World, ACCESS_TOKEN_TTL_SECS, STEP_TIMEOUT};
use fake_filevine::ADA;
use fantoccini::{wd::WindowHandle, Locator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_and_authorize_in_a_real_window() {
    let env = [("FV_ADMIN_EMAILS", ADA.email), ("FV_SNAPSHOT_MINUTES", "0")];
    let mut world = World::start("connections", &env).await;
    let outcome = journey(&mut world).await;
    world.finish(outcome).await;
}

async fn journey(w: &mut World) -> Result<()> {
    let s = &mut w.session;
    s.client.goto(s.app.as_str()).await?;
    sign_in(s, &w.provider).await?;
    let page = s.app.join("/settings/connections")?;
    s.client.goto(page.as_str()).await?;
    s.wait_for_text(&["New connection"]).await?;
    let first = s.client.window().await?;
    s.client
        .find(Locator::Css("#name"))
        .await?
        .send_keys("ada-rt")
        .await?;
    s.client
        .find(Locator::Css("#auth"))
        .await?
        .select_by_value("refresh_token")
        .await?;
    s.step("10-new-refresh-token-connection").await?;
    s.click("button[name='action'][value='save_authorize']")
        .await?;

    // The form posts to a new window (formtarget=_blank), which goes to the provider.
    let window = new_window(w, &first).await?;
    w.session.client.switch_to_window(window.clone()).await?;
    let connected = "Connected: you can close this window";
    let deadline = Instant::now() + STEP_TIMEOUT;
    // The Connected page closes its window by script (Chromium allows it here), often before
    // its text can be read: a window gone after the provider's second code grant is that.
    let closed = loop {
        if !w.session.client.windows().await?.contains(&window) {
            break true;
        }
        let text = match w.session.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(connected) {
            w.session.step("12-connected").await?;
            break wait_closed(w, &window).await?;
        }
        let url = w.session.client.current_url().await.ok();
        if text.contains("Authorize") && url.is_some_and(|u| !w.session.on_app(&u)) {
            w.session.step("11-provider-consent").await?;
            w.session.click("button[type='submit']").await?;
        }
        if Instant::now() > deadline {
            bail!("the new window did not come to {connected:?}:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if !closed {
        bail!("the Connected window did not close itself");
    }
    if w.provider.grants("grant.success", "authorization_code") != 2 {
        bail!("no authorization in the new window:\n{}", w.provider.log());
    }
    let s = &mut w.session;
    s.client.switch_to_window(first).await?;

    s.client.goto(page.as_str()).await?;
    let card = s
        .client
        .find(Locator::Css("#connection-ada-rt"))
        .await?
        .text()
        .await?;
    if !card.contains("ok") {
        bail!("the connection's card does not say ok:\n{card}");
    }
    s.step("13-authorized").await?;
    let row = w.state.db.connection_get("ada-rt").await?.expect("saved");
    if row.status != "ok" || row.auth != "refresh_token" {
        bail!("row: {} {}", row.auth, row.status);
    }

    // Past the access token's lifetime, Test refreshes at the provider and reads Filevine.
    let before = w.provider.grants("grant.success", "refresh_token");
    let s = &mut w.session;
    s.clock
        .advance(Duration::from_secs(ACCESS_TOKEN_TTL_SECS + 1));
    s.click("#connection-ada-rt button[name='action'][value='test']")
        .await?;
    s.wait_for_text(&["The connection works: ada-rt acts as"])
        .await?;
    s.step("14-tested").await?;
    if w.provider.grants("grant.success", "refresh_token") != before + 1 {
        bail!("Test did not refresh once:\n{}", w.provider.log());
    }
    Ok(())
}

/// The window that is not `first`, once the browser has opened it.
async fn new_window(w: &World, first: &WindowHandle) -> Result<WindowHandle> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let windows = w.session.client.windows().await?;
        if let Some(other) = windows.into_iter().find(|h| h != first) {
            return Ok(other);
        }
        if Instant::now() > deadline {
            bail!("Save & authorize opened no window");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether `window` went away within a few seconds.
async fn wait_closed(w: &World, window: &WindowHandle) -> Result<bool> {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if !w.session.client.windows().await?.contains(window) {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(false)
}
