//! `fv-partner-app connections list` and the `--connection NAME` choice shared by
//! `projects export` and `pat verify` (part of the binary).
//!
//! Without `--connection`, a command uses the only connection there is; with several it
//! refuses and lists them (exit 2), since guessing would act as the wrong service account.
//! With none at all it falls back to what one-shot commands always used: in demo mode, the
//! stand-in's PAT.

use std::process::ExitCode;

use fv_partner_app::{
    config::{Overrides, Settings},
    connections::Connection,
    state::AppState,
    store::Db,
};
use secrecy::SecretString;
use serde::Serialize;

/// `connections list`'s options.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// One JSON array instead of the table (for scripts).
    #[arg(long)]
    json: bool,
}

/// `--connection NAME`.
#[derive(clap::Args, Debug, Default)]
pub struct ConnectionArg {
    /// The connection to act through (see `connections list`); default: the only one.
    #[arg(long)]
    pub connection: Option<String>,
}

/// What a command acts through.
pub enum Chosen {
    Connection(Box<Connection>),
    /// No connection exists: the demo stand-in's PAT.
    DemoPat(SecretString),
}

/// Whether a one-shot command may have something to act through, checked before start-up
/// (which needs the provider) so that "nothing configured" is exit 2 even when the provider
/// is unreachable: `FV_PAT`, demo mode, or a connection stored in the database.
pub async fn may_have_connection(settings: &Settings) -> bool {
    if settings.service_account.pat.is_some() || settings.demo {
        return true;
    }
    match Db::connect(&settings.db.url).await {
        Ok(db) => db.connections_list().await.is_ok_and(|l| !l.is_empty()),
        Err(_) => false,
    }
}

/// Picks the connection `requested`, or the only one; says why not (exit 2) otherwise.
pub async fn choose(state: &AppState, requested: Option<&str>) -> Result<Chosen, ExitCode> {
    let all = match state.connections.list().await {
        Ok(all) => all,
        Err(e) => {
            eprintln!("Problem: {e}");
            return Err(ExitCode::FAILURE);
        }
    };
    let names = || {
        all.iter()
            .map(|c| c.name.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match requested {
        Some(name) => match all.iter().find(|c| c.name.as_str() == name) {
            Some(c) => Ok(Chosen::Connection(Box::new(c.clone()))),
            None => {
                eprintln!(
                    "There is no connection named `{name}`. Connections: {}.",
                    if all.is_empty() {
                        "none".into()
                    } else {
                        names()
                    }
                );
                Err(ExitCode::from(2))
            }
        },
        None => match all.as_slice() {
            [only] => Ok(Chosen::Connection(Box::new(only.clone()))),
            [] => match state.settings.service_account.command_pat() {
                Some(pat) => Ok(Chosen::DemoPat(pat)),
                None => Err(no_pat("with --connection NAME")),
            },
            _ => {
                eprintln!(
                    "There are several connections: choose one with --connection NAME ({}).",
                    names()
                );
                Err(ExitCode::from(2))
            }
        },
    }
}

/// One line of `connections list --json`.
#[derive(Serialize)]
struct Line {
    name: String,
    environment: String,
    auth: &'static str,
    concurrency: u8,
    pool: String,
    status: &'static str,
    last_success: Option<String>,
    last_error: Option<String>,
    read_only: bool,
    /// The last health check's verdict (`untested` before the first) and its reason.
    health: String,
    health_since: Option<String>,
    reason: String,
}

/// Runs `connections list`.
pub async fn list(overrides: &Overrides, args: ListArgs) -> ExitCode {
    let app = match super::settings::load_app(overrides).await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let all = match app.state().connections.list().await {
        Ok(all) => all,
        Err(e) => {
            eprintln!("Problem: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut lines = Vec::new();
    for c in all {
        let verdict = match app.state().db.health_get(c.name.as_str()).await {
            Ok(v) => v.filter(|v| v.checked_at > 0),
            Err(e) => {
                eprintln!("Problem: {e}");
                return ExitCode::FAILURE;
            }
        };
        lines.push(Line {
            pool: c.pool().to_string(),
            name: c.name.to_string(),
            environment: c.environment,
            auth: c.auth.as_str(),
            concurrency: c.concurrency,
            status: c.status.as_str(),
            last_success: c.last_success_at.map(rfc3339),
            last_error: c.last_error,
            read_only: c.read_only,
            health: verdict
                .as_ref()
                .map_or("untested".into(), |v| v.health.clone()),
            health_since: verdict.as_ref().map(|v| rfc3339(v.since)),
            reason: verdict.map(|v| v.reason).unwrap_or_default(),
        });
    }
    if args.json {
        match serde_json::to_string_pretty(&lines) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("Problem: {e}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    let row = |cols: [&str; 9]| {
        println!(
            "{:<20} {:<11} {:<13} {:<11} {:<20} {:<19} {:<20} {:<9} {}",
            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8]
        )
    };
    row([
        "NAME",
        "ENVIRONMENT",
        "AUTH",
        "CONCURRENCY",
        "POOL",
        "STATUS",
        "LAST_SUCCESS",
        "HEALTH",
        "REASON",
    ]);
    for l in &lines {
        let concurrency = l.concurrency.to_string();
        let success = l.last_success.as_deref().unwrap_or("-");
        row([
            &l.name,
            &l.environment,
            l.auth,
            &concurrency,
            &l.pool,
            l.status,
            success,
            &l.health,
            &l.reason,
        ]);
    }
    ExitCode::SUCCESS
}

/// Unix seconds as RFC 3339 (UTC), one whitespace-free column.
fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

/// Says that no PAT is configured and what to set; exit code 2 (configuration).
pub fn no_pat(command: &str) -> ExitCode {
    eprintln!("No personal access token is configured: set FV_PAT to the PAT of the service account (and FV_SERVICE_ACCOUNT_EMAIL to its email), then run `fv-partner-app {command}` again.");
    ExitCode::from(2)
}
