//! Live updates in a real browser: an open dashboard hears that projects of its org changed
//! (`GET /projects/live`, an `EventSource` in `static/summary.js`), shows "N projects changed ·
//! Refresh", and Refresh fetches the counts and chart again in place, without reloading the
//! page, with no console error (the CSP allows the same-origin event stream).

use crate::e2e_support;

use anyhow::{ensure, Result};
use e2e_support::{sign_in, Session, World};
use fantoccini::Locator;
use fv_partner_app::live::Change;

const LOVELACE: i64 = 5001;

/// Summary scans the stand-in has seen (each starts at offset 0 with the summary's fields).
fn summary_scans(world: &World) -> usize {
    world
        .fake
        .control()
        .gateway_requests()
        .iter()
        .filter(|r| {
            let has = |k: &str, v: &str| r.query.iter().any(|(a, b)| a == k && b == v);
            has("requestedFields", "projectId,phaseName,phaseId") && has("offset", "0")
        })
        .count()
}

async fn journey(world: &mut World) -> Result<()> {
    let s: &mut Session = &mut world.session;
    s.client.goto(s.app.as_str()).await?;
    sign_in(s, &world.provider).await?;
    s.client.goto(s.app.join("/projects")?.as_str()).await?;
    s.wait_for_text(&["projects match"]).await?;
    // A marker that a reload would lose.
    s.client
        .execute("window.liveMarker = 'kept'; return null;", vec![])
        .await?;
    s.step("20-dashboard").await?;
    let scans = summary_scans(world);

    // What the worker publishes once it applied deliveries naming two projects of her org.
    let environment = world.state.environments.default_env().name.clone();
    let s: &mut Session = &mut world.session;
    // The stream may still be connecting: publish until the notice shows.
    let mut shown = false;
    for _ in 0..50 {
        world.state.live.publish(Change {
            environment: environment.clone(),
            org_id: LOVELACE,
            projects: 2,
        });
        let notice = s.client.find(Locator::Css("#live-notice")).await?;
        if notice.is_displayed().await? {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    ensure!(shown, "the live notice never showed");
    let text = s.wait_for_text(&["projects changed", "Refresh"]).await?;
    ensure!(text.contains("projects changed · Refresh"), "{text}");
    s.step("21-projects-changed").await?;

    s.click("#live-notice .live-refresh").await?;
    let s: &mut Session = &mut world.session;
    for _ in 0..50 {
        let notice = s.client.find(Locator::Css("#live-notice")).await?;
        if !notice.is_displayed().await? {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let notice = s.client.find(Locator::Css("#live-notice")).await?;
    ensure!(
        !notice.is_displayed().await?,
        "the notice stayed after Refresh"
    );
    s.wait_for_text(&["projects match"]).await?;
    ensure!(
        s.client
            .find(Locator::Css("#summary-area figure.chart svg"))
            .await
            .is_ok(),
        "no chart after Refresh"
    );
    let marker = s
        .client
        .execute("return window.liveMarker || null;", vec![])
        .await?;
    ensure!(marker == "kept", "the page was reloaded ({marker})");
    s.step("22-refreshed-in-place").await?;
    let after = summary_scans(world);
    ensure!(
        after > scans,
        "Refresh did not count again ({scans} -> {after})"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_dashboard_shows_changes_and_refreshes_in_place() {
    let mut world = World::start("live", &[]).await;
    let outcome = journey(&mut world).await;
    world.finish(outcome).await;
}
