//! Reads the health and alert section ([`AlertSettings`]): every bad value is a start-up
//! error naming its key and the fix, and a URL is never quoted back with its secret parts.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::super::alerts::{
    mask_smtp_url, mask_webhook_url, AlertSettings, SmtpSettings, DEFAULT_HEALTH_MINUTES,
};
use super::super::parse::{bad, in_range, is_loopback, Bad};
use super::super::Origin;
use super::Resolver;

/// Reads `FV_HEALTH_MINUTES`, `FV_SMTP_URL`, `FV_ALERT_FROM`, `FV_ALERT_WEBHOOK_URL` and
/// `FV_CLIENT_SECRET_EXPIRES`;
/// `admins` (`FV_ADMIN_EMAILS`) are the email's recipients.
pub(in crate::config) fn alerts(r: &mut Resolver, admins: &[String]) -> AlertSettings {
    let minutes = r.value("FV_HEALTH_MINUTES", DEFAULT_HEALTH_MINUTES, |t| {
        in_range(t, 1, 24 * 60, "minutes")
    });
    let url = r.optional("FV_SMTP_URL", Origin::Default, parse_smtp_url);
    let from = r.optional("FV_ALERT_FROM", Origin::Default, parse_mailbox);
    let webhook = r.optional("FV_ALERT_WEBHOOK_URL", Origin::Default, parse_webhook_url);
    let client_secret_expires = r.optional("FV_CLIENT_SECRET_EXPIRES", Origin::Default, parse_date);
    let smtp = match (url, from) {
        (Some(url), Some(from)) if !admins.is_empty() => Some(SmtpSettings {
            url,
            from,
            to: admins.to_vec(),
        }),
        (Some(_), Some(_)) => {
            r.error(
                "FV_SMTP_URL",
                "is set but FV_ADMIN_EMAILS is empty, so alert email has no recipient",
                "set FV_ADMIN_EMAILS to the administrators' emails, or unset FV_SMTP_URL",
            );
            None
        }
        (Some(_), None) if r.raw.get("FV_ALERT_FROM").is_none() => {
            r.error(
                "FV_ALERT_FROM",
                "is not set but FV_SMTP_URL is",
                "set FV_ALERT_FROM to the sender of alert email, such as Filevine alerts <alerts@example.com>",
            );
            None
        }
        _ => None,
    };
    AlertSettings {
        health_every: Duration::from_secs(minutes * 60),
        smtp,
        webhook,
        client_secret_expires,
    }
}

/// A calendar date, `YYYY-MM-DD`.
fn parse_date(text: &str) -> Result<time::Date, Bad> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), fmt).map_err(|_| {
        bad(
            format!("'{text}' is not a date"),
            "write the day the client secret expires as YYYY-MM-DD, such as 2027-06-30",
        )
    })
}

const SMTP_FIX: &str = "use smtps://user:password@host:465 (implicit TLS) or smtp://user:password@host:587?tls=required (STARTTLS); plain smtp:// only to localhost";

/// `smtps://`, `smtp://...?tls=required`, or plain `smtp://` to a loopback host.
fn parse_smtp_url(text: &str) -> Result<SecretString, Bad> {
    let shown = mask_smtp_url(text);
    let url =
        Url::parse(text).map_err(|e| bad(format!("'{shown}' is not a URL ({e})"), SMTP_FIX))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(format!("'{shown}' has no host"), SMTP_FIX));
    }
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let encrypted = match (url.scheme(), tls.as_deref()) {
        ("smtps", None) => true,
        ("smtp", Some("required")) => true,
        ("smtp", None | Some("opportunistic")) => false,
        ("smtp" | "smtps", Some(other)) => {
            return Err(bad(format!("'{shown}' has tls={other}"), SMTP_FIX))
        }
        (other, _) => {
            return Err(bad(
                format!("'{shown}' has the scheme {other}, not smtp or smtps"),
                SMTP_FIX,
            ))
        }
    };
    if !encrypted && !smtp_host_is_loopback(&url) {
        return Err(bad(
            format!("'{shown}' sends mail (and its password) unencrypted to a host that is not loopback"),
            SMTP_FIX,
        ));
    }
    type Transport = lettre::AsyncSmtpTransport<lettre::Tokio1Executor>;
    Transport::from_url(text).map_err(|e| {
        bad(
            format!("'{shown}' is not a usable SMTP URL ({e})"),
            SMTP_FIX,
        )
    })?;
    Ok(SecretString::from(text.to_owned()))
}

/// An `smtp:` URL's host is opaque to the URL parser (not a special scheme), so an address
/// arrives as text: read it as an IP address, or `localhost`.
fn smtp_host_is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A mailbox as email headers write it.
fn parse_mailbox(text: &str) -> Result<String, Bad> {
    text.parse::<lettre::message::Mailbox>()
        .map(|m| m.to_string())
        .map_err(|e| {
            bad(
                format!("'{text}' is not an email address ({e})"),
                "use an address such as alerts@example.com or Filevine alerts <alerts@example.com>",
            )
        })
}

/// https, or http to a loopback host; never quoted back beyond its host.
fn parse_webhook_url(text: &str) -> Result<SecretString, Bad> {
    const FIX: &str =
        "use the https:// URL of the incoming webhook (Slack, Teams); plain http only to localhost";
    let url = Url::parse(text).map_err(|e| bad(format!("it is not a URL ({e})"), FIX))?;
    let shown = mask_webhook_url(text);
    let ok = match url.scheme() {
        "https" => url.host_str().is_some_and(|h| !h.is_empty()),
        "http" => is_loopback(&url),
        _ => false,
    };
    if !ok {
        return Err(bad(
            format!("'{shown}' is not https (plain http is accepted only for localhost)"),
            FIX,
        ));
    }
    Ok(SecretString::from(text.to_owned()))
}
