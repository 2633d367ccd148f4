//! Property test: arbitrary query strings at the callback, through the real router and
//! `finish_login`, never panic, never sign anyone in, and always get the friendly page.

use crate::common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;

/// Query strings made of the callback's own parameter names, hostile values and raw junk.
fn query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "code",
            "state",
            "iss",
            "error",
            "error_description",
            "session_state",
            "code%00",
            "st%61te",
            "",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ];
    let value = prop_oneof![
        "[A-Za-z0-9_-]{0,50}",
        "\\PC{0,30}",
        "(%[0-9A-Fa-f]{2}){0,10}",
        "%[g-z]{0,3}",
        prop::sample::select(vec![
            "%FF%FE",
            "%C0%AF",
            "http://127.0.0.1",
            "access_denied",
            "<script>alert(1)</script>",
            "\u{0}",
        ])
        .prop_map(str::to_owned),
    ];
    prop_oneof![
        prop::collection::vec((name, value), 0..6).prop_map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        }),
        "\\PC{0,80}",
        "[&=%;+]{0,20}",
    ]
}

#[test]
fn arbitrary_callback_queries_get_the_friendly_page() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_app(TestOptions::default()));
    // One browser with a login in flight (so `state` lookups run against a real pending
    // login), one without any session.
    let pending = app.browser();
    rt.block_on(pending.start_login(&app, Some("/profile")));
    let fresh = app.browser();

    let mut runner = TestRunner::new(Config {
        cases: 256,
        ..Config::default()
    });
    runner
        .run(&(query(), any::<bool>()), |(q, with_pending)| {
            let b = if with_pending { &pending } else { &fresh };
            let mut url = app.url("/auth/callback");
            url.set_query(Some(&q));
            let (status, body) = rt.block_on(async {
                let r = b.get(&url).await;
                (r.status(), r.text().await.unwrap())
            });
            prop_assert_eq!(status, StatusCode::BAD_REQUEST, "query {:?}", q);
            prop_assert!(body.contains("<h1>"), "friendly page for {:?}", q);
            prop_assert!(!body.contains("<script>alert"), "reflected: {:?}", q);
            Ok(())
        })
        .unwrap();

    // Still alive, still nobody signed in, and no junk reached the token endpoint.
    rt.block_on(async {
        for b in [&pending, &fresh] {
            let r = b.get(&app.url("/profile")).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
        }
        assert_eq!(app.control().token_calls("authorization_code"), 0);
        // The pending login still completes normally afterwards in a new browser.
        let b = app.browser();
        assert_eq!(b.login(&app, "fv-user-1001", None).await, "/");
    });
}
