//! Demo mode, resolved into final settings before anything is built: the stand-in starts on
//! loopback, and the settings point at it (authority, gateway, client) and name its demo
//! admin. Nothing after this step knows that demo mode exists, except the banner.

use std::net::SocketAddr;

use fake_filevine::{FakeClient, FakeFilevine, FakeOptions};
use secrecy::SecretString;
use url::Url;

use super::StartupError;
use crate::config::{ServiceAccountSettings, Settings};

/// Starts the embedded stand-in and returns the settings pointing at it. The app's own URIs
/// follow the port actually bound, so `FV_LISTEN=127.0.0.1:0` works in demo mode too. The demo
/// projects' dates end at `now` (the app's clock at start-up), so the reports show matters
/// going stale today rather than a year ago.
pub(super) async fn resolve(
    mut settings: Settings,
    addr: SocketAddr,
    tls: bool,
    now: time::OffsetDateTime,
) -> Result<(Settings, FakeFilevine), StartupError> {
    let scheme = if tls { "https" } else { "http" };
    let oidc = &mut settings.oidc;
    for uri in [&mut oidc.redirect_uri, &mut oidc.post_logout_redirect_uri] {
        let host_is_local = matches!(uri.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if host_is_local {
            let _ = uri.set_scheme(scheme);
            let _ = uri.set_port(Some(addr.port()));
        }
    }
    let client = FakeClient::demo_for(
        oidc.redirect_uri.as_str(),
        oidc.post_logout_redirect_uri.as_str(),
    );
    let (client_id, secret) = (client.client_id.clone(), client.client_secret.clone());
    let options = FakeOptions {
        clients: vec![client],
        anchor: Some(now),
        ..FakeOptions::default()
    };
    let fake = FakeFilevine::start(options)
        .await
        .map_err(|e| StartupError::Fake(e.to_string()))?;
    // Registered as a client registers it with Filevine: the stand-in's "Sign out of
    // Filevine" then signs the demo's sessions out through the back channel.
    let mut backchannel = oidc.redirect_uri.clone();
    backchannel.set_path("/auth/backchannel-logout");
    backchannel.set_query(None);
    fake.control()
        .set_backchannel_logout_uri(&client_id, backchannel.as_str());
    oidc.authority = Url::parse(&fake.issuer()).map_err(|e| StartupError::Fake(e.to_string()))?;
    oidc.client_id = client_id;
    oidc.client_secret = SecretString::from(secret);
    settings.gateway.url = fake.gateway_url();
    demo_service_account(&mut settings.service_account);
    super::demo_key::keep_demo_key(&mut settings).map_err(StartupError::DemoKey)?;
    Ok((settings, fake))
}

/// The demo's admin is its first demo user (unless the operator named admins), so the
/// settings page can be tried out; one-shot commands act through the stand-in's demo PAT.
fn demo_service_account(service_account: &mut ServiceAccountSettings) {
    if service_account.admin_emails.is_empty() {
        let admin = fake_filevine::ADA.email.to_ascii_lowercase();
        service_account.admin_emails.push(admin);
    }
    service_account.demo_pat = Some(SecretString::from(fake_filevine::DEMO_PAT));
    service_account.demo_email = Some(fake_filevine::REPORTING_BOT.email.to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::policy::{
        is_admin,
        tests::{settings, user},
    };

    #[test]
    fn demo_without_admins_makes_ada_admin_only() {
        let mut demo = settings(&[]);
        assert!(demo.demo);
        demo_service_account(&mut demo.service_account);
        let sa = &demo.service_account;
        assert!(is_admin(sa, &user("Ada@Lovelace-Law.example")));
        assert!(!is_admin(sa, &user("ben@okafor-injury.example")));
    }

    #[test]
    fn demo_keeps_the_admins_the_operator_named() {
        let mut demo = settings(&[("FV_ADMIN_EMAILS", "boss@firm.com")]);
        demo_service_account(&mut demo.service_account);
        let sa = &demo.service_account;
        assert!(is_admin(sa, &user("boss@firm.com")));
        assert!(!is_admin(sa, &user("ada@lovelace-law.example")));
    }
}
