//! `/reports` in headless Chromium: signed in through the stand-in's sign-in page, the page renders its charts and tables, a screenshot lands in
//! `target/e2e-screenshots/reports.png`, and the browser console stays free of errors (a CSP
//! violation from an inline style or script would be one).

mod common;

use common::{webdriver, *};
use fantoccini::Locator;
use time::OffsetDateTime;

#[tokio::test]
async fn the_reports_page_renders_in_a_browser_without_console_errors() {
    let mut opts = TestOptions::default();
    opts.fake.anchor = Some(OffsetDateTime::now_utc());
    let app = spawn_app(opts).await;

    let driver = webdriver::Driver::start()
        .await
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().unwrap();
    let client = driver
        .session(profile.path())
        .await
        .expect("a browser session");
    // Sign in as a person would: the app sends the browser to the stand-in's sign-in page,
    // Ada is chosen there, and the callback brings the browser back to /reports.
    client
        .goto(app.url("/auth/login?return_to=/reports").as_str())
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("button[value=\"fv-user-1001\"]"))
        .await
        .expect("the stand-in's sign-in page")
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("#type-table"))
        .await
        .expect("the reports page");
    let text = client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "Stale matters",
        "30-59 days",
        "90+ days",
        "Time in current phase",
        "New matters per month",
        "Personal Injury",
    ] {
        assert!(text.contains(needle), "{needle} not shown:\n{text}");
    }
    let charts = client.find_all(Locator::Css("figure svg")).await.unwrap();
    assert_eq!(charts.len(), 4, "one chart per section");
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let png = client.screenshot().await.unwrap();
    assert!(png.len() > 10_000, "a real screenshot");
    std::fs::write(shots.join("reports.png"), png).unwrap();
    let errors = webdriver::console_errors(&client).await.unwrap();
    client.close().await.unwrap();
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
}
