//! `/reports` in a real browser (the certified provider and headless Chromium of
//! `tests/e2e_support`): signed in as Ada, the page shows its four charts and their tables,
//! screenshots land in `target/e2e-screenshots/reports/`, and the console stays free of errors
//! (a CSP violation from an inline style or script would be one). With a week of snapshots, the dashboard's trend has a line per phase, each labelled at its end.

use crate::e2e_support;

use anyhow::{ensure, Result};
use e2e_support::{sign_in, World};
use fake_filevine::{FakeOptions, ADA, PHASES};
use fantoccini::Locator;

const LOVELACE: i64 = 5001;

/// A week of daily snapshots of Lovelace's phases (the stand-in's), as the scheduled job
/// records them: the e2e provider cannot exchange a PAT, so they are written to the store.
async fn a_week_of_snapshots(world: &World) -> Result<()> {
    let now = world.state.clock.now_unix();
    for day in 0..7_i64 {
        let counts: Vec<(String, i64)> = PHASES
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                (
                    (*name).to_owned(),
                    40 + 25 * i as i64 + day * (i as i64 % 3),
                )
            })
            .collect();
        world
            .state
            .db
            .snapshot_put(
                ("us", "reports"),
                LOVELACE,
                now - (6 - day) * 86_400,
                &counts,
            )
            .await?;
    }
    Ok(())
}

async fn journey(world: &mut World) -> Result<()> {
    a_week_of_snapshots(world).await?;
    let s = &mut world.session;
    s.client.goto(s.app.as_str()).await?;
    sign_in(s, &world.provider).await?;
    s.client.goto(s.app.join("/reports")?.as_str()).await?;
    s.wait_for_text(&[
        "Stale matters",
        "30-59 days",
        "60-89 days",
        "90+ days",
        "Time in current phase",
        "New matters per month",
        "Personal Injury",
    ])
    .await?;
    s.step("10-reports").await?;
    let charts = s.client.find_all(Locator::Css("figure svg")).await?.len();
    ensure!(charts == 4, "{charts} charts, not one per section");
    let tables = s
        .client
        .find_all(Locator::Css("table.report-table"))
        .await?
        .len();
    ensure!(tables == 5, "{tables} tables under the charts");
    // A band's link opens the dashboard with those matters.
    s.click("#stale-table a").await?;
    s.wait_for_url("the dashboard of a stale band", |u| {
        u.path() == "/projects" && u.query().is_some_and(|q| q.contains("active_since="))
    })
    .await?;
    s.wait_for_text(&["projects match"]).await?;
    s.step("11-stale-band-on-the-dashboard").await?;
    s.client.goto(s.app.join("/projects")?.as_str()).await?;
    s.wait_for_text(&["Projects per phase over time", "projects match"])
        .await?;
    let ends = s
        .client
        .find_all(Locator::Css("svg text.trend-end"))
        .await?
        .len();
    ensure!(ends >= 3, "{ends} labelled lines in the trend");
    s.client
        .execute(
            "document.querySelector('section.trend').scrollIntoView()",
            vec![],
        )
        .await?;
    s.step("12-trend").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reports_page_renders_in_a_real_browser_without_console_errors() {
    // The stand-in's matters end today, so every stale band has some.
    let fake = FakeOptions {
        anchor: Some(time::OffsetDateTime::now_utc()),
        ..FakeOptions::default()
    };
    let env = [("FV_ADMIN_EMAILS", ADA.email)];
    let mut world = World::start_with("reports", &env, fake).await;
    let outcome = journey(&mut world).await;
    world.finish(outcome).await;
}
