//! `fv-partner-app pat verify [--connection NAME]` (part of the binary): exchange a
//! connection's PAT and print who it acts as (default: the only connection; `FV_PAT` is the
//! connection `env`; in demo mode with none, the stand-in's PAT).
//!
//! Exit codes: 0 verified; 1 the PAT, the provider or the gateway said no; 2 configuration
//! (no PAT, invalid settings). The PAT itself is never printed, only its last four characters.

use std::process::ExitCode;

use fv_partner_app::{
    config::Overrides,
    connections::{Connection, TestOutcome, ENV_CONNECTION},
    service_account::{self, Verified, VerifyError},
    state::AppState,
};

use super::connections::{choose, no_pat, Chosen, ConnectionArg};

/// What was verified, and whether an email was compared.
pub struct Checked {
    verified: Verified,
    email_checked: bool,
}

impl std::ops::Deref for Checked {
    type Target = Verified;
    fn deref(&self) -> &Verified {
        &self.verified
    }
}

/// A live check of connection `c` (through its pool), recorded as its status.
async fn verify_connection(state: &AppState, c: &Connection) -> Result<Checked, ExitCode> {
    let tail = if c.last4.is_empty() {
        String::new()
    } else {
        format!(", ending in …{}", c.last4)
    };
    let origin = if c.read_only { " (FV_PAT)" } else { "" };
    println!("PAT:                connection `{}`{origin}{tail}", c.name);
    if let Some(env) = state.environments.get(&c.environment) {
        let endpoint = &env.oidc.summary().token_endpoint;
        println!(
            "Token endpoint:     {endpoint} (environment `{}`)",
            env.name
        );
    }
    let outcome = match state.connections.test(c.name.as_str()).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("\nProblem: {e}");
            return Err(ExitCode::FAILURE);
        }
    };
    match outcome {
        TestOutcome::Works(verified) => Ok(Checked {
            verified,
            email_checked: !c.email.is_empty(),
        }),
        TestOutcome::NothingToTest => {
            eprintln!("\nProblem: the connection `{}` has no usable PAT: save it again on /settings/connections.", c.name);
            Err(ExitCode::FAILURE)
        }
        TestOutcome::Refused(_, e) => {
            eprintln!("\nProblem: {e}");
            Err(ExitCode::FAILURE)
        }
        TestOutcome::Fails(_, e) => {
            eprintln!("\nProblem: {e}");
            if let VerifyError::EmailMismatch { .. } = e {
                if c.name.as_str() == ENV_CONNECTION {
                    eprintln!(
                        "FV_SERVICE_ACCOUNT_EMAIL must be the email of the PAT's service account."
                    );
                } else {
                    eprintln!(
                        "The connection's email must be the email of the PAT's service account."
                    );
                }
            }
            Err(ExitCode::FAILURE)
        }
    }
}

/// Demo mode with no connection: the stand-in's PAT of its service account.
async fn verify_demo_pat(
    state: &AppState,
    pat: secrecy::SecretString,
) -> Result<Checked, ExitCode> {
    let expected = state.settings.service_account.email.clone();
    println!("PAT:                the demo stand-in's PAT of its service account");
    let env = state.environments.default_env();
    println!("Token endpoint:     {}", env.oidc.summary().token_endpoint);
    let source = state.connections.pat_client().source(pat);
    match service_account::verify(&source, env.gateway.as_ref(), expected.as_deref()).await {
        Ok(verified) => Ok(Checked {
            verified,
            email_checked: expected.is_some(),
        }),
        Err(e) => {
            eprintln!("\nProblem: {e}");
            if let VerifyError::EmailMismatch { .. } = e {
                eprintln!(
                    "FV_SERVICE_ACCOUNT_EMAIL must be the email of the PAT's service account."
                );
            }
            Err(ExitCode::FAILURE)
        }
    }
}

/// Runs `pat verify [--connection NAME]`.
pub async fn verify(overrides: &Overrides, args: ConnectionArg) -> ExitCode {
    let settings = match super::settings::load_settings(overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !super::connections::may_have_connection(&settings).await {
        return no_pat("pat verify");
    }
    let app = match super::settings::build_app(
        settings,
        Some("The PAT could not be checked because the provider is unreachable or misconfigured."),
    )
    .await
    {
        Ok(app) => app,
        Err(code) => return code,
    };
    let state = app.state();
    let chosen = match choose(state, args.connection.as_deref()).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    if app.settings().demo {
        println!("Demo mode: verifying against the built-in stand-in (not Filevine).");
    }
    let verified = match chosen {
        Chosen::Connection(c) => verify_connection(state, &c).await,
        Chosen::DemoPat(pat) => verify_demo_pat(state, pat).await,
    };
    let verified = match verified {
        Ok(v) => v,
        Err(code) => return code,
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
    if verified.email_checked {
        println!("Email check:        matches the connection's email");
    }
    for w in &verified.warnings {
        println!("warning: {w}");
    }
    println!("\nOK");
    ExitCode::SUCCESS
}
