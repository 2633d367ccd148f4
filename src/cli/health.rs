//! `fv-partner-app connections check [NAME]`: checks the connections now (as the schedule
//! does: a token, then one `Users/Me`), records the results like a scheduled check (alerts
//! included), prints each connection's status and reason, and exits 0 when all are ok, 1 when
//! any is degraded, 2 when any is broken, for cron and monitoring systems (part of the binary).

use std::process::ExitCode;

use fv_partner_app::{
    config::Overrides,
    connections::health::{Checked, Health},
};

/// `connections check`'s options.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Only this connection (default: every one).
    name: Option<String>,
}

/// Runs `connections check`.
pub async fn check(overrides: &Overrides, args: CheckArgs) -> ExitCode {
    let app = match super::settings::load_app(overrides).await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let health = &app.state().health;
    let checked = match health.check_now(args.name.as_deref()).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Problem: {e}");
            return ExitCode::FAILURE;
        }
    };
    if checked.is_empty() {
        return match args.name {
            Some(name) => {
                eprintln!("There is no connection named `{name}` (see `connections list`).");
                ExitCode::from(2)
            }
            None => {
                println!("No connections to check.");
                ExitCode::SUCCESS
            }
        };
    }
    for c in &checked {
        println!(
            "{:<20} {:<11} {:<9} {}",
            c.name,
            c.environment,
            c.verdict.health.as_str(),
            c.verdict.reason
        );
    }
    // Alerts the checks (and expiry dates) called for go now, in case no server is running.
    if let Err(e) = health.warn_expiring().await {
        eprintln!("Problem: the expiry alerts could not be recorded: {e}");
    }
    if let Err(e) = health.alerts().deliver_due().await {
        eprintln!("Problem: the alerts could not be read: {e}");
    }
    ExitCode::from(exit_code(&checked))
}

/// 2 when any is broken, else 1 when any is degraded, else 0.
fn exit_code(checked: &[Checked]) -> u8 {
    let worst = |h| checked.iter().any(|c| c.verdict.health == h);
    if worst(Health::Broken) {
        2
    } else if worst(Health::Degraded) {
        1
    } else {
        0
    }
}
