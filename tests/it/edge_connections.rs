//! The edge's connection limits, black-box over raw sockets: a slowloris client trickling its
//! headers in is cut off at the header-read timeout (http and https, on a fresh connection and
//! on a kept-alive connection's next request), a silent or idle
//! connection is closed, and connections beyond `FV_MAX_CONNECTIONS` are closed at once.

use crate::common;

use std::{sync::Arc, time::Duration};

use common::*;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpStream,
};

fn app_with(env: &[(&str, &str)], https: bool) -> TestOptions {
    TestOptions {
        https,
        extra_env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

/// Sends `head` one byte per second, the way a slowloris client holds a socket, while watching
/// for the server to close the connection. Returns how many bytes were sent before it did, or
/// `None` when the whole head went through and the connection stayed open.
async fn trickle<S>(stream: S, head: &[u8]) -> Option<usize>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut closed = tokio::spawn(async move {
        let mut buf = [0u8; 1024];
        // Ends on EOF or a reset; a 408 response, should one come, is read and then EOF.
        while let Ok(n) = rd.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    for (sent, byte) in head.iter().enumerate() {
        if wr.write_all(&[*byte]).await.is_err() || wr.flush().await.is_err() {
            return Some(sent);
        }
        tokio::select! {
            _ = &mut closed => return Some(sent + 1),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    None
}

/// A connection on which one complete `GET /healthz` (`SLOW_HEAD`, sent at once) has been sent.
async fn one_request_sent(app: &TestApp) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    s.write_all(SLOW_HEAD).await.unwrap();
    s
}

/// A request head that takes 30 seconds to trickle in.
const SLOW_HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

#[tokio::test]
async fn slowloris_headers_are_cut_off_at_the_header_read_timeout_over_http() {
    let app = spawn_app(app_with(&[("FV_HEADER_READ_TIMEOUT_SECONDS", "2")], false)).await;
    let stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let sent = trickle(stream, SLOW_HEAD).await;
    // Cut off after about 2 of the 34 bytes: a generous bound that is still far from the end.
    let sent = sent.expect("the server kept a slowloris connection open for the whole head");
    assert!(
        sent < SLOW_HEAD.len() / 2,
        "cut off only after {sent} bytes"
    );
    // The app still serves everyone else.
    let r = app.browser().get(&app.url("/healthz")).await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
}

#[tokio::test]
async fn slowloris_is_cut_off_over_https_too_in_the_handshake_and_in_the_headers() {
    let app = spawn_app(app_with(&[("FV_HEADER_READ_TIMEOUT_SECONDS", "2")], true)).await;
    // Headers trickled through a finished TLS handshake.
    let tls = tls_connect(app.port).await;
    let sent = trickle(tls, SLOW_HEAD)
        .await
        .expect("https kept a slowloris connection open for the whole head");
    assert!(
        sent < SLOW_HEAD.len() / 2,
        "cut off only after {sent} bytes"
    );
    // A handshake trickled in: the start of a TLS record, a byte a second.
    let stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    hello.extend(std::iter::repeat_n(0u8, 30));
    let sent = trickle(stream, &hello)
        .await
        .expect("https kept a trickled handshake open");
    assert!(sent < hello.len() / 2, "cut off only after {sent} bytes");
}

#[tokio::test]
async fn slowloris_on_a_kept_alive_connections_next_request_is_cut_off_too() {
    // Keep-alive far longer than the header timer: only the header-read timeout can end this.
    let app = spawn_app(app_with(
        &[
            ("FV_HEADER_READ_TIMEOUT_SECONDS", "2"),
            ("FV_KEEP_ALIVE_SECONDS", "120"),
        ],
        false,
    ))
    .await;
    let mut s = one_request_sent(&app).await;
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    let first = String::from_utf8_lossy(&buf[..n]);
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(
        !first.to_ascii_lowercase().contains("connection: close"),
        "{first}"
    );
    // The first request was honest; the second one trickles in.
    let sent = trickle(s, SLOW_HEAD)
        .await
        .expect("the server kept a slowloris second request open for the whole head");
    assert!(
        sent < SLOW_HEAD.len() / 2,
        "cut off only after {sent} bytes"
    );
}

#[tokio::test]
async fn silent_and_idle_connections_are_closed() {
    let app = spawn_app(app_with(
        &[
            ("FV_HEADER_READ_TIMEOUT_SECONDS", "30"),
            ("FV_KEEP_ALIVE_SECONDS", "1"),
        ],
        false,
    ))
    .await;
    // One complete request on a kept-alive connection, then silence: the keep-alive time (1 s),
    // not the 30 s header timer, closes it.
    let mut s = one_request_sent(&app).await;
    let closed = tokio::time::timeout(Duration::from_secs(20), read_to_close(&mut s)).await;
    let text = closed.expect("an idle kept-alive connection stayed open");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[tokio::test]
async fn a_connection_that_never_speaks_is_closed_at_the_header_read_timeout() {
    let app = spawn_app(app_with(&[("FV_HEADER_READ_TIMEOUT_SECONDS", "1")], false)).await;
    let mut s = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(20), read_to_close(&mut s)).await;
    assert_eq!(closed.expect("a silent connection stayed open"), "");
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_at_once_and_served_again_when_one_leaves() {
    let app = spawn_app(app_with(
        &[
            ("FV_MAX_CONNECTIONS", "2"),
            ("FV_HEADER_READ_TIMEOUT_SECONDS", "60"),
        ],
        false,
    ))
    .await;
    let first = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let _second = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    // The third gets closed without an answer (not left hanging in the backlog).
    let mut third = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let _ = third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let text = tokio::time::timeout(Duration::from_secs(20), read_to_close(&mut third))
        .await
        .expect("the connection over the limit was left open");
    assert_eq!(text, "", "over the limit, yet answered");

    // When one of the two leaves, its slot is free again.
    drop(first);
    let mut served = false;
    for _ in 0..200 {
        if let Ok(r) = app.browser().http.get(app.url("/healthz")).send().await {
            served = r.status().is_success();
            if served {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served, "a freed slot was never reused");
}

/// Reads until the server closes the connection (EOF or reset); returns what it sent.
async fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf).await {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A TLS connection to the app's self-signed certificate (verification off: test client only).
async fn tls_connect(port: u16) -> tokio_rustls::client::TlsStream<TcpStream> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert))
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.expect("TLS handshake")
}

/// Accepts any server certificate: the test talks to its own app's self-signed one.
#[derive(Debug)]
struct AnyCert;

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
