//! The server's TLS configuration: off, a self-signed certificate for `localhost` made at
//! start-up, or PEM files.

use axum_server::tls_rustls::RustlsConfig;

use super::StartupError;
use crate::config::TlsMode;

/// The rustls configuration for `mode`, or `None` for plain http.
pub(super) async fn config(mode: &TlsMode) -> Result<Option<RustlsConfig>, StartupError> {
    match mode {
        TlsMode::Off => Ok(None),
        TlsMode::SelfSigned => {
            let cert = rcgen::generate_simple_self_signed(vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
            ])
            .map_err(|e| StartupError::Tls(e.to_string()))?;
            let config = RustlsConfig::from_der(
                vec![cert.cert.der().to_vec()],
                cert.signing_key.serialize_der(),
            )
            .await
            .map_err(|e| StartupError::Tls(e.to_string()))?;
            Ok(Some(config))
        }
        TlsMode::Files { cert, key } => RustlsConfig::from_pem_file(cert, key)
            .await
            .map(Some)
            .map_err(|e| {
                StartupError::Tls(format!(
                    "FV_TLS_CERT/FV_TLS_KEY ({}, {}): {e}",
                    cert.display(),
                    key.display()
                ))
            }),
    }
}
