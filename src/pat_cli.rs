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
use secrecy::SecretString;

/// The PAT a one-shot command uses: `FV_PAT`, or in demo mode the stand-in's demo PAT.
pub fn command_pat(settings: &crate::config::Settings) -> Option<SecretString> {
    match (&settings.service_account.pat, settings.demo) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(SecretString::from(fake_filevine::DEMO_PAT)),
        (None, false) => None,
    }
}

/// Runs `pat verify`.
pub async fn verify(overrides: &Overrides) -> ExitCode {
    let settings = match super::load_settings(overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (pat, described) = match command_pat(&settings) {
        Some(p) if settings.service_account.pat.is_some() => {
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
        None => {
            eprintln!("No personal access token is configured: set FV_PAT to the PAT of the service account (and FV_SERVICE_ACCOUNT_EMAIL to its email), then run `fv-partner-app pat verify` again.");
            return ExitCode::from(2);
        }
    };
    let expected = settings.service_account.email.clone();
    let app = match Application::build_for_command(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Problem: {e}");
            eprintln!("The PAT could not be checked because the provider is unreachable or misconfigured.");
            return ExitCode::FAILURE;
        }
    };
    let state = app.state();
    if app.fake().is_some() {
        println!("Demo mode: verifying against the built-in stand-in (not Filevine).");
    }
    println!("PAT:                {described}");
    println!(
        "Token endpoint:     {}",
        state.oidc.summary().token_endpoint
    );
    let source = state.pat.client().source(pat);
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
