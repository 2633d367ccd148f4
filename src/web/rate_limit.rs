//! Per-client-address rate limits on what costs the app or the provider work for an anonymous
//! caller: login starts, the callback (a code exchange), and every POST.
//!
//! One token bucket per client address (`FV_RATE_LIMIT_PER_MINUTE` requests a minute, as a
//! burst, refilled evenly), from the `governor` crate, keyed by the TCP peer; an IPv6 client
//! is keyed by its /64, the block one subscriber usually gets, so hopping addresses within it
//! buys nothing. Behind a proxy, the address comes from `X-Forwarded-For` only when the peer is
//! one of `FV_TRUSTED_PROXIES`: the header is walked from the right, past trusted hops, and the
//! first address that is not a trusted proxy is the client's (anyone can write the left end).
//!
//! Exempt ([`EXEMPT`]): `POST /auth/backchannel-logout` and `POST /webhooks/filevine`. The
//! provider calls them server to server from one address (or a few), so a burst of logout tokens (a user signed in from
//! many browsers, an identity admin disabling a team) would share one bucket, and a 429 there
//! leaves a session open that the provider asked to end; deliveries come in bursts too (a phase
//! change to a hundred matters), and a 429 would only delay live data. An anonymous caller gets
//! little from either: a token costs a signature check against keys already held (the key
//! refetch has its own limit) before any database work.
//!
//! The buckets are the app's one rate limiter ([`KeyedRate`], `governor`, pruned) rather than
//! `tower_governor`: the limit applies to a few routes chosen by method and path, the key needs
//! the proxy rule above, and the 429 is ours (a page with `Retry-After`, under the outer
//! security-header layer).

use std::{
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use ipnet::IpNet;

use super::error::AppError;
use crate::util::keyed_rate::KeyedRate;

/// Paths never counted, whatever the method (see the module doc).
pub const EXEMPT: &[&str] = &["/auth/backchannel-logout", "/webhooks/filevine"];

/// The limiter and what it needs to pick which requests it counts and whose they are.
#[derive(Clone)]
pub struct RateLimits {
    limiter: KeyedRate<IpAddr>,
    trusted: Arc<[IpNet]>,
    callback_paths: Arc<[String]>,
}

impl RateLimits {
    /// `per_minute` requests a minute per client address; `trusted` proxies' `X-Forwarded-For`
    /// is believed; `callback_paths` are the paths of every environment's redirect URI.
    pub fn new(per_minute: u32, trusted: &[IpNet], callback_paths: &[String]) -> Self {
        Self {
            limiter: KeyedRate::new(per_minute),
            trusted: trusted.into(),
            callback_paths: callback_paths.into(),
        }
    }

    /// Whether `req` counts against its client's bucket. HEAD counts as GET: axum answers it
    /// with the GET handler, so it starts a login or exchanges a code just the same.
    fn applies(&self, method: &Method, path: &str) -> bool {
        if EXEMPT.contains(&path) {
            return false;
        }
        *method == Method::POST
            || ((*method == Method::GET || *method == Method::HEAD)
                && (path == "/auth/login" || self.callback_paths.iter().any(|c| c == path)))
    }
}

/// The client's address: the TCP peer, or behind trusted proxies the first untrusted hop of
/// `X-Forwarded-For` counted from the right.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop.trim()) else {
            // Garbage the client wrote: the last trusted hop is all we know.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The bucket key: the address, or for IPv6 its /64.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(
                u128::from(v6) & 0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
            )),
        },
    }
}

/// The middleware: counts login starts, callbacks and POSTs; past the limit, a 429 page with
/// `Retry-After` (the security headers come from the outer layer).
pub async fn limit(State(limits): State<RateLimits>, req: Request, next: Next) -> Response {
    if !limits.applies(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    // Without a peer (a router driven in-process), everyone shares one bucket.
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let key = bucket(client_addr(peer, req.headers(), &limits.trusted));
    match limits.limiter.check(&key) {
        Ok(()) => next.run(req).await,
        Err(seconds) => {
            crate::metrics::rate_limited();
            AppError::TooManyRequests(seconds).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpNet = "10.0.0.0/8".parse().unwrap();
        let peer: IpAddr = "10.1.2.3".parse().unwrap();
        let outsider: IpAddr = "198.51.100.7".parse().unwrap();
        let h = xff("6.6.6.6, 203.0.113.9, 10.9.9.9");
        // Untrusted peer: its header is ignored.
        assert_eq!(client_addr(outsider, &h, &[proxy]), outsider);
        // No trusted proxies configured: the peer.
        assert_eq!(client_addr(peer, &h, &[]), peer);
        // Trusted: the first untrusted hop from the right, not the spoofable left end.
        assert_eq!(
            client_addr(peer, &h, &[proxy]),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // Garbage from the client: the last trusted hop.
        assert_eq!(
            client_addr(peer, &xff("not-an-ip, 10.9.9.9"), &[proxy]),
            "10.9.9.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_addr(peer, &xff("[2001:db8::1]:443"), &[proxy]),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a = bucket("2001:db8:1:2::1".parse().unwrap());
        let b = bucket("2001:db8:1:2:ffff::9".parse().unwrap());
        let c = bucket("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            bucket("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }
}
