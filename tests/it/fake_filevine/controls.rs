//! The stand-in keeps other sites out: its controls take only JSON, and every route answers
//! only requests addressed to a loopback host (no DNS rebinding).

use super::*;

#[tokio::test]
async fn controls_refuse_cross_site_simple_posts() {
    let fake = start().await;
    let ctl = format!("{}/_fake/control", fake.issuer());
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let resp = http()
            .post(&ctl)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ORIGIN, "https://evil.example")
            .body(r#"{"token_endpoint_down": true, "advance_clock_ms": 60000}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
    }
    let resp = http()
        .post(&ctl)
        .body(r#"{"token_endpoint_down": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "no type");
    let (status, stats) = json_of(
        http()
            .get(format!("{}/_fake/stats", fake.issuer()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["token_endpoint_down"], false, "nothing changed");
    assert_eq!(stats["clock_offset_ms"], 0, "nothing changed");
    let resp = http()
        .post(&ctl)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(r#"{"token_endpoint_down": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn only_loopback_hosts_are_served() {
    let fake = start().await;
    let port = fake.addr().port();
    let ctl = format!("{}/_fake/control", fake.issuer());
    let pages = [
        "/",
        "/_fake/stats",
        "/.well-known/openid-configuration",
        "/connect/authorize",
    ];
    for host in [
        "evil.example".to_owned(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
    ] {
        let resp = http()
            .post(&ctl)
            .header(header::HOST, &host)
            .json(&serde_json::json!({"token_endpoint_down": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::MISDIRECTED_REQUEST, "{host}");
        for page in pages {
            let resp = http()
                .get(format!("{}{page}", fake.issuer()))
                .header(header::HOST, &host)
                .send()
                .await
                .unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::MISDIRECTED_REQUEST,
                "{host} {page}"
            );
        }
    }
    assert!(
        fake.control().token_calls("personal_access_token") == 0,
        "nothing reached the provider"
    );
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "[::1]".to_owned(),
        format!("[::1]:{port}"),
    ] {
        let resp = http()
            .get(format!(
                "{}/.well-known/openid-configuration",
                fake.issuer()
            ))
            .header(header::HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{host}");
    }
    let resp = http()
        .get(format!("{}/_fake/stats", fake.issuer()))
        .send()
        .await
        .unwrap();
    let (_, stats) = json_of(resp).await;
    assert_eq!(
        stats["token_endpoint_down"], false,
        "no control got through"
    );
}
