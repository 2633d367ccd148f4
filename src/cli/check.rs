//! `fv-partner-app check`: the resolved settings (secrets masked) and what each provider's
//! discovery really advertises (userinfo, claims, ID-token algorithms, revocation, back-channel
//! logout), so an operator sees what Filevine sends before a user finds out.

use std::process::ExitCode;

use fv_partner_app::{
    auth::oidc::ProviderSummary,
    config::{Overrides, Settings},
    startup::Application,
};

/// `fv-partner-app check`.
pub async fn check(overrides: &Overrides) -> ExitCode {
    let settings = match super::settings::load_settings(overrides) {
        Ok(s) => s,
        Err(code) => return code,
    };
    println!("Resolved settings:");
    for (key, value) in settings.describe() {
        println!("  {key:<32} {value}");
    }
    let app = match Application::build_for_command(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("\nProblem: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    if app.settings().demo {
        println!("\nDemo mode: checked against the built-in stand-in (not Filevine).");
    }
    let s = app.oidc_summary();
    let names = app.settings().environment_names();
    let first = if app.settings().environments.is_empty() {
        String::new()
    } else {
        format!("of `{}` ", names[0])
    };
    println!("\nProvider discovery {first}({}):", s.issuer);
    print_summary(s);
    for (name, other) in app.other_environments() {
        println!("\nProvider discovery of `{name}` ({}):", other.issuer);
        print_summary(&other);
    }
    let requested = &app.settings().oidc.scopes;
    let missing: Vec<&String> = requested
        .iter()
        .filter(|sc| {
            !s.scopes_supported.is_empty() && !s.scopes_supported.contains(sc) && !sc.ends_with('*')
        })
        .collect();
    if missing.is_empty() {
        println!("  scopes                           all requested scopes are advertised");
    } else {
        println!(
            "  scopes                           not advertised: {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    if let Some(warning) = admin_warning(app.settings(), s) {
        println!("\nWarning: {warning}");
    }
    if !s.pkce_methods.is_empty() && !s.pkce_methods.iter().any(|m| m == "S256") {
        println!(
            "\nProblem: the provider does not advertise PKCE S256, which this app always uses."
        );
        return ExitCode::FAILURE;
    }
    println!("\nOK");
    ExitCode::SUCCESS
}

/// What one provider's discovery said, as `check` prints it.
fn print_summary(s: &ProviderSummary) {
    let rows: [(&str, String); 12] = [
        ("authorization endpoint", s.authorization_endpoint.clone()),
        ("token endpoint", s.token_endpoint.clone()),
        (
            "end-session endpoint",
            s.end_session_endpoint
                .clone()
                .unwrap_or_else(|| "none (logout stays local)".into()),
        ),
        (
            "revocation endpoint",
            s.revocation_endpoint
                .clone()
                .unwrap_or_else(|| "none".into()),
        ),
        (
            "userinfo endpoint",
            s.userinfo_endpoint.clone().unwrap_or_else(|| {
                "none (name and email only from the ID token and the gateway)".into()
            }),
        ),
        (
            "claims supported",
            if s.claims_supported.is_empty() {
                "not advertised".into()
            } else {
                s.claims_supported.join(" ")
            },
        ),
        ("PKCE methods", s.pkce_methods.join(" ")),
        ("ID token algorithms", s.signing_algs.join(" ")),
        ("client authentication", s.auth_methods.join(" ")),
        ("grant types", s.grant_types_supported.join(" ")),
        (
            "RFC 9207 iss parameter",
            if s.iss_parameter { "yes" } else { "no" }.into(),
        ),
        (
            "back-channel logout",
            match (s.backchannel_logout, s.backchannel_logout_session) {
                (true, true) => "yes, with sid (register <site>/auth/backchannel-logout)",
                (true, false) => "yes, without sid (register <site>/auth/backchannel-logout)",
                (false, _) => "not advertised (sessions end at their own expiry)",
            }
            .into(),
        ),
    ];
    for (label, value) in rows {
        println!("  {label:<32} {value}");
    }
}

/// Why `FV_ADMIN_EMAILS` could never match, if it could not: an admin is recognised by an email
/// Filevine vouches for (the provider's verified email, or the gateway's user record). With no
/// email claim anywhere and no gateway access in the scopes, neither can arrive.
fn admin_warning(settings: &Settings, s: &ProviderSummary) -> Option<String> {
    if settings.service_account.admin_emails.is_empty() {
        return None;
    }
    let scopes = &settings.oidc.scopes;
    let email_scope = scopes.iter().any(|sc| sc == "email");
    let provider_email = email_scope
        && (s.claims_supported.is_empty() || s.claims_supported.iter().any(|c| c == "email"));
    let gateway_record = scopes.iter().any(|sc| sc == "fv.api.gateway.access");
    (!provider_email && !gateway_record).then(|| {
        "FV_ADMIN_EMAILS is set, but no email can reach this app: the provider supplies no `email` claim (or the `email` scope is not requested) and FV_SCOPES lacks `fv.api.gateway.access`, so the gateway's user record cannot be read. Add `email` and `fv.api.gateway.access` to FV_SCOPES.".to_owned()
    })
}
