//! `fv-partner-app healthcheck`: GETs `/readyz` on the configured listen address, for container
//! health checks in an image that has no curl.
//!
//! The listen address is where the server binds, not where to connect: `0.0.0.0` / `[::]`
//! become loopback. Under TLS the probe speaks https and accepts the server's certificate
//! without verifying it (it is often self-signed for `localhost`, and the probe sends nothing
//! secret to a socket of this same container).

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use crate::config::{Settings, TlsMode};

/// How long the probe waits for an answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The URL of the readiness check for a server configured with `settings`.
pub fn readyz_url(settings: &Settings) -> String {
    let addr = connect_addr(settings.server.listen);
    let scheme = match settings.tls {
        TlsMode::Off => "http",
        _ => "https",
    };
    format!("{scheme}://{addr}/readyz")
}

/// Where to connect to reach a server bound to `listen`.
pub fn connect_addr(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// Probes readiness. `Ok` with the body when the server answered 200, `Err` with why not.
pub async fn probe(settings: &Settings) -> Result<String, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = readyz_url(settings);
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {}", crate::util::error_chain(&e)))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{url}: {status} {body}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_listen_addresses_become_loopback() {
        assert_eq!(
            connect_addr("0.0.0.0:7059".parse().unwrap()),
            "127.0.0.1:7059".parse().unwrap()
        );
        assert_eq!(
            connect_addr("[::]:7059".parse().unwrap()),
            "[::1]:7059".parse().unwrap()
        );
        assert_eq!(
            connect_addr("10.1.2.3:80".parse().unwrap()),
            "10.1.2.3:80".parse().unwrap()
        );
    }
}
