//! The command line with connections, nobody signed in: `connections list` (table and
//! `--json`), `projects export --connection NAME` (default: the only connection; several:
//! an error listing them), counted at the stand-in so the connection's concurrency holds in
//! the command too, and `pat verify --connection NAME`.

use crate::common;

use std::process::{Command, Output};

use common::{connections::*, *};
use fake_filevine::{FakeOptions, ProjectFilter, DEMO_PAT};

const ORG: i64 = 5001;

/// The binary configured for `app`'s stand-in and database, like an operator's cron job.
fn bin(app: &TestApp, args: &[&str]) -> Command {
    app.command(args)
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
            "LAST_SUCCESS",
            "HEALTH",
            "REASON"
        ]
    );
    assert_eq!(
        lines[1],
        ["borrower", "us", "pat", "2", "lender", "untested", "-", "untested"]
    );
    assert_eq!(
        lines[2],
        ["lender", "us", "pat", "5", "lender", "untested", "-", "untested"]
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

#[tokio::test]
async fn a_refresh_token_connection_exports_from_the_command_line_and_keeps_its_rotation() {
    // Shorter than the clock skew the app allows (60 s), so the stand-in's clock may run
    // ahead past it while the command's ID-token checks (on the system clock) still pass.
    let ttl = std::time::Duration::from_secs(30);
    let app = spawn_app(TestOptions {
        access_token_ttl: ttl,
        ..admin_opts()
    })
    .await;
    authorize_connection(&app, "ben-rt", BEN).await;
    // Past the access token's lifetime at Filevine: the command's first call gets a 401, and
    // the command refreshes (rotating the refresh token) with nobody signed in.
    app.control()
        .advance_clock(ttl + std::time::Duration::from_secs(1));
    let file = app.db_dir.path().join("ben.csv");
    let mut c = bin(
        &app,
        &[
            "projects",
            "export",
            "--connection",
            "ben-rt",
            "--org",
            "5002",
            "--archived",
            "-o",
        ],
    );
    c.arg(&file);
    let out = run(c).await;
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}\n{e}");
    let rows = csv::Reader::from_path(&file).unwrap().records().count();
    let expected = app.control().project_count(5002, &ProjectFilter::default());
    assert_eq!(rows, expected, "every project of Ben's org");
    let control = app.control();
    assert_eq!(control.token_calls("refresh_token"), 1);
    for secret in control.issued_secrets() {
        assert!(
            !o.contains(&secret) && !e.contains(&secret),
            "a token printed"
        );
    }
    // The rotated token the command stored is the one this process goes on with.
    let outcome = app.state.connections.test("ben-rt").await.unwrap();
    assert!(matches!(
        outcome,
        fv_partner_app::connections::TestOutcome::Works(_)
    ));
    assert_eq!(control.reused_refresh_tokens(), 0);
    let c = app.state.connections.get("ben-rt").await.unwrap().unwrap();
    assert_eq!(c.status.as_str(), "ok");
}

/// Two command-line exports at once, in two processes, through a lender (3) and a connection
/// borrowing its pool: the permits are leased in the shared database, so together they never
/// have more than 3 calls in flight at the stand-in (each process alone would take 3 and 8).
#[tokio::test]
async fn two_processes_sharing_a_pool_never_exceed_the_lenders_level() {
    let app = spawn_app(TestOptions {
        fake: FakeOptions {
            projects_per_org: 12_000,
            ..FakeOptions::default()
        },
        ..Default::default()
    })
    .await;
    save_pat_connection(&app, "lender", "3", "").await;
    save_pat_connection(&app, "borrower", "8", "lender").await;
    app.control()
        .set_gateway_latency(std::time::Duration::from_millis(150));
    app.control().reset_gateway_stats();
    let export = |name: &str| {
        let mut c = bin(
            &app,
            &[
                "projects",
                "export",
                "--archived",
                "--connection",
                name,
                "-o",
            ],
        );
        c.arg(app.db_dir.path().join(format!("{name}.csv")));
        run(c)
    };
    let (a, b) = tokio::join!(export("lender"), export("borrower"));
    for out in [&a, &b] {
        assert!(out.status.success(), "{:?}", text(out));
    }
    let expected = app.control().project_count(ORG, &ProjectFilter::default());
    for name in ["lender", "borrower"] {
        let file = app.db_dir.path().join(format!("{name}.csv"));
        assert_eq!(
            csv::Reader::from_path(file).unwrap().records().count(),
            expected
        );
    }
    assert_eq!(
        app.control().gateway_max_in_flight(),
        3,
        "two processes together exceeded the lender's level"
    );
}
