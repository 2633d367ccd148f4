//! Parsers for single values: each turns text into a typed value or says what is wrong and how
//! to fix it. Secret values are never quoted back.

use std::{fmt, net::SocketAddr};

use base64::Engine as _;
use url::{Host, Url};

use super::{Region, SecretKey};

/// What an operator pastes when they copy the discovery URL instead of the issuer.
pub(super) const DISCOVERY_SUFFIX: &str = "/.well-known/openid-configuration";
pub(super) const KEY_FIX: &str =
    "generate one with `openssl rand -hex 32` and keep it: tokens saved under one key cannot be read with another";

/// What a parser reports: the problem and the fix, without the key (the caller knows it).
pub(super) struct Bad(pub(super) String, pub(super) String);

pub(super) fn bad(problem: impl Into<String>, fix: impl Into<String>) -> Bad {
    Bad(problem.into(), fix.into())
}

/// Loopback hosts may use plain http: the stand-in and tests run there, and the traffic never
/// leaves the machine.
pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub(super) fn parse_bool(text: &str) -> Result<bool, Bad> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(bad(
            format!("'{text}' is not true or false"),
            "use true, false, 1 or 0",
        )),
    }
}

pub(super) fn parse_region(text: &str) -> Result<Region, Bad> {
    match text.to_ascii_lowercase().as_str() {
        "us" => Ok(Region::Us),
        "ca" => Ok(Region::Ca),
        _ => Err(bad(
            format!("'{text}' is not a Filevine region"),
            "use us or ca, or set FV_AUTHORITY and FV_GATEWAY_URL directly",
        )),
    }
}

/// An absolute http(s) URL without credentials or fragment; http only for loopback hosts.
fn checked_url(text: &str, what: &str) -> Result<Url, Bad> {
    let url = Url::parse(text).map_err(|e| {
        bad(
            format!("'{text}' is not an absolute URL ({e})"),
            format!("use the full {what}, such as https://host/path"),
        )
    })?;
    let shown = display_url(&url);
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad(
            format!("'{shown}' is not an http(s) URL"),
            format!("use the full https:// {what}"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            format!("'{shown}' holds credentials"),
            "remove the user:password@ part",
        ));
    }
    if url.fragment().is_some() {
        return Err(bad(
            format!("'{shown}' has a #fragment"),
            "remove the #... part",
        ));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(bad(
            format!("'{shown}' is plain http on a host that is not loopback"),
            "use https:// (plain http is accepted only for localhost, 127.0.0.0/8 and ::1)",
        ));
    }
    Ok(url)
}

/// Authority or gateway: a checked URL with no query; a pasted discovery URL is trimmed.
pub(super) fn parse_provider_url(text: &str) -> Result<Url, Bad> {
    let trimmed = text.trim_end_matches('/');
    let trimmed = trimmed.strip_suffix(DISCOVERY_SUFFIX).unwrap_or(trimmed);
    let url = checked_url(trimmed, "base URL")?;
    if url.query().is_some() {
        return Err(bad(
            format!("'{}' has a ?query", display_url(&url)),
            "remove the ?... part",
        ));
    }
    Ok(url)
}

pub(super) fn redirect_url(text: &str) -> Result<Url, Bad> {
    checked_url(text, "URL registered with Filevine")
}

pub(super) fn parse_scopes(text: &str) -> Result<Vec<String>, Bad> {
    if text.contains(',') {
        return Err(bad(
            format!("'{text}' contains commas"),
            "scopes are space-separated: write them like \"openid profile email offline_access\"",
        ));
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in text.split_whitespace() {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if !scopes.iter().any(|s| s == "openid") {
        return Err(bad(
            format!("'{text}' does not include openid"),
            "add openid: without it Filevine issues no ID token and login cannot work",
        ));
    }
    Ok(scopes)
}

pub(super) fn in_range<T>(text: &str, low: T, high: T, unit: &str) -> Result<T, Bad>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    match text.parse::<T>() {
        Ok(n) if (low..=high).contains(&n) => Ok(n),
        _ => Err(bad(
            format!("'{text}' is not a whole number from {low} to {high}"),
            format!("use a number of {unit} from {low} to {high}"),
        )),
    }
}

pub(super) fn parse_listen(text: &str) -> Result<SocketAddr, Bad> {
    text.parse().map_err(|_| {
        bad(
            format!("'{text}' is not an IP address and port"),
            "use an address such as 127.0.0.1:7059 (this machine only) or 0.0.0.0:7059 (every interface)",
        )
    })
}

pub(super) fn parse_database_url(text: &str) -> Result<String, Bad> {
    let lower = text.to_ascii_lowercase();
    if ["sqlite:", "postgres:", "postgresql:"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
    {
        Ok(text.to_owned())
    } else {
        Err(bad(
            format!(
                "'{}' is neither sqlite: nor postgres:",
                mask_database_url(text)
            ),
            "use sqlite://fv-partner-app.db or postgres://user@host/db",
        ))
    }
}

/// 32 bytes as 64 hex characters, or base64 / base64url with or without padding.
pub(super) fn parse_key(text: &str) -> Result<SecretKey, Bad> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    // Hex first: every hex digit is also a base64 character, but a random base64 key made only
    // of hex digits is vanishingly unlikely.
    let decoded = if text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()
    } else {
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
    };
    let Some(bytes) = decoded else {
        return Err(bad(
            format!(
                "is neither 64 hex characters nor base64 ({} characters)",
                text.chars().count()
            ),
            KEY_FIX,
        ));
    };
    let len = bytes.len();
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
        bad(
            format!("decodes to {len} bytes; the key must be exactly 32"),
            KEY_FIX,
        )
    })?;
    Ok(SecretKey::from_bytes(bytes))
}

pub(super) fn parse_email(text: &str) -> Result<String, Bad> {
    let (local, domain) = text.split_once('@').unwrap_or(("", ""));
    let odd = |c: char| c.is_whitespace() || "@;,<>()\"".contains(c);
    if local.is_empty() || domain.is_empty() || local.contains(odd) || domain.contains(odd) {
        return Err(bad(
            format!("'{text}' is not an email address"),
            "use an address such as name@firm.com",
        ));
    }
    Ok(text.to_owned())
}

pub(super) fn parse_email_list(text: &str) -> Result<Vec<String>, Bad> {
    text.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| parse_email(e).map(|e| e.to_lowercase()))
        .collect::<Result<_, _>>()
        .map_err(|Bad(problem, _)| {
            bad(
                problem,
                "separate addresses with commas: a@firm.com,b@firm.com",
            )
        })
}

/// A URL for messages, with any password masked.
fn display_url(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("****"));
    }
    // PostgreSQL (and sqlx) also take the password as a query parameter: `?password=`,
    // `?sslpassword=`. Mask every parameter whose name says it is a secret.
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_param(&k) {
                    "****".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// Whether a URL query parameter named `name` holds a secret.
fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "token",
        "key",
        "auth",
        "credential",
    ]
    .iter()
    .any(|s| name.contains(s))
        && !matches!(name.as_str(), "sslkey" | "sslrootcert" | "sslcert")
}

/// A database URL for messages and `check`, with any password masked.
pub(super) fn mask_database_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => display_url(&url),
        Err(_) if text.contains('@') => "(hidden: not a URL and contains '@')".to_owned(),
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod mask_tests {
    use crate::config::{resolve, Sources};

    #[test]
    fn database_passwords_are_masked_in_userinfo_and_query_in_check_and_debug() {
        let url = "postgres://app:hunter2@db.internal/app?sslmode=require&password=s3cret-q&sslpassword=x9y8z7&sslkey=/etc/key.pem";
        let settings = resolve(Sources {
            env: vec![("DATABASE_URL".into(), url.into())],
            ..Default::default()
        })
        .expect("valid");
        let debug = format!("{settings:?}");
        let check = format!("{:?}", settings.describe());
        for shown in [&debug, &check, &super::mask_database_url(url)] {
            for secret in ["hunter2", "s3cret-q", "x9y8z7"] {
                assert!(!shown.contains(secret), "{secret} shown in {shown}");
            }
            assert!(shown.contains("sslmode=require"), "{shown}");
            assert!(shown.contains("sslkey=%2Fetc%2Fkey.pem"), "{shown}");
        }
    }
}
