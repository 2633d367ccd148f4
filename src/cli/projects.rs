//! `fv-partner-app projects export` (part of the binary): every matching project as CSV or
//! JSON, through a connection (`--connection NAME`, default the only one; every call inside
//! its pool), so it runs unattended (cron) with only the
//! environment set. The file is written next to its destination and renamed when complete,
//! so a failed run never leaves a truncated export behind.
//!
//! Exit codes: 0 exported; 1 the PAT, the provider, the gateway or the file said no;
//! 2 configuration (no PAT, invalid settings). The PAT is never printed.

use std::{
    io::{IsTerminal, Write},
    path::PathBuf,
    process::ExitCode,
    time::Instant,
};

use fv_partner_app::{
    config::Overrides,
    connections::ConnectionSource,
    filevine::AuthedGateway,
    projects::{export::Format, DateFilters, ProjectFilters},
    reporting::{
        export::{export_to, ExportRequest},
        PatAccount, ReportError,
    },
    state::AppState,
};

use super::connections::{choose, Chosen};

/// The export's options.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// csv or json.
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
    /// Write here instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Organization id (default: the service account's only organization).
    #[arg(long)]
    org: Option<i64>,
    /// Search term (project name, client, number).
    #[arg(long)]
    q: Option<String>,
    /// Exact phase name.
    #[arg(long)]
    phase: Option<String>,
    /// Include archived projects.
    #[arg(long)]
    archived: bool,
    /// Only projects created on or after this day (yyyy-mm-dd).
    #[arg(long, value_parser = day("created_since"))]
    created_since: Option<time::Date>,
    /// Only projects with activity on or after this day (yyyy-mm-dd).
    #[arg(long, value_parser = day("active_since"))]
    active_since: Option<time::Date>,
    /// Only projects whose last activity is before this day (yyyy-mm-dd).
    #[arg(long, value_parser = day("active_before"))]
    active_before: Option<time::Date>,
    #[command(flatten)]
    connection: super::connections::ConnectionArg,
}

/// A `yyyy-mm-dd` day, parsed as the dashboard parses its date filter `name` (clap exits 2
/// with the message on anything else).
fn day(name: &'static str) -> impl Fn(&str) -> Result<time::Date, String> + Clone {
    move |v: &str| {
        let mut d = DateFilters::default();
        d.set(name, v).map_err(|e| e.to_string())?;
        d.created_since
            .or(d.active_since)
            .or(d.active_before)
            .ok_or_else(|| format!("{name} needs a date written yyyy-mm-dd"))
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    Csv,
    Json,
}

/// Runs `projects export`.
pub async fn export(overrides: &Overrides, args: ExportArgs) -> ExitCode {
    let settings = match super::settings::load_settings(overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !super::connections::may_have_connection(&settings).await {
        return super::connections::no_pat("projects export");
    }
    let app = match super::settings::build_app(
        settings,
        Some("Nothing was exported: the provider is unreachable or misconfigured."),
    )
    .await
    {
        Ok(app) => app,
        Err(code) => return code,
    };
    let state = app.state();
    let chosen = match choose(state, args.connection.connection.as_deref()).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let started = Instant::now();
    let (account, connection) = match account_of(state, &chosen).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("Problem: {e}");
            eprintln!("Nothing was exported. `fv-partner-app pat verify` checks the PAT.");
            return ExitCode::FAILURE;
        }
    };
    let format = match args.format {
        FormatArg::Csv => Format::Csv,
        FormatArg::Json => Format::Json,
    };
    let request = ExportRequest {
        org_id: args.org,
        filters: ProjectFilters {
            q: args.q.unwrap_or_default(),
            phase: args.phase.unwrap_or_default(),
            archived: args.archived,
            dates: DateFilters {
                created_since: args.created_since,
                active_since: args.active_since,
                active_before: args.active_before,
            },
        },
    };
    let tty = std::io::stderr().is_terminal();
    let progress = |n: usize| {
        if tty {
            eprint!("\rexporting… {n} projects");
        }
    };
    let (result, destination) = match &args.output {
        Some(path) => {
            let partial = partial_path(path);
            let file = match create_private(&partial) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("cannot create {}: {e}", partial.display());
                    return ExitCode::FAILURE;
                }
            };
            let mut out = std::io::BufWriter::new(file);
            let r = export_to(&account, &request, format, &mut out, progress).await;
            drop(out);
            let r = match r {
                Ok(done) => std::fs::rename(&partial, path).map(|_| done).map_err(|e| {
                    let _ = std::fs::remove_file(&partial);
                    e.into()
                }),
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    Err(e)
                }
            };
            (r, path.display().to_string())
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let r = export_to(&account, &request, format, &mut out, progress).await;
            (r, "stdout".to_owned())
        }
    };
    if tty {
        eprintln!();
    }
    if let Some(name) = connection.as_deref() {
        let connections = &state.connections;
        let recorded = match &result {
            Ok(_) => connections.record_ok(name).await,
            Err(e) => {
                let message = format!("Export failed: {e}");
                let status = e.connection_status();
                connections.record_error(name, status, &message).await
            }
        };
        if let Err(e) = recorded {
            eprintln!("warning: could not record the connection's status: {e}");
        }
    }
    match result {
        Ok(done) => {
            eprintln!(
                "exported {} projects from org {} ({}) in {:.1} s to {destination}",
                done.rows,
                done.org_id,
                done.org_name,
                started.elapsed().as_secs_f64()
            );
            let _ = std::io::stderr().flush();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Problem: {e}");
            eprintln!("The export did not complete; no file was written.");
            ExitCode::FAILURE
        }
    }
}

/// The account to export as: the chosen connection (inside its pool), or the demo PAT; and
/// the connection's name, to record its status.
async fn account_of(
    state: &AppState,
    chosen: &Chosen,
) -> Result<(PatAccount, Option<String>), ReportError> {
    match chosen {
        Chosen::Connection(c) => {
            let name = c.name.to_string();
            let account = PatAccount::of_connection(state, &name).await;
            if let Err(e) = &account {
                let message = format!("Export failed: {e}");
                let status = e.connection_status();
                let _ = state
                    .connections
                    .record_error(&name, status, &message)
                    .await;
            }
            Ok((account?, Some(name)))
        }
        Chosen::DemoPat(pat) => {
            let source = state.connections.pat_client().source(pat.clone());
            let source = std::sync::Arc::new(ConnectionSource::Pat(source));
            let env = state.environments.default_env();
            let gw = AuthedGateway::new(env.gateway.clone(), source);
            let concurrency = state.settings.gateway.concurrency;
            let account = PatAccount::resolve(gw, concurrency, env.name.clone()).await?;
            Ok((account, None))
        }
    }
}

/// Creates `path` for writing, readable by the owner only (0600: an export is the firm's client
/// list), and never through a symlink: the file must be new (`O_EXCL`, which does not follow a
/// link at the last component). A leftover `FILE.partial` (a crashed run, or a link someone
/// planted to make us overwrite another file) is unlinked first, the link itself, never
/// its target; if one appears again in between, the export fails rather than follow it.
fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let open = || {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(path)
    };
    match open() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(path)?;
            open()
        }
        other => other,
    }
}

/// `FILE.partial` next to `FILE`.
fn partial_path(path: &std::path::Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}
