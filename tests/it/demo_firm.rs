//! The demo as a visitor first sees it (issue 28): the binary in demo mode, Ada signed in. The
//! stand-in's sign-in page says who is who (Ada the administrator, Ben in two organizations),
//! and no attack string from the test data (`<script>`, `=HYPERLINK(`, `<b>Mallory</b>`) is on
//! the first page of any sort: the demo reads like a law firm.

#![cfg(unix)]

use crate::common::{self, child::start_demo};

use common::{Browser, Choice};
use fake_filevine::ADA;
use reqwest::StatusCode;

#[tokio::test]
async fn the_demo_reads_like_a_law_firm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut demo, base) = start_demo(dir.path());
    let b = Browser::new();
    let r = b.get(&base.join("/auth/login").unwrap()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let authorize = common::location(&r);
    let sign_in = b.get(&authorize).await.text().await.unwrap();
    assert!(
        sign_in.contains("the demo app&#39;s administrator")
            || sign_in.contains("the demo app's administrator"),
        "{sign_in}"
    );
    assert!(sign_in.contains("in 2 organizations"), "{sign_in}");
    let callback = b.provider_choose(&authorize, Choice::User(ADA.sub)).await;
    assert_eq!(b.get(&callback).await.status(), StatusCode::SEE_OTHER);
    for sort in ["clientName", "projectName"] {
        for order in ["asc", "desc"] {
            let path = format!("/projects?sort={sort}&order={order}&per_page=200&archived=1");
            let r = b.get(&base.join(&path).unwrap()).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let html = r.text().await.unwrap();
            for hostile in [
                "Mallory",
                "HYPERLINK",
                "&lt;script",
                "&#60;script",
                "evil.example",
            ] {
                assert!(!html.contains(hostile), "{path} shows {hostile}");
            }
            assert!(
                html.contains(" v. "),
                "{path}: the firm's matters are listed"
            );
        }
    }
    demo.kill().unwrap();
    let _ = demo.wait();
}
