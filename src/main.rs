//! The `fv-partner-app` command: serve (default), `check`, `pat verify`, `projects export`,
//! `connections list`, `healthcheck`, and (with the default `demo` feature) `fake-filevine`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fv_partner_app::{
    config::{self, Overrides},
    startup::Application,
    telemetry,
};

/// Reference "Login with Filevine" partner app. With nothing configured it runs a demo against
/// a built-in stand-in for Filevine on this machine (builds with the default `demo` feature).
#[derive(Parser, Debug)]
#[command(name = "fv-partner-app", version, about)]
struct Cli {
    #[command(flatten)]
    overrides: Overrides,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the app (the default).
    Serve,
    /// Print the resolved settings (secrets masked) and what the provider's discovery says.
    Check,
    /// The service account's Personal Access Token (FV_PAT).
    Pat {
        #[command(subcommand)]
        command: PatCommand,
    },
    /// The named connections (FV_PAT is `env`; admins add more on /settings/connections).
    Connections {
        #[command(subcommand)]
        command: ConnectionsCommand,
    },
    /// Projects, through a connection (for cron and scripts).
    Projects {
        #[command(subcommand)]
        command: ProjectsCommand,
    },
    /// Run the stand-in for Filevine Identity and the gateway alone, on loopback.
    #[cfg(feature = "demo")]
    FakeFilevine(cli::fake::FakeArgs),
    /// A production build has no stand-in: the command says so in one line (exit 2) instead
    /// of clap's usage text, so a script that asks for it learns why.
    #[cfg(not(feature = "demo"))]
    #[command(hide = true)]
    FakeFilevine {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
    /// GET /readyz on the configured listen address; exit 0 when ready, 1 otherwise (for
    /// container health checks without curl).
    Healthcheck,
}

/// What to do with the PAT.
#[derive(Subcommand, Debug)]
enum PatCommand {
    /// Exchange a connection's PAT for a token and print who it acts as, its lifetime and
    /// scopes.
    Verify(cli::connections::ConnectionArg),
}

/// What to do with connections.
#[derive(Subcommand, Debug)]
enum ConnectionsCommand {
    /// NAME ENVIRONMENT AUTH CONCURRENCY POOL STATUS LAST_SUCCESS HEALTH REASON, one line
    /// each.
    List(cli::connections::ListArgs),
    /// Checks each connection now: NAME ENVIRONMENT STATUS REASON; exit 0 all ok, 1 any
    /// degraded, 2 any broken.
    Check(cli::health::CheckArgs),
}

/// What to do with projects.
#[derive(Subcommand, Debug)]
enum ProjectsCommand {
    /// Write every matching project as CSV or JSON (the dashboard's export, unattended).
    Export(cli::projects::ExportArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init();
    let code = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.overrides).await,
        Command::Check => cli::check::check(&cli.overrides).await,
        Command::Pat {
            command: PatCommand::Verify(args),
        } => cli::pat::verify(&cli.overrides, args).await,
        Command::Connections {
            command: ConnectionsCommand::List(args),
        } => cli::connections::list(&cli.overrides, args).await,
        Command::Connections {
            command: ConnectionsCommand::Check(args),
        } => cli::health::check(&cli.overrides, args).await,
        Command::Projects {
            command: ProjectsCommand::Export(args),
        } => cli::projects::export(&cli.overrides, args).await,
        #[cfg(feature = "demo")]
        Command::FakeFilevine(args) => cli::fake::run(args).await,
        #[cfg(not(feature = "demo"))]
        Command::FakeFilevine { .. } => {
            eprintln!("fv-partner-app fake-filevine: this build has no stand-in for Filevine (built without the `demo` feature); build with default features to run it");
            ExitCode::from(2)
        }
        Command::Healthcheck => healthcheck(&cli.overrides).await,
    };
    // Logs go to stdout/stderr synchronously; flush what the runtime may still hold.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    code
}

async fn healthcheck(overrides: &Overrides) -> ExitCode {
    let settings = match config::load(overrides) {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("healthcheck: the configuration has problems.\n{errors}");
            return ExitCode::FAILURE;
        }
    };
    match fv_partner_app::healthcheck::probe(&settings).await {
        Ok(body) => {
            println!("{body}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("not ready: {why}");
            ExitCode::FAILURE
        }
    }
}

mod cli;

async fn serve(overrides: &Overrides) -> ExitCode {
    let settings = match cli::settings::load_settings(overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("fv-partner-app cannot start: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    print_banner(&app);
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_banner(app: &Application) {
    let url = app.public_url();
    println!();
    println!("  fv-partner-app is running: open {url}");
    if app.settings().demo {
        println!();
        println!("  ┌─ DEMO MODE ─────────────────────────────────────────────────────────────┐");
        println!("  │ Signing in uses a built-in STAND-IN for Filevine on this machine:       │");
        let stand_in = app.settings().oidc.authority.as_str().trim_end_matches('/');
        println!("  │ {stand_in:<71} │");
        println!("  │ It is not Filevine. Pick any demo user on its sign-in page.             │");
        println!("  │ For real Filevine set FV_CLIENT_ID, FV_CLIENT_SECRET, FV_SECRET_KEY.    │");
        println!("  └─────────────────────────────────────────────────────────────────────────┘");
    } else {
        println!("  Filevine identity: {}", app.settings().oidc.authority);
        println!("  Filevine gateway:  {}", app.settings().gateway.url);
    }
    println!();
}
