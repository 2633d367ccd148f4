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
    // The demo's sessions live in its database file: the stand-in keeps the refresh tokens it
    // issued next to it, so a restart signs nobody out.
    let options = FakeOptions {
        clients: vec![client],
        anchor: Some(now),
        keep_refresh_tokens: super::demo_key::beside_database(
            &settings.db.url,
            "stand-in-tokens.json",
        ),
        // A visitor sees a law firm; the attack names are for tests.
        hostile_names: false,
        // Its answers stay instant; the tests hold the stand-in's answers to the contract.
        check_answers: false,
        ..FakeOptions::default()
    };
    let fake = start_stand_in(options, &settings.db.url)
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
    // The stand-in delivers webhooks on this machine: without FV_PUBLIC_URL, the app's own
    // loopback address, so Live updates work in the demo as they do behind a public URL.
    if settings.server.public_url.is_none() {
        settings.server.public_url =
            Url::parse(&format!("{scheme}://127.0.0.1:{}/", addr.port())).ok();
    }
    demo_service_account(&mut settings.service_account);
    super::demo_key::keep_demo_key(&mut settings).map_err(StartupError::DemoKey)?;
    Ok((settings, fake))
}

/// Starts the stand-in on the port it had last time (kept beside the demo's database), so its
/// issuer stays the same and the sessions it signed in stay valid: a refreshed ID token must
/// name the issuer of the first (OpenID Connect Core 12.2). When that port is taken, any free
/// one: the demo then works, only its earlier sessions have to sign in again.
async fn start_stand_in(
    options: FakeOptions,
    database_url: &str,
) -> Result<FakeFilevine, fake_filevine::FakeError> {
    let port_file = super::demo_key::beside_database(database_url, "stand-in-port");
    let last_port = port_file
        .as_deref()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .and_then(|text| text.trim().parse::<u16>().ok());
    let fake = match last_port {
        Some(port) => {
            let mut again = options.clone();
            again.listen.set_port(port);
            match FakeFilevine::start(again).await {
                Ok(fake) => fake,
                Err(fake_filevine::FakeError::Bind { .. }) => {
                    tracing::warn!(
                        port,
                        "the demo stand-in's last port is taken; demo users sign in again"
                    );
                    FakeFilevine::start(options).await?
                }
                Err(e) => return Err(e),
            }
        }
        None => FakeFilevine::start(options).await?,
    };
    if let Some(f) = port_file {
        if let Err(e) = std::fs::write(&f, fake.addr().port().to_string()) {
            tracing::warn!(file = %f.display(), error = %e, "cannot remember the demo stand-in's port");
        }
    }
    Ok(fake)
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
