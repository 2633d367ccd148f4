//! `POST /webhooks/filevine` checks the token before it reads the body: a sender without a
//! good token is answered 401 while its upload has not even started, so nobody can make the
//! app wait for (or read) 256 KiB without Filevine's signature.

use crate::common;
use crate::support::webhooks::app_with_ada;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends a delivery's head announcing a 200 KiB body, sends none of it, and returns the
/// status line of the answer (the body never comes, so an app that waits for it never
/// answers: the 20 s guard then fails the test).
async fn status_without_body(app: &common::TestApp, authorization: Option<&str>) -> String {
    let addr = format!(
        "{}:{}",
        app.url("/").host_str().unwrap(),
        app.url("/").port().unwrap()
    );
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = authorization
        .map(|a| format!("authorization: {a}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST /webhooks/filevine HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n{auth}content-length: 204800\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        while !answer.windows(2).any(|w| w == b"\r\n") {
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed without an answer");
            answer.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("answered before the body was sent");
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_refused_token_is_answered_before_the_body_is_read() {
    let (app, _ada) = app_with_ada().await;
    for authorization in [None, Some("Basic abc"), Some("Bearer not.a.jwt")] {
        let status = status_without_body(&app, authorization).await;
        assert!(status.contains(" 401 "), "{authorization:?}: {status}");
    }
}
