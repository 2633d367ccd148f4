//! The command line with connections, nobody signed in: `connections list` (table and
//! `--json`), `projects export --connection NAME` (default: the only connection; several:
//! an error listing them), counted at the stand-in so the connection's concurrency holds in
//! the command too, and `pat verify --connection NAME`.

mod common;

use std::process::{Command, Output};

use common::{connections::*, *};
use fake_filevine::{FakeOptions, ProjectFilter, DEMO_PAT};

const ORG: i64 = 5001;

/// The binary configured for `app`'s stand-in and database, like an operator's cron job.
fn bin(app: &TestApp, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fv-partner-app"));
    c.current_dir(app.db_dir.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("FV_") || k == "DATABASE_URL" {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn")
        .env("FV_LISTEN", "127.0.0.1:0")
        .env("FV_AUTHORITY", app.fake.issuer())
        .env("FV_GATEWAY_URL", app.fake.gateway_url().to_string())
        .env("FV_CLIENT_ID", CLIENT_ID)
        .env("FV_CLIENT_SECRET", CLIENT_SECRET)
        .env("FV_SECRET_KEY", SECRET_KEY_HEX)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", app.db_path.display()),
        )
        .args(args);
    c
}

/// Runs the command off the runtime's thread: the stand-in answering it lives on this runtime.
async fn run(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_connection_exports_completely_from_the_command_line_within_its_concurrency() {
    let app = spawn_app(TestOptions {
        fake: FakeOptions {
            projects_per_org: 6000,
            ..FakeOptions::default()
        },
        ..Default::default()
    })
    .await;
    save_pat_connection(&app, "reports", "3", "").await;
    // The only connection is the default.
    let file = app.db_dir.path().join("all.csv");
    app.control()
        .set_gateway_latency(std::time::Duration::from_millis(60));
    app.control().reset_gateway_stats();
    let out = run({
        let mut c = bin(&app, &["projects", "export", "--archived", "-o"]);
        c.arg(&file);
        c
    })
    .await;
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}\n{e}");
    let expected = app.control().project_count(ORG, &ProjectFilter::default());
    let rows = csv::Reader::from_path(&file).unwrap().records().count();
    assert_eq!(rows, expected);
    assert_eq!(app.control().gateway_max_in_flight(), 3, "the pool's level");
    assert!(!o.contains(DEMO_PAT) && !e.contains(DEMO_PAT));
    // The export counts as a success of the connection.
    let c = app.state.connections.get("reports").await.unwrap().unwrap();
    assert_eq!(c.status.as_str(), "ok");

    // With two connections, the command asks which.
    save_pat_connection(&app, "other", "8", "").await;
    let out = run(bin(&app, &["projects", "export"])).await;
    let (_, e) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains("--connection") && e.contains("other, reports"),
        "{e}"
    );
    let out = run(bin(&app, &["projects", "export", "--connection", "nobody"])).await;
    assert_eq!(out.status.code(), Some(2));
    let mut other = bin(&app, &["projects", "export", "--connection", "other", "-o"]);
    other.arg(app.db_dir.path().join("other.csv"));
    let out = run(other).await;
    assert!(out.status.success(), "{:?}", text(&out));
}

#[tokio::test]
async fn connections_list_prints_the_columns_and_json() {
    let app = spawn_app(TestOptions::default()).await;
    save_pat_connection(&app, "lender", "5", "").await;
    save_pat_connection(&app, "borrower", "2", "").await;
    let draft = fv_partner_app::connections::Draft {
        name: "borrower".into(),
        email: BOT_EMAIL.into(),
        concurrency: "2".into(),
        borrow_from: "lender".into(),
        editing: true,
        ..Default::default()
    };
    app.state
        .connections
        .save_settings(&draft, "test")
        .await
        .unwrap();
    let out = run(bin(&app, &["connections", "list"])).await;
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}\n{e}");
    let lines: Vec<Vec<&str>> = o.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(
        lines[0],
        [
            "NAME",
            "ENVIRONMENT",
            "AUTH",
            "CONCURRENCY",
            "POOL",
            "STATUS",
            "LAST_SUCCESS"
        ]
    );
    assert_eq!(
        lines[1],
        ["borrower", "us", "pat", "2", "lender", "untested", "-"]
    );
    assert_eq!(
        lines[2],
        ["lender", "us", "pat", "5", "lender", "untested", "-"]
    );
    assert_eq!(lines.len(), 3);

    // pat verify through one of them records a success, which list then shows.
    let out = run(bin(&app, &["pat", "verify", "--connection", "lender"])).await;
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}\n{e}");
    assert!(
        o.contains("Reporting Bot") && o.contains("connection `lender`"),
        "{o}"
    );
    assert!(!o.contains(DEMO_PAT));
    let out = run(bin(&app, &["pat", "verify", "--connection", "nobody"])).await;
    assert_eq!(out.status.code(), Some(2));

    let out = run(bin(&app, &["connections", "list", "--json"])).await;
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lender = &json[1];
    assert_eq!(lender["name"], "lender");
    assert_eq!(lender["status"], "ok");
    assert!(lender["last_success"].as_str().unwrap().ends_with('Z'));
    assert_eq!(json[0]["pool"], "lender");
}
