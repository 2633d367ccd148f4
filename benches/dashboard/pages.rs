//! The pages part of the dashboard benchmark: a bare route and the signed-in pages, each
//! against two apps at once, one logging at its default INFO (an access-log line per request,
//! into a file) and one at `RUST_LOG=warn`, in alternating rounds so that a change in the
//! machine's load falls on both alike. Prints each page's requests/second, p50/p99 and app CPU
//! per request, then the goals of issue 27 with the figures that decide them.

use std::time::Duration;

use crate::load::{self, hammer, Figures, Load};
use crate::procs::{free_port, App, LogLevel, StandIn};
use crate::{common::Browser, login};

/// The pages measured: label and path.
const PAGES: [(&str, &str); 4] = [
    ("bare /healthz", "/healthz"),
    ("signed-in /", "/"),
    ("signed-in /profile (2 gateway calls)", "/profile"),
    ("signed-in /projects (page + summary)", "/projects"),
];

/// Most app CPU per signed-in gateway page (ms).
const GOAL_CPU_MS: f64 = 0.2;
/// Most `/projects` may cost against `/profile`.
const GOAL_PROJECTS_RATIO: f64 = 1.1;
/// Most throughput INFO logging may cost against WARN.
const GOAL_LOG_COST: f64 = 0.05;

/// One app with its own stand-in, signed in and warmed up.
struct Subject {
    level: LogLevel,
    app: App,
    browser: Browser,
    _fake: StandIn,
}

async fn subject(level: LogLevel, concurrency: usize) -> Subject {
    let app_port = free_port();
    let fake = StandIn::start(1250, app_port);
    let app = App::start_logging(&fake, app_port, 8, level).await;
    let browser = login(&app).await;
    // Warm up: pooled connections, the summary cache, the templates.
    let warm = Load {
        concurrency,
        max_requests: concurrency * 4,
        max_time: Duration::from_secs(10),
    };
    for (_, path) in PAGES {
        hammer(&browser.http, app.url(path), &warm, &app.proc).await;
    }
    Subject {
        level,
        app,
        browser,
        _fake: fake,
    }
}

/// `BENCH_PERF=FILE` records the INFO app with `perf record -g` while `BENCH_PERF_PATH`
/// (default `/profile`) is under load.
fn perf_for(s: &Subject, path: &str, round: usize) -> Option<std::process::Child> {
    let wanted = std::env::var("BENCH_PERF_PATH").unwrap_or_else(|_| "/profile".into());
    let out = std::env::var("BENCH_PERF").ok()?;
    (path == wanted && s.level == LogLevel::Info && round == 0)
        .then(|| load::perf_record(&s.app.proc, &out))
}

pub async fn pages(load: &Load) {
    let mut subjects = Vec::new();
    for level in [LogLevel::Info, LogLevel::Warn] {
        subjects.push(subject(level, load.concurrency).await);
    }
    println!(
        "-- pages: {} connections over http, stand-in with no added latency, app and stand-in in their own processes",
        load.concurrency
    );
    println!(
        "   two apps, one logging at INFO (default filter, one access-log line per request, to a file) and one at RUST_LOG=warn; two alternating rounds of {:.0} s each",
        load.max_time.as_secs_f64() / 2.0
    );
    println!(
        "{:<44} {:>9} {:>10} {:>10} {:>14}",
        "page @ log level", "req/s", "p50 ms", "p99 ms", "app CPU/req ms"
    );
    let round = Load {
        max_time: load.max_time / 2,
        ..*load
    };
    // figures[page][0 = INFO, 1 = WARN]
    let mut figures: Vec<[Option<Figures>; 2]> = Vec::new();
    for (label, path) in PAGES {
        let mut both: [Option<Figures>; 2] = [None, None];
        for r in 0..2 {
            // INFO first in the first round, WARN first in the second.
            let order: [usize; 2] = if r == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                let s = &subjects[i];
                let perf = perf_for(s, path, r);
                let f = hammer(&s.browser.http, s.app.url(path), &round, &s.app.proc).await;
                if let Some(mut p) = perf {
                    load::perf_stop(&mut p);
                }
                both[i] = Some(match both[i].take() {
                    Some(before) => before.merge(f),
                    None => f,
                });
            }
        }
        for (i, level) in ["INFO", "WARN"].iter().enumerate() {
            if let Some(f) = &both[i] {
                f.print(&format!("{label} @ {level}"));
            }
        }
        figures.push(both);
    }
    let lines: Vec<usize> = subjects.iter().map(|s| s.app.log_lines()).collect();
    println!(
        "   log lines written: {} at INFO, {} at WARN",
        lines[0], lines[1]
    );
    goals(&figures);
}

/// The goals, each with the figure that decides it and whether this run met it.
fn goals(figures: &[[Option<Figures>; 2]]) {
    let get = |page: usize, level: usize| figures[page][level].as_ref().expect("measured");
    let met = |ok: bool| if ok { "MET" } else { "NOT MET" };
    println!("-- goals (issue 27)");
    for (page, label) in [(2, "/profile"), (3, "/projects")] {
        let cpu = get(page, 0).cpu_per_request();
        println!(
            "   app CPU per signed-in gateway page {label} at INFO: {cpu:.3} ms (goal <= {GOAL_CPU_MS}): {}",
            met(cpu <= GOAL_CPU_MS)
        );
    }
    for (level, name) in [(0, "INFO"), (1, "WARN")] {
        let ratio = get(3, level).cpu_per_request() / get(2, level).cpu_per_request().max(1e-9);
        println!(
            "   /projects costs {ratio:.2}x /profile in app CPU per request at {name} (goal <= {GOAL_PROJECTS_RATIO}): {}",
            met(ratio <= GOAL_PROJECTS_RATIO)
        );
    }
    for (page, (label, _)) in PAGES.iter().enumerate().skip(1) {
        let (info, warn) = (get(page, 0), get(page, 1));
        let cost = 1.0 - info.rps() / warn.rps().max(1e-9);
        let cpu = info.cpu_per_request() / warn.cpu_per_request().max(1e-9) - 1.0;
        println!(
            "   INFO logging on {label}: {:+.1}% throughput, {:+.1}% app CPU per request against WARN (goal: costs <= {:.0}%): {}",
            -cost * 100.0,
            cpu * 100.0,
            GOAL_LOG_COST * 100.0,
            met(cost <= GOAL_LOG_COST)
        );
    }
}
