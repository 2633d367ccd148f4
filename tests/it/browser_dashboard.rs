//! The dashboard in a real browser against a slow gateway: the table is there first, then
//! `static/summary.js` fills in the count, the chart, the phase choices and "of N" once the
//! scan is done, with no console error (CSP allows only same-origin scripts).

use crate::e2e_support;

use std::time::Duration;

use anyhow::{ensure, Result};
use e2e_support::{sign_in, Session, World};
use fake_filevine::{FakeOptions, ProjectFilter};
use fantoccini::Locator;
use fv_partner_app::util::numbers::grouped;

const LOVELACE: i64 = 5001;

async fn journey(world: &mut World) -> Result<()> {
    let s: &mut Session = &mut world.session;
    s.client.goto(s.app.as_str()).await?;
    sign_in(s, &world.provider).await?;
    // Three round trips to count (20 pages, 8 at a time), one for the table.
    world
        .fake
        .control()
        .set_gateway_latency(Duration::from_millis(700));
    s.client.goto(s.app.join("/projects")?.as_str()).await?;
    let first = s
        .wait_for_text(&["Projects 1–50", "Counting projects"])
        .await?;
    s.step("10-table-first").await?;
    ensure!(
        !first.contains("projects match"),
        "counted already:\n{first}"
    );

    let n = world.fake.control().project_count(
        LOVELACE,
        &ProjectFilter {
            exclude_archived: true,
            ..ProjectFilter::default()
        },
    );
    let pages = n.div_ceil(50);
    let text = s
        .wait_for_text(&[
            &format!("{} projects match", grouped(&n)),
            &format!("Projects 1–50 of {}", grouped(&n)),
            &format!("Page 1 of {}", grouped(&pages)),
        ])
        .await?;
    ensure!(!text.contains("Counting projects"), "{text}");
    s.step("11-summary-filled-in").await?;
    ensure!(
        s.client
            .find(Locator::Css("figure.chart svg"))
            .await
            .is_ok(),
        "no chart after the summary came"
    );
    let phases = s
        .client
        .find_all(Locator::Css("#f-phase option"))
        .await?
        .len();
    ensure!(
        phases > 2,
        "the phase choices were not filled in ({phases})"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_follows_the_table_in_a_real_browser() {
    let fake = FakeOptions {
        projects_per_org: 20_000,
        ..FakeOptions::default()
    };
    let mut world = World::start_with("dashboard", &[], fake).await;
    let outcome = journey(&mut world).await;
    world.finish(outcome).await;
}
