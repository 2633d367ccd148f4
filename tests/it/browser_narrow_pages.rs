//! Every page on a phone (issue 28), after the dashboard's own pass (`browser_narrow.rs`):
//! Ben, in two organizations and made an admin here, opens each page at 375 px. None may
//! scroll sideways (the page or a box inside it), and no word of letters may be cut over two
//! lines ("Micha el"). Each page is also photographed at 1280 px. Screenshots go to
//! `target/e2e-screenshots/narrow-pages/`.

use crate::{browser_narrow::sign_in_as_ben, e2e_support};

use anyhow::{ensure, Context, Result};
use e2e_support::{Session, World};
use fake_filevine::BEN;
use fv_partner_app::store::FeedKeyRow;
use secrecy::SecretString;
use serde_json::Value;

const PHONE: (u32, u32) = (375, 812);
const DESKTOP: (u32, u32) = (1280, 900);

/// Measures the page: `{inner, scroll, scrollers: [...], broken: [...]}`. `scrollers` are the
/// boxes that scroll sideways inside the page; `broken` the words of two or more letters whose
/// letters lie on more than one line.
const MEASURE: &str = r#"
const main = document.querySelector('main');
const broken = [];
// Text in a box of 1 px or so is for screen readers only (visually hidden headings).
const tiny = el => {
  for (; el && el !== document.body; el = el.parentElement) {
    const r = el.getBoundingClientRect();
    if (r.width <= 2 || r.height <= 2) return true;
  }
  return false;
};
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
let n;
while ((n = walker.nextNode())) {
  const el = n.parentElement;
  if (!el || el.closest('.visually-hidden, template, script, style, svg, details:not([open]) > :not(summary)') || tiny(el)) continue;
  const re = /\p{L}{2,}/gu;
  let m;
  while ((m = re.exec(n.data))) {
    const r = document.createRange();
    r.setStart(n, m.index);
    r.setEnd(n, m.index + m[0].length);
    const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
    if (tops.size > 1) broken.push(m[0]);
  }
}
const scrollers = [...document.querySelectorAll('body *')].filter(e => {
  const o = getComputedStyle(e).overflowX;
  return (o === 'auto' || o === 'scroll') && e.scrollWidth > e.clientWidth + 1;
}).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className);
return { inner: innerWidth, scroll: document.documentElement.scrollWidth,
         scrollers, broken: broken.slice(0, 20), main: !!main };
"#;

/// The Settings menu's links that are on screen, whole.
const SETTINGS_LINKS: &str = r#"
return [...document.querySelectorAll('#settings-menu a')].filter(a => {
  const r = a.getBoundingClientRect();
  return r.width > 0 && r.left >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
}).map(a => a.getAttribute('href'));
"#;

/// A page: screenshot name, path, text it must show, and what to scroll to for a second
/// phone screenshot (the part below the first screen worth looking at).
type Page = (&'static str, String, &'static str, Option<&'static str>);

fn pages(project: &str) -> Vec<Page> {
    let last_card = "main > section:last-of-type";
    vec![
        (
            "projects",
            "/projects".into(),
            "Sort by",
            Some("table.projects"),
        ),
        ("project", format!("/projects/{project}"), "Projects", None),
        (
            "reports",
            "/reports".into(),
            "Stale matters",
            Some("#stalest-table"),
        ),
        (
            "profile",
            "/profile".into(),
            "Developer details",
            Some("#developer-details"),
        ),
        (
            "sessions",
            "/account/sessions".into(),
            "Your sessions",
            None,
        ),
        (
            "settings-feeds",
            "/settings/feeds".into(),
            "Power BI weekly",
            Some("#feed-keys"),
        ),
        (
            "settings-sessions",
            "/settings/sessions".into(),
            "End all sessions",
            None,
        ),
        (
            "settings-connections",
            "/settings/connections".into(),
            "Audit log",
            Some(last_card),
        ),
        (
            "missing-project",
            "/projects/987654321".into(),
            "Projects",
            None,
        ),
        (
            "bad-request",
            "/projects?sort=nonsense".into(),
            "Projects",
            None,
        ),
        ("not-found", "/no-such-page".into(), "Home", None),
    ]
}

/// A PAT connection and a feed key, written straight to the store (no gateway call: the
/// provider here is not Filevine), so the feeds page has its keys table.
async fn feed_key(w: &World) -> Result<()> {
    let state = &w.state;
    let email = "reporting-bot@lovelace-law.example";
    let pat = SecretString::from(fake_filevine::DEMO_PAT);
    state
        .connections
        .put_pat("bi", pat, email, BEN.email)
        .await?;
    let bound = state.connections.get("bi").await?.context("saved")?;
    let row = FeedKeyRow {
        id: "0011223344556677".into(),
        name: "Power BI weekly".into(),
        connection: "bi".into(),
        connection_id: bound.id,
        org_id: 5001,
        filters: "archived=1".into(),
        key_hash: "00".repeat(32),
        created_by: BEN.email.into(),
        created_at: state.clock.now_unix() - 86_400,
        last_used_at: Some(state.clock.now_unix()),
        revoked_at: None,
    };
    state.db.feed_key_insert(&row).await?;
    Ok(())
}

async fn measure(s: &Session, path: &str) -> Result<Value> {
    let m = s.client.execute(MEASURE, vec![]).await?;
    let f = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);
    ensure!(
        f("inner") <= f64::from(PHONE.0),
        "{path}: not phone-sized: {m}"
    );
    ensure!(f("scroll") <= f("inner"), "{path} scrolls sideways: {m}");
    ensure!(
        m["scrollers"].as_array().is_some_and(Vec::is_empty),
        "{path}: a box inside scrolls sideways: {m}"
    );
    ensure!(
        m["broken"].as_array().is_some_and(Vec::is_empty),
        "{path}: words cut over two lines: {m}"
    );
    Ok(m)
}

async fn every_page(w: &mut World) -> Result<()> {
    feed_key(w).await?;
    let s = &mut w.session;
    sign_in_as_ben(s, &w.provider).await?;
    let project = s
        .client
        .execute(
            "return document.querySelector('table.projects tbody a').getAttribute('href');",
            vec![],
        )
        .await?;
    let project = project
        .as_str()
        .and_then(|h| h.strip_prefix("/projects/"))
        .context("a project link")?
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    // The Settings menu opens over the page with every admin page in it, on screen.
    for (width, height, tag) in [
        (DESKTOP.0, DESKTOP.1, "desktop"),
        (PHONE.0, PHONE.1, "phone"),
    ] {
        s.client.set_window_size(width, height).await?;
        s.client.goto(s.app.join("/projects")?.as_str()).await?;
        s.click("#settings-menu summary").await?;
        let links = s.client.execute(SETTINGS_LINKS, vec![]).await?;
        ensure!(
            links.as_array().is_some_and(|l| l.len() == 3),
            "{tag}: the Settings menu does not show its three pages on screen: {links}"
        );
        s.step(&format!("05-settings-menu-{tag}")).await?;
    }
    for (i, (name, path, needle, below)) in pages(&project).into_iter().enumerate() {
        for (width, height, tag) in [
            (DESKTOP.0, DESKTOP.1, "desktop"),
            (PHONE.0, PHONE.1, "phone"),
        ] {
            s.client.set_window_size(width, height).await?;
            s.client.goto(s.app.join(&path)?.as_str()).await?;
            s.wait_for_text(&[needle]).await?;
            if name == "profile" {
                s.client
                    .execute(
                        "document.getElementById('developer-details').open = true; return null;",
                        vec![],
                    )
                    .await?;
            }
            if tag == "phone" {
                measure(s, &path).await?;
            }
            let step = format!("{:02}-{name}-{tag}", i + 10);
            s.step(&step).await?;
            if let Some(css) = below.filter(|_| tag == "phone") {
                let scroll =
                    format!("document.querySelector('{css}').scrollIntoView(); return null;");
                s.client.execute(&scroll, vec![]).await?;
                s.step(&format!("{step}-below")).await?;
            }
            // An error page's own 4xx status is logged as a console error; nothing else is
            // forgiven.
            if ["missing-project", "bad-request", "not-found"].contains(&name) {
                s.console_errors
                    .retain(|e| !(e.starts_with(&step) && e.contains("status of 4")));
            }
        }
    }
    // Remove asks first, on a page that fits a phone; asking removes nothing.
    s.client.set_window_size(PHONE.0, PHONE.1).await?;
    s.client
        .goto(s.app.join("/settings/connections")?.as_str())
        .await?;
    s.click("#connection-bi button[value=remove]").await?;
    s.wait_for_text(&["Remove the connection bi?"]).await?;
    measure(s, "the removal's confirmation").await?;
    s.step("40-remove-confirmation-phone").await?;
    ensure!(
        w.state.connections.get("bi").await?.is_some(),
        "asking removed the connection"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_375px_phone() {
    let env = [("FV_ADMIN_EMAILS", BEN.email), ("FV_SNAPSHOT_MINUTES", "0")];
    let mut world = World::start("narrow-pages", &env).await;
    let outcome = every_page(&mut world).await;
    world.finish(outcome).await;
}
