//! The edge's limits (`settings.server`): how long a client may take to send its headers, how
//! long an idle connection is kept, how many connections are served at once. Each bad value is
//! a start-up error naming its key, like every other setting.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `FV_HEADER_READ_TIMEOUT_SECONDS` | a client must send a request's headers (and, under https, finish the TLS handshake) within this, 1 to 300 | `10` |
//! | `FV_KEEP_ALIVE_SECONDS` | an idle kept-alive connection is closed after this, 1 to 3600 (HTTP/1.1 also closes it at the header-read timeout, whichever is first) | `5` |
//! | `FV_MAX_CONNECTIONS` | connections served at once; more are closed at once, 1 to 100000 | `1024` |
//! | `FV_RATE_LIMIT_PER_MINUTE` | login starts, callbacks and POSTs per client address per minute (a burst of this many, refilled evenly), 1 to 100000 | `60` |
//! | `FV_FEED_RATE_PER_MINUTE` | requests per feed key per minute on `/feeds/...` (a burst of this many, refilled evenly), 1 to 100000 | `30` |
//! | `FV_TRUSTED_PROXIES` | comma-separated addresses or CIDR blocks of proxies whose `X-Forwarded-For` is believed | none |
//! | `FV_PUBLIC_URL` | the base the world reaches the app at (https; plain http only for a loopback host): Filevine posts webhook deliveries to it + `/webhooks/filevine`; live updates cannot be turned on without it | none |
//! | `FV_REQUEST_TIMEOUT_SECONDS` | a handler that has not answered within this gets a 503 page (exports, which stream, are exempt), 1 to 600 | `30` |

use std::{net::SocketAddr, time::Duration};

use super::super::parse::{bad, in_range, Bad};
use super::super::ServerSettings;
use super::Resolver;

/// Default header-read timeout: long enough for a phone on a bad network, short enough that a
/// slowloris client holding thousands of sockets gets them closed quickly.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default keep-alive idle time, the common choice of Node and most proxies.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(5);
/// Default connection limit: far above what one instance of this app serves, far below the
/// file descriptors a process gets.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Reads the server section. `listen` is parsed by the caller (it is also cross-checked there).
pub(in crate::config) fn server(r: &mut Resolver, listen: SocketAddr) -> ServerSettings {
    let header_read_timeout = Duration::from_secs(r.value(
        "FV_HEADER_READ_TIMEOUT_SECONDS",
        DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
        |t| in_range(t, 1, 300, "seconds"),
    ));
    let keep_alive = Duration::from_secs(r.value(
        "FV_KEEP_ALIVE_SECONDS",
        DEFAULT_KEEP_ALIVE.as_secs(),
        |t| in_range(t, 1, 3600, "seconds"),
    ));
    let max_connections = r.value("FV_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, |t| {
        in_range(t, 1, 100_000, "connections")
    });
    let request_timeout = Duration::from_secs(r.value("FV_REQUEST_TIMEOUT_SECONDS", 30, |t| {
        in_range(t, 1, 600, "seconds")
    }));
    let rate_limit_per_minute = r.value("FV_RATE_LIMIT_PER_MINUTE", 60, |t| {
        in_range(t, 1, 100_000, "requests")
    });
    let feed_rate_per_minute = r.value("FV_FEED_RATE_PER_MINUTE", 30, |t| {
        in_range(t, 1, 100_000, "requests")
    });
    let trusted_proxies = r.value("FV_TRUSTED_PROXIES", Vec::new(), parse_proxies);
    let public_url = r.value("FV_PUBLIC_URL", None, |t| {
        super::super::parse::parse_provider_url(t).map(Some)
    });
    ServerSettings {
        public_url,
        listen,
        request_timeout,
        rate_limit_per_minute,
        feed_rate_per_minute,
        trusted_proxies,
        header_read_timeout,
        keep_alive,
        max_connections,
    }
}

/// `10.0.0.1, 10.1.0.0/16, ::1`: addresses or CIDR blocks.
fn parse_proxies(text: &str) -> Result<Vec<ipnet::IpNet>, Bad> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<ipnet::IpNet>()
                .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    bad(
                        format!("'{t}' is not an IP address or CIDR block"),
                        "list the proxies' addresses, comma-separated, e.g. 10.0.0.1,10.1.0.0/16",
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::config::{resolve, Sources};

    fn env(pairs: &[(&str, &str)]) -> Sources {
        Sources {
            env: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_and_values_are_read() {
        let s = resolve(Sources::default()).expect("demo settings");
        assert_eq!(s.server.header_read_timeout.as_secs(), 10);
        assert_eq!(s.server.keep_alive.as_secs(), 5);
        assert_eq!(s.server.max_connections, 1024);
        let s = resolve(env(&[
            ("FV_HEADER_READ_TIMEOUT_SECONDS", "3"),
            ("FV_KEEP_ALIVE_SECONDS", "60"),
            ("FV_MAX_CONNECTIONS", "7"),
        ]))
        .expect("valid");
        assert_eq!(s.server.header_read_timeout.as_secs(), 3);
        assert_eq!(s.server.keep_alive.as_secs(), 60);
        assert_eq!(s.server.max_connections, 7);
        assert!(s.server.public_url.is_none());
        for ok in ["https://reports.example-firm.com/", "http://127.0.0.1:7059"] {
            let s = resolve(env(&[("FV_PUBLIC_URL", ok)])).unwrap();
            assert!(s.server.public_url.is_some(), "{ok}");
        }
        let s = resolve(env(&[("FV_TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16,::1")])).unwrap();
        assert_eq!(s.server.trusted_proxies.len(), 3);
        assert!(
            s.server.trusted_proxies[1].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap())
        );
    }

    #[test]
    fn each_bad_value_is_an_error_naming_its_key() {
        for (key, value) in [
            ("FV_HEADER_READ_TIMEOUT_SECONDS", "0"),
            ("FV_HEADER_READ_TIMEOUT_SECONDS", "ten"),
            ("FV_KEEP_ALIVE_SECONDS", "-1"),
            ("FV_MAX_CONNECTIONS", "0"),
            ("FV_MAX_CONNECTIONS", "1e9"),
            ("FV_REQUEST_TIMEOUT_SECONDS", "0"),
            ("FV_RATE_LIMIT_PER_MINUTE", "0"),
            ("FV_TRUSTED_PROXIES", "10.0.0.1, proxy.local"),
            ("FV_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("FV_PUBLIC_URL", "http://app.example-firm.com"),
            ("FV_PUBLIC_URL", "reports.example-firm.com"),
            ("FV_PUBLIC_URL", "https://app.example/?x=1"),
        ] {
            let e = resolve(env(&[(key, value)])).expect_err(value);
            assert_eq!(e.0.len(), 1, "{e}");
            assert_eq!(e.0[0].key, key, "{e}");
        }
    }
}
