//! Checks that involve several settings at once (run after every single value is parsed).

use super::super::parse::is_loopback;
use super::super::{Settings, TlsMode};
use super::Resolver;

impl Resolver {
    /// Checks that involve several settings.
    pub(super) fn cross_check(&mut self, s: &Settings) {
        if !s.oidc.scopes.iter().any(|scope| scope == "offline_access") {
            self.warnings.push(
                "FV_SCOPES has no offline_access: Filevine issues no refresh token, so users must log in again when the access token expires".to_owned(),
            );
        }
        if s.oidc.redirect_uri.path() == s.oidc.post_logout_redirect_uri.path() {
            self.error(
                "FV_POST_LOGOUT_REDIRECT_URI",
                format!(
                    "has the same path as FV_REDIRECT_URI ({})",
                    s.oidc.redirect_uri.path()
                ),
                "give the callback and the post-logout landing different paths",
            );
        }
        let tls = s.tls != TlsMode::Off;
        for (key, uri) in [
            ("FV_REDIRECT_URI", &s.oidc.redirect_uri),
            (
                "FV_POST_LOGOUT_REDIRECT_URI",
                &s.oidc.post_logout_redirect_uri,
            ),
        ] {
            // Demo mode moves loopback URIs to the port and scheme it binds
            // (`startup::demo::resolve`): nothing to warn about.
            if !is_loopback(uri) || s.demo {
                continue;
            }
            let port = uri.port_or_known_default();
            if s.server.listen.port() != 0 && port != Some(s.server.listen.port()) {
                self.warnings.push(format!(
                    "{key} {uri} is on port {}, but FV_LISTEN is {}: fine behind a proxy, otherwise the browser will not reach it",
                    port.unwrap_or(0),
                    s.server.listen
                ));
            }
            match (uri.scheme(), tls) {
                ("https", false) => self.warnings.push(format!(
                    "{key} {uri} is https but TLS is off: pass --tls-self-signed (or set FV_TLS_CERT and FV_TLS_KEY), or register an http://localhost URI"
                )),
                ("http", true) => self.warnings.push(format!(
                    "{key} {uri} is http but the server speaks TLS: register an https:// URI"
                )),
                _ => {}
            }
        }
        // The demo signs anyone in as a demo user without a password and shows the demo PAT:
        // it must not be reachable from other machines.
        if s.demo && !s.server.listen.ip().is_loopback() {
            let origin = self
                .origins
                .get("FV_LISTEN")
                .map_or_else(String::new, |o| format!(" (from {o})"));
            self.error(
                "FV_LISTEN",
                format!(
                    "{} is not a loopback address{origin}, and demo mode signs anyone in as a demo user",
                    s.server.listen
                ),
                format!(
                    "listen on loopback (FV_LISTEN=127.0.0.1:{}), or configure a real client (FV_CLIENT_ID, FV_CLIENT_SECRET, FV_SECRET_KEY) to serve other machines",
                    s.server.listen.port()
                ),
            );
        }
        if s.session.idle_timeout > s.session.absolute_timeout {
            self.warnings.push(
                "FV_SESSION_IDLE_MINUTES is longer than FV_SESSION_ABSOLUTE_HOURS: the absolute limit always ends sessions first".to_owned(),
            );
        }
    }
}
