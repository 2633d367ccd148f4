//! `fv-partner-app connections check [NAME]` as cron and monitoring run it: it checks now,
//! prints each connection's status and reason, and exits 0 when all are ok, 1 when any is
//! degraded, 2 when any is broken; `connections list` then shows the health and reason.

use crate::common;

use std::process::{Command, Output};

use common::{connections::*, *};
use fake_filevine::DEMO_PAT;

/// The binary configured for `app`'s stand-in and database.
fn bin(app: &TestApp, args: &[&str]) -> Command {
    app.command(args)
}

/// Runs the command off the runtime's thread: the stand-in answering it lives on this runtime.
async fn run(mut c: Command) -> (Option<i32>, String) {
    let out: Output = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[tokio::test]
async fn check_exits_0_when_ok_1_when_degraded_2_when_broken() {
    let app = spawn_app(TestOptions::default()).await;
    save_pat_connection(&app, "reports", "4", "").await;

    let (code, out) = run(bin(&app, &["connections", "check"])).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("reports") && out.contains(" ok "), "{out}");

    app.control().fail_next_gateway_calls(503, 10_000, None);
    let (code, out) = run(bin(&app, &["connections", "check", "reports"])).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("degraded"), "{out}");
    app.control().fail_next_gateway_calls(503, 0, None);

    app.control().revoke_pat(DEMO_PAT);
    let (code, out) = run(bin(&app, &["connections", "check"])).await;
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("broken") && out.contains("The PAT was refused"),
        "{out}"
    );
    assert!(
        out.contains(BOT_EMAIL),
        "says for whom to make a new PAT: {out}"
    );
    assert!(!out.contains(DEMO_PAT), "the PAT in {out}");

    let (code, out) = run(bin(&app, &["connections", "list"])).await;
    assert_eq!(code, Some(0), "{out}");
    let line = out.lines().find(|l| l.starts_with("reports")).unwrap();
    assert!(
        line.contains("broken") && line.contains("The PAT was refused"),
        "{line}"
    );

    let (code, out) = run(bin(&app, &["connections", "check", "nobody"])).await;
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("no connection named `nobody`"), "{out}");
}
