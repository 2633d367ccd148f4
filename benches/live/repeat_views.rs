//! Gateway calls for repeat views of one unchanged dashboard page, with the org's webhook
//! subscription healthy (live updates on: the per-user page cache serves them) and without
//! (every view asks for its page; the summary is cached for its minute either way).

use std::time::Instant;

use crate::common::{connections::*, Browser, TestApp};
use crate::support::env_num;

const PAGE: &str = "/projects?sort=projectName&order=asc&page=2&per_page=25";

/// `views` views of [`PAGE`] by `b` after a first one: the gateway calls they made.
async fn repeat(app: &TestApp, b: &Browser, views: u64) -> (usize, f64) {
    let summary = PAGE.replacen("/projects?", "/projects/summary?", 1);
    b.get(&app.url(&summary)).await;
    b.get(&app.url(PAGE)).await;
    app.control().reset_gateway_stats();
    let t = Instant::now();
    for _ in 0..views {
        let r = b.get(&app.url(PAGE)).await;
        assert_eq!(r.status().as_u16(), 200);
        r.text().await.unwrap();
    }
    let ms = t.elapsed().as_secs_f64() * 1000.0 / views as f64;
    (app.control().gateway_requests().len(), ms)
}

async fn app(live: bool) -> (TestApp, Browser) {
    let mut opts = admin_opts();
    opts.extra_env
        .push(("FV_PUBLIC_URL".into(), "{app}".into()));
    let (app, ada, csrf) = app_with_connection(opts).await;
    if live {
        press_card(&app, &ada, &csrf, "reports", "live_on").await;
        let env = app.state.environments.default_env().name.clone();
        assert!(app.state.db.live_org_healthy(&env, 5001).await.unwrap());
    }
    (app, ada)
}

pub async fn run() {
    let views = env_num("BENCH_VIEWS", 100);
    let mut figures = Vec::new();
    for live in [true, false] {
        let (app, ada) = app(live).await;
        figures.push(repeat(&app, &ada, views).await);
    }
    let ((with, with_ms), (without, without_ms)) = (figures[0], figures[1]);
    println!(
        "repeat views: {views} views of one unchanged page: {with} gateway calls with a healthy subscription ({with_ms:.1} ms/view), {without} without ({without_ms:.1} ms/view)"
    );
}
