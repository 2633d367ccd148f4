//! `fv-partner-app pat verify` (part of the binary): exchange the PAT and print who it acts as.
//!
//! Exit codes: 0 verified; 1 the PAT, the provider or the gateway said no; 2 configuration
//! (no PAT, invalid settings). The PAT itself is never printed, only its last four characters.

use std::process::ExitCode;

use fv_partner_app::{
    config::Overrides,
    service_account::{self, token_source::last4, VerifyError},
    startup::Application,
};

/// Whether a one-shot command has a PAT to act through: `FV_PAT`, or demo mode (which brings
/// the stand-in's). Checked before start-up, so a missing PAT is exit 2 without a provider.
pub fn has_command_pat(settings: &fv_partner_app::config::Settings) -> bool {
    settings.service_account.pat.is_some() || settings.demo
}

/// Says that no PAT is configured and what to set; exit code 2 (configuration).
pub fn no_pat(command: &str) -> ExitCode {
    eprintln!("No personal access token is configured: set FV_PAT to the PAT of the service account (and FV_SERVICE_ACCOUNT_EMAIL to its email), then run `fv-partner-app {command}` again.");
    ExitCode::from(2)
}

/// Runs `pat verify`.
pub async fn verify(overrides: &Overrides) -> ExitCode {
    let settings = match super::load_settings(overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !has_command_pat(&settings) {
        return no_pat("pat verify");
    }
    let expected = settings.service_account.email.clone();
    let app = match Application::build_for_command(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Problem: {e}");
            eprintln!("The PAT could not be checked because the provider is unreachable or misconfigured.");
            return ExitCode::from(e.exit_code());
        }
    };
    let state = app.state();
    let (pat, described) = match state.settings.service_account.command_pat() {
        Some(p) if state.settings.service_account.pat.is_some() => {
            let tail = last4(&p);
            let d = if tail.is_empty() {
                "FV_PAT".to_owned()
            } else {
                format!("FV_PAT, ending in …{tail}")
            };
            (p, d)
        }
        Some(p) => (
            p,
            "the demo stand-in's PAT of its service account".to_owned(),
        ),
        None => return no_pat("pat verify"),
    };
    if app.fake().is_some() {
        println!("Demo mode: verifying against the built-in stand-in (not Filevine).");
    }
    println!("PAT:                {described}");
    println!(
        "Token endpoint:     {}",
        state.oidc.summary().token_endpoint
    );
    let source = state.connections.pat_client().source(pat);
    let verified =
        match service_account::verify(&source, state.gateway.as_ref(), expected.as_deref()).await {
            Ok(v) => v,
            Err(e) => {
                eprintln!("\nProblem: {e}");
                if let VerifyError::EmailMismatch { .. } = e {
                    eprintln!(
                        "FV_SERVICE_ACCOUNT_EMAIL must be the email of the PAT's service account."
                    );
                }
                return ExitCode::FAILURE;
            }
        };
    println!(
        "Acts as:            {}{}",
        verified.name,
        verified
            .email
            .as_deref()
            .map(|e| format!(" <{e}>"))
            .unwrap_or_default()
    );
    println!("User type:          {}", verified.user_type_name());
    let orgs: Vec<String> = verified
        .orgs
        .iter()
        .map(|(id, name)| format!("{name} (#{id})"))
        .collect();
    println!(
        "Organizations:      {}",
        if orgs.is_empty() {
            "none".to_owned()
        } else {
            orgs.join(", ")
        }
    );
    println!(
        "Token lifetime:     {} s (valid until {})",
        verified.token_lifetime_secs,
        fv_partner_app::service_account::format_unix(verified.token_valid_until)
    );
    println!("Granted scopes:     {}", verified.granted_scopes.join(" "));
    if expected.is_some() {
        println!("Email check:        matches FV_SERVICE_ACCOUNT_EMAIL");
    }
    for w in &verified.warnings {
        println!("warning: {w}");
    }
    println!("\nOK");
    ExitCode::SUCCESS
}
