//! The dashboard on a phone (issue 16): at 375 px wide, signed in as Ben (two organizations,
//! so the header carries the organization switcher), `/projects` must not scroll sideways,
//! the header must stay compact, the table must read as stacked cards with a full-width
//! caption, and the "Sort by" control (the column headings are hidden there) must be on
//! screen. The organization drop-down must show whole names at phone and desktop widths.
//! Screenshots go to `target/e2e-screenshots/narrow/`.

use crate::e2e_support;

use anyhow::{ensure, Context, Result};
use e2e_support::{Provider, Session, World, STEP_TIMEOUT};
use fake_filevine::BEN;
use fantoccini::Locator;
use serde_json::Value;

const PHONE_WIDTH: u32 = 375;
const PHONE_HEIGHT: u32 = 812;

/// Signs Ben in through the provider's login and consent pages and picks his first org.
async fn sign_in_as_ben(s: &mut Session, provider: &Provider) -> Result<()> {
    s.client
        .goto(s.app.join("/auth/login?return_to=/projects")?.as_str())
        .await?;
    let origin = provider.issuer.origin();
    s.wait_for_url("the provider's login page", |u| u.origin() == origin)
        .await?;
    let login = s
        .client
        .wait()
        .at_most(STEP_TIMEOUT)
        .for_element(Locator::Css("input[name='login']"))
        .await?;
    login.send_keys(BEN.sub).await?;
    s.client
        .find(Locator::Css("input[name='password']"))
        .await?
        .send_keys("any password will do")
        .await?;
    s.click("button[type='submit']").await?;
    s.wait_for_text(&["Authorize"]).await?;
    s.click("button[type='submit']").await?;
    s.wait_for_text(&["Choose an organization"]).await?;
    s.step("01-chooser").await?;
    s.click("main form[action='/org'] button[type='submit']")
        .await?;
    s.wait_for_url("the dashboard", |u| s.on_app(u) && u.path() == "/projects")
        .await?;
    Ok(())
}

/// Runs `script` (a function body that returns JSON-able data) in the page.
async fn js(s: &Session, script: &str) -> Result<Value> {
    s.client
        .execute(script, vec![])
        .await
        .with_context(|| format!("running {script}"))
}

/// Whether the org drop-down is wide enough for its chosen name (measured in its own font),
/// as `(select's inner width, text width)`.
async fn org_select_fit(s: &Session) -> Result<(f64, f64)> {
    let v = js(
        s,
        "const el = document.getElementById('org-switch-select');
         const text = el.options[el.selectedIndex].text;
         const ctx = document.createElement('canvas').getContext('2d');
         const cs = getComputedStyle(el);
         ctx.font = cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
         const pad = parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
         return [el.clientWidth - pad, ctx.measureText(text).width];",
    )
    .await?;
    Ok((
        v[0].as_f64().context("width")?,
        v[1].as_f64().context("text")?,
    ))
}

async fn narrow_pass(s: &mut Session, provider: &Provider) -> Result<()> {
    sign_in_as_ben(s, provider).await?;
    s.wait_for_text(&["Projects", "Sort by"]).await?;
    let (room, text) = org_select_fit(s).await?;
    // 20 px: the drop-down arrow sits inside the padding box.
    ensure!(
        room >= text + 20.0,
        "desktop: the organization drop-down cuts its name off ({room} px for {text} px)"
    );
    s.step("02-desktop").await?;

    s.client.set_window_size(PHONE_WIDTH, PHONE_HEIGHT).await?;
    s.client.goto(s.app.join("/projects")?.as_str()).await?;
    s.wait_for_text(&["Sort by"]).await?;
    let m = js(
        s,
        "const t = document.querySelector('table.projects');
         const c = t.querySelector('caption');
         const sort = document.getElementById('f-sort').getBoundingClientRect();
         return {
           inner: innerWidth, innerH: innerHeight,
           scroll: document.documentElement.scrollWidth,
           header: document.querySelector('header.site').getBoundingClientRect().height,
           caption: c.getBoundingClientRect().width,
           table: t.getBoundingClientRect().width,
           theadShown: t.querySelector('thead').getBoundingClientRect().height > 2,
           rowDisplay: getComputedStyle(t.querySelector('tbody tr')).display,
           sortLeft: sort.left, sortRight: sort.right, sortW: sort.width,
         };",
    )
    .await?;
    let f = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);
    ensure!(
        f("inner") <= f64::from(PHONE_WIDTH),
        "the window is not phone-sized: {m}"
    );
    ensure!(
        f("scroll") <= f("inner"),
        "the page scrolls sideways at {} px: {m}",
        f("inner")
    );
    ensure!(
        f("header") <= f("innerH") / 6.0,
        "the header takes {} of {} px: {m}",
        f("header"),
        f("innerH")
    );
    ensure!(
        m["rowDisplay"] != "table-row" && m["theadShown"] == false,
        "the table is not a stacked card list: {m}"
    );
    ensure!(
        f("caption") >= 0.9 * f("table"),
        "the caption is squeezed into a column: {m}"
    );
    ensure!(
        f("sortW") > 0.0 && f("sortLeft") >= 0.0 && f("sortRight") <= f("inner"),
        "the Sort by control is off screen: {m}"
    );
    let sort = s.client.find(Locator::Id("f-sort")).await?;
    ensure!(sort.is_displayed().await?, "Sort by is hidden");
    let (room, text) = org_select_fit(s).await?;
    ensure!(
        room >= text + 20.0,
        "phone: the organization drop-down cuts its name off ({room} px for {text} px)"
    );
    s.step("03-phone-top").await?;
    js(
        s,
        "document.querySelector('table.projects').scrollIntoView(); return null;",
    )
    .await?;
    s.step("04-phone-table").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_fits_a_375px_phone() {
    let mut world = World::start("narrow", &[]).await;
    let outcome = narrow_pass(&mut world.session, &world.provider).await;
    world.finish(outcome).await;
}
