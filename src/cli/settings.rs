//! The configuration every command starts from, with its warnings and problems printed.

use std::process::ExitCode;

use fv_partner_app::{
    config::{self, Overrides, Settings},
    startup::Application,
};

/// The resolved settings, after printing their warnings; on problems, prints them (one line
/// per key) and returns exit code 2 (configuration).
pub fn load_settings(overrides: &Overrides) -> Result<Settings, ExitCode> {
    match config::load(overrides) {
        Ok(settings) => {
            for warning in &settings.warnings {
                eprintln!("warning: {warning}");
            }
            Ok(settings)
        }
        Err(errors) => {
            eprintln!("fv-partner-app cannot start: the configuration has problems.\n{errors}");
            eprintln!("See .env.example and docs/configuration.md.");
            Err(ExitCode::from(2))
        }
    }
}

/// The application a command works through. On a start-up problem, prints it and `meaning`
/// (what it leaves undone, when there is something to say) and returns its exit code.
pub async fn build_app(settings: Settings, meaning: Option<&str>) -> Result<Application, ExitCode> {
    Application::build_for_command(settings).await.map_err(|e| {
        eprintln!("Problem: {e}");
        if let Some(meaning) = meaning {
            eprintln!("{meaning}");
        }
        ExitCode::from(e.exit_code())
    })
}

/// Settings and application together, for a command with nothing to check between them.
pub async fn load_app(overrides: &Overrides) -> Result<Application, ExitCode> {
    build_app(load_settings(overrides)?, None).await
}
