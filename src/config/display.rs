//! How settings are shown: `check`'s table and `Debug`, both with every secret masked.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::parse::mask_database_url;
use super::{Origin, Settings, TlsMode};

impl Settings {
    /// Every resolved setting as `(name, value (origin))`, for `fv-partner-app check`. Secrets
    /// are masked: the client secret and PAT show at most their last 4 characters, the key only
    /// its length, a database password not at all.
    pub fn describe(&self) -> Vec<(String, String)> {
        let mut rows = Vec::new();
        let mut row = |name: &str, value: String, key: &str| {
            let origin = self.origins.get(key).copied().unwrap_or(Origin::Default);
            rows.push((name.to_owned(), format!("{value} ({origin})")));
        };
        let mode = if self.demo {
            "demo: the built-in stand-in plays Filevine".to_owned()
        } else {
            "Filevine".to_owned()
        };
        row("mode", mode, "FV_DEMO");
        row(
            "FV_REGION",
            self.oidc.region.as_str().to_owned(),
            "FV_REGION",
        );
        if !self.environments.is_empty() {
            row(
                "FV_ENVIRONMENTS",
                self.environment_names().join(","),
                "FV_ENVIRONMENTS",
            );
        }
        for e in &self.environments {
            let key = |suffix: &str| super::sources::env_key(&e.name, suffix);
            for (suffix, value) in [
                ("AUTHORITY", e.authority.to_string()),
                ("GATEWAY_URL", e.gateway_url.to_string()),
                ("CLIENT_ID", e.client_id.clone()),
                ("CLIENT_SECRET", mask_tail(&e.client_secret)),
                ("REDIRECT_URI", e.redirect_uri.to_string()),
                (
                    "POST_LOGOUT_REDIRECT_URI",
                    e.post_logout_redirect_uri.to_string(),
                ),
            ] {
                row(key(suffix), value, key(suffix));
            }
        }
        let placeholder = "filled in at start-up by the demo stand-in";
        let demo_or = |value: String| {
            if self.demo {
                placeholder.to_owned()
            } else {
                value
            }
        };
        row(
            "FV_AUTHORITY",
            demo_or(self.oidc.authority.to_string()),
            "FV_AUTHORITY",
        );
        row(
            "FV_GATEWAY_URL",
            demo_or(self.gateway.url.to_string()),
            "FV_GATEWAY_URL",
        );
        row(
            "FV_CLIENT_ID",
            demo_or(self.oidc.client_id.clone()),
            "FV_CLIENT_ID",
        );
        row(
            "FV_CLIENT_SECRET",
            demo_or(mask_tail(&self.oidc.client_secret)),
            "FV_CLIENT_SECRET",
        );
        row(
            "FV_REDIRECT_URI",
            self.oidc.redirect_uri.to_string(),
            "FV_REDIRECT_URI",
        );
        row(
            "FV_POST_LOGOUT_REDIRECT_URI",
            self.oidc.post_logout_redirect_uri.to_string(),
            "FV_POST_LOGOUT_REDIRECT_URI",
        );
        row("FV_SCOPES", self.oidc.scopes.join(" "), "FV_SCOPES");
        row(
            "FV_CLOCK_SKEW_SECONDS",
            self.oidc.clock_skew.as_secs().to_string(),
            "FV_CLOCK_SKEW_SECONDS",
        );
        row("FV_LISTEN", self.server.listen.to_string(), "FV_LISTEN");
        for (key, value) in [
            (
                "FV_HEADER_READ_TIMEOUT_SECONDS",
                self.server.header_read_timeout.as_secs(),
            ),
            ("FV_KEEP_ALIVE_SECONDS", self.server.keep_alive.as_secs()),
            ("FV_MAX_CONNECTIONS", self.server.max_connections as u64),
            (
                "FV_REQUEST_TIMEOUT_SECONDS",
                self.server.request_timeout.as_secs(),
            ),
            (
                "FV_RATE_LIMIT_PER_MINUTE",
                u64::from(self.server.rate_limit_per_minute),
            ),
            (
                "FV_FEED_RATE_PER_MINUTE",
                u64::from(self.server.feed_rate_per_minute),
            ),
        ] {
            row(key, value.to_string(), key);
        }
        let proxies = &self.server.trusted_proxies;
        let proxies = if proxies.is_empty() {
            "none".to_owned()
        } else {
            proxies
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        row("FV_TRUSTED_PROXIES", proxies, "FV_TRUSTED_PROXIES");
        let public = self.server.public_url.as_ref().map_or_else(
            || "none (live updates cannot be turned on)".to_owned(),
            ToString::to_string,
        );
        row("FV_PUBLIC_URL", public, "FV_PUBLIC_URL");
        row(
            "FV_WEBHOOK_AUDIENCE",
            self.live.webhook_audience.clone(),
            "FV_WEBHOOK_AUDIENCE",
        );
        row(
            "DATABASE_URL",
            mask_database_url(&self.db.url),
            "DATABASE_URL",
        );
        let key = match self.origins.get("FV_SECRET_KEY") {
            Some(origin) if origin.is_explicit() => "set (32 bytes)",
            _ => "random (not kept across restarts)",
        };
        row("FV_SECRET_KEY", key.to_owned(), "FV_SECRET_KEY");
        let pat = self
            .service_account
            .pat
            .as_ref()
            .map_or("not set".to_owned(), mask_tail);
        row("FV_PAT", pat, "FV_PAT");
        row(
            "FV_SERVICE_ACCOUNT_EMAIL",
            self.service_account
                .email
                .clone()
                .unwrap_or_else(|| "not set".to_owned()),
            "FV_SERVICE_ACCOUNT_EMAIL",
        );
        let admins = if self.service_account.admin_emails.is_empty() {
            "none".to_owned()
        } else {
            self.service_account.admin_emails.join(", ")
        };
        row("FV_ADMIN_EMAILS", admins, "FV_ADMIN_EMAILS");
        row(
            "FV_CONCURRENCY",
            self.gateway.concurrency.to_string(),
            "FV_CONCURRENCY",
        );
        let (tls, tls_key) = match &self.tls {
            TlsMode::Off => ("off".to_owned(), "FV_TLS_SELF_SIGNED"),
            TlsMode::SelfSigned => (
                "self-signed certificate for localhost".to_owned(),
                "FV_TLS_SELF_SIGNED",
            ),
            TlsMode::Files { cert, key } => (
                format!("certificate {}, key {}", cert.display(), key.display()),
                "FV_TLS_CERT",
            ),
        };
        row("TLS", tls, tls_key);
        row(
            "FV_REFRESH_MARGIN_SECONDS",
            self.session.refresh_margin.as_secs().to_string(),
            "FV_REFRESH_MARGIN_SECONDS",
        );
        row(
            "FV_TIME_ZONE",
            self.time_zone.name().to_owned(),
            "FV_TIME_ZONE",
        );
        row(
            "FV_SNAPSHOT_MINUTES",
            self.service_account
                .snapshot_every
                .map_or(0, |d| d.as_secs() / 60)
                .to_string(),
            "FV_SNAPSHOT_MINUTES",
        );
        row(
            "FV_HEALTH_MINUTES",
            (self.alerts.health_every.as_secs() / 60).to_string(),
            "FV_HEALTH_MINUTES",
        );
        row("alert email", self.alerts.email_shown(), "FV_SMTP_URL");
        row(
            "alert webhook",
            self.alerts.webhook_shown(),
            "FV_ALERT_WEBHOOK_URL",
        );
        let expires = self.alerts.client_secret_expires;
        row(
            "FV_CLIENT_SECRET_EXPIRES",
            expires.map_or_else(|| "not set".to_owned(), |d| d.to_string()),
            "FV_CLIENT_SECRET_EXPIRES",
        );
        row(
            "FV_SESSION_IDLE_MINUTES",
            (self.session.idle_timeout.as_secs() / 60).to_string(),
            "FV_SESSION_IDLE_MINUTES",
        );
        row(
            "FV_SESSION_ABSOLUTE_HOURS",
            (self.session.absolute_timeout.as_secs() / 3600).to_string(),
            "FV_SESSION_ABSOLUTE_HOURS",
        );
        rows
    }
}

/// `****` plus the last 4 characters, enough to tell two secrets apart; only `****` when the
/// secret is too short for 4 characters to be a small part of it.
fn mask_tail(secret: &SecretString) -> String {
    let chars: Vec<char> = secret.expose_secret().chars().collect();
    if chars.len() < 16 {
        return "****".to_owned();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("****{tail}")
}

/// Hand-written so a password inside `database_url` is masked too (the secret fields mask
/// themselves). Keep it in step with the struct's fields.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("demo", &self.demo)
            .field("region", &self.oidc.region)
            .field("authority", &self.oidc.authority.as_str())
            .field("gateway_url", &self.gateway.url.as_str())
            .field("client_id", &self.oidc.client_id)
            .field("client_secret", &self.oidc.client_secret)
            .field("redirect_uri", &self.oidc.redirect_uri.as_str())
            .field(
                "post_logout_redirect_uri",
                &self.oidc.post_logout_redirect_uri.as_str(),
            )
            .field("scopes", &self.oidc.scopes)
            .field("clock_skew", &self.oidc.clock_skew)
            .field("server", &self.server)
            .field("database_url", &mask_database_url(&self.db.url))
            .field("secret_key", &self.db.secret_key)
            .field("pat", &self.service_account.pat)
            .field("service_account_email", &self.service_account.email)
            .field("admin_emails", &self.service_account.admin_emails)
            .field("concurrency", &self.gateway.concurrency)
            .field("health_every", &self.alerts.health_every)
            .field("alert_email", &self.alerts.email_shown())
            .field("alert_webhook", &self.alerts.webhook_shown())
            .field("tls", &self.tls)
            .field("refresh_margin", &self.session.refresh_margin)
            .field("session_idle_timeout", &self.session.idle_timeout)
            .field("session_absolute_timeout", &self.session.absolute_timeout)
            .field("warnings", &self.warnings)
            .field("origins", &self.origins)
            .finish()
    }
}
