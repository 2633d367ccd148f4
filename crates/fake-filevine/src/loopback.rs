//! Keeps other sites out of a stand-in that runs next to the demo user's browser.
//!
//! Listening on loopback is not enough: a page on another site can make the browser send a
//! "simple" cross-site POST (`text/plain`, no preflight) to `127.0.0.1`, or rebind its own DNS
//! name to `127.0.0.1` and read the answers. So every route answers only when the `Host` names
//! loopback (a rebound name does not), and the control endpoint takes only `application/json`,
//! which a cross-site page cannot send without a CORS preflight the stand-in never grants.

use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses (421 Misdirected Request) any request whose `Host` is not `localhost`, `127.0.0.1`
/// or `[::1]` (any port).
pub(crate) async fn only_loopback_hosts(req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()));
    if host.as_deref().is_some_and(is_loopback_host) {
        next.run(req).await
    } else {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "the Filevine stand-in answers only requests addressed to a loopback host\n",
        )
            .into_response()
    }
}

/// Whether a `Host` value (`name[:port]`) names the loopback interface.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "[::1]"
}

/// Whether the body is declared as JSON (`application/json`, parameters allowed).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_names_with_and_without_ports() {
        for ok in [
            "localhost",
            "LocalHost:7059",
            "127.0.0.1",
            "127.0.0.1:1",
            "[::1]",
            "[::1]:8080",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:80",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "127.0.0.2",
            "0.0.0.0:80",
            "[::1]x",
            "::1",
            "",
            ":80",
            "localhost:80:80",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
