//! The at-rest key and the TLS mode: the two settings that are about files and secrets rather
//! than plain values.

use std::path::PathBuf;

use super::super::parse::{parse_bool, parse_key, Bad, KEY_FIX};
use super::super::{Origin, SecretKey, TlsMode};
use super::{set_by, Resolver};

impl Resolver {
    /// The at-rest key: required outside demo, random in demo when unset.
    pub(super) fn secret_key(&mut self, demo: bool) -> SecretKey {
        let unset = if demo { Origin::Demo } else { Origin::Default };
        let given = self.text("FV_SECRET_KEY", unset);
        match given {
            Some((text, origin)) => parse_key(&text).unwrap_or_else(|Bad(problem, fix)| {
                self.error("FV_SECRET_KEY", format!("{problem} (from {origin})"), fix);
                SecretKey::random()
            }),
            None if demo => {
                if !self.raw.ignored.is_empty() {
                    self.warnings.push(format!(
                        "{} is not used as the at-rest key: demo mode keeps its own key next to its database (set FV_SECRET_KEY to choose one)",
                        self.raw.ignored.join(", ")
                    ));
                }
                SecretKey::random()
            }
            None => {
                let mut fix = format!("set FV_SECRET_KEY: {KEY_FIX}");
                if !self.raw.ignored.is_empty() {
                    fix.push_str(&format!(
                        " ({} is not used: it is not a 32-byte encryption key)",
                        self.raw.ignored.join(", ")
                    ));
                }
                self.error("FV_SECRET_KEY", "missing (required outside demo mode)", fix);
                SecretKey::random()
            }
        }
    }

    /// TLS from the cert/key pair (both or neither, files present) or the self-signed switch.
    pub(super) fn tls(&mut self) -> TlsMode {
        let self_signed = self
            .optional("FV_TLS_SELF_SIGNED", Origin::Default, parse_bool)
            .unwrap_or(false);
        let cert = self.text("FV_TLS_CERT", Origin::Default);
        let key = self.text("FV_TLS_KEY", Origin::Default);
        match (cert, key) {
            (Some((cert, cert_origin)), Some((key, key_origin))) => {
                for (name, path, origin) in [
                    ("FV_TLS_CERT", &cert, cert_origin),
                    ("FV_TLS_KEY", &key, key_origin),
                ] {
                    if !std::path::Path::new(path).is_file() {
                        self.error(
                            name,
                            format!("no file at {path} (from {origin})"),
                            format!("point {name} at a PEM file, relative to the working directory or absolute"),
                        );
                    }
                }
                if self_signed {
                    self.error(
                        "FV_TLS_SELF_SIGNED",
                        "set together with FV_TLS_CERT and FV_TLS_KEY",
                        "choose one: your certificate files, or a self-signed certificate",
                    );
                }
                TlsMode::Files {
                    cert: PathBuf::from(cert),
                    key: PathBuf::from(key),
                }
            }
            (Some((_, origin)), None) => {
                self.error(
                    "FV_TLS_KEY",
                    format!("missing ({})", set_by("FV_TLS_CERT", origin)),
                    "set FV_TLS_KEY to the certificate's PEM private key, or unset FV_TLS_CERT",
                );
                TlsMode::Off
            }
            (None, Some((_, origin))) => {
                self.error(
                    "FV_TLS_CERT",
                    format!("missing ({})", set_by("FV_TLS_KEY", origin)),
                    "set FV_TLS_CERT to the PEM certificate chain, or unset FV_TLS_KEY",
                );
                TlsMode::Off
            }
            (None, None) if self_signed => TlsMode::SelfSigned,
            (None, None) => TlsMode::Off,
        }
    }
}
