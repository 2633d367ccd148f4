//! Connection health and alert settings (`settings.alerts`): how often connections are
//! checked, and where a change to broken, a recovery or a daily reminder is sent.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `FV_HEALTH_MINUTES` | every connection is checked this often, 1 to 1440 | `5` |
//! | `FV_SMTP_URL` | alert email through this SMTP server: `smtps://` (implicit TLS), `smtp://...?tls=required` (STARTTLS), plain `smtp://` to a loopback host only; user and password in the URL | none |
//! | `FV_ALERT_FROM` | the alert email's sender (required with `FV_SMTP_URL`) | none |
//! | `FV_ALERT_WEBHOOK_URL` | alert JSON POST (`{"text": ...}`, Slack and Teams incoming webhooks); https, or http to loopback | none |
//! | `FV_CLIENT_SECRET_EXPIRES` | the client secret's expiry date (`YYYY-MM-DD`): admins see a banner from 30 days before, alerts go out at 30 and 7 days and on the day | none |
//!
//! Both URLs are secrets (an SMTP password; a chat webhook's path is its only credential), so
//! they are [`SecretString`]s and show masked in `check` and `Debug`.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// Default interval between two checks of a connection.
pub const DEFAULT_HEALTH_MINUTES: u64 = 5;

/// See the module docs.
#[derive(Clone)]
pub struct AlertSettings {
    /// `FV_HEALTH_MINUTES`.
    pub health_every: Duration,
    /// Alert email, when `FV_SMTP_URL` is set.
    pub smtp: Option<SmtpSettings>,
    /// `FV_ALERT_WEBHOOK_URL`, checked (https or loopback http).
    pub webhook: Option<SecretString>,
    /// `FV_CLIENT_SECRET_EXPIRES`: Filevine's client secrets expire after a year by default.
    pub client_secret_expires: Option<time::Date>,
}

/// Alert email: where to hand it over, from whom, to whom.
#[derive(Clone)]
pub struct SmtpSettings {
    /// `FV_SMTP_URL`, checked: lettre reads it as it is.
    pub url: SecretString,
    /// `FV_ALERT_FROM`, a mailbox (`Name <addr>` or `addr`).
    pub from: String,
    /// `FV_ADMIN_EMAILS`.
    pub to: Vec<String>,
}

impl AlertSettings {
    /// What `check` prints for the email channel: off, or the URL with its password masked.
    pub fn email_shown(&self) -> String {
        match &self.smtp {
            None => "off".to_owned(),
            Some(s) => format!(
                "on: {} from {} to {}",
                mask_smtp_url(s.url.expose_secret()),
                s.from,
                s.to.join(", ")
            ),
        }
    }

    /// What `check` prints for the webhook channel: off, or scheme and host only.
    pub fn webhook_shown(&self) -> String {
        match &self.webhook {
            None => "off".to_owned(),
            Some(u) => format!("on: {}", mask_webhook_url(u.expose_secret())),
        }
    }
}

/// An SMTP URL with its password (and any query value but `tls`) replaced by `****`.
pub fn mask_smtp_url(text: &str) -> String {
    let Ok(mut url) = Url::parse(text) else {
        return "(hidden: not a URL)".to_owned();
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("****"));
    }
    url.to_string()
}

/// A webhook URL as `scheme://host[:port]/****`: a chat webhook's path is its credential.
pub fn mask_webhook_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => format!(
            "{}://{}{}/****",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "(hidden: not a URL)".to_owned(),
    }
}
