//! Settings: see `load`. (Skeleton: the loader is being written.)
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::SecretString;
use url::Url;

/// Filevine region; picks the preset authority and gateway URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Us,
    Ca,
}

/// How the server speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    Off,
    /// A certificate for `localhost` made at start-up.
    SelfSigned,
    Files {
        cert: PathBuf,
        key: PathBuf,
    },
}

/// The 32-byte key that encrypts tokens and PATs at rest.
#[derive(Clone)]
pub struct SecretKey(pub(crate) std::sync::Arc<secrecy::SecretBox<[u8; 32]>>);

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(std::sync::Arc::new(secrecy::SecretBox::new(Box::new(
            bytes,
        ))))
    }
    /// The raw key, for the cipher.
    pub fn expose(&self) -> &[u8; 32] {
        use secrecy::ExposeSecret;
        self.0.expose_secret()
    }
    /// A throwaway key for demo mode.
    pub fn random() -> Self {
        use rand::RngCore;
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        Self::from_bytes(b)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(****)")
    }
}

/// Every setting the app runs with, resolved and validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Run the embedded stand-in for Filevine; authority, gateway and client are filled in
    /// by start-up from the stand-in.
    pub demo: bool,
    pub region: Region,
    pub authority: Url,
    pub gateway_url: Url,
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: Url,
    pub post_logout_redirect_uri: Url,
    pub scopes: Vec<String>,
    pub clock_skew: Duration,
    pub listen: SocketAddr,
    pub database_url: String,
    pub secret_key: SecretKey,
    pub pat: Option<SecretString>,
    pub service_account_email: Option<String>,
    pub admin_emails: Vec<String>,
    pub concurrency: usize,
    pub tls: TlsMode,
    /// Refresh the access token when it expires within this margin.
    pub refresh_margin: Duration,
    pub session_idle_timeout: Duration,
    pub session_absolute_timeout: Duration,
}
