//! Issue 27: a page reads its session's token set once and keeps it for its other gateway
//! calls (`SessionTokens`), yet refreshes exactly when a read per call would: a kept access
//! token that comes within the refresh margin while the page runs is refreshed before the next
//! call, not sent as it is.

use crate::common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;

const TTL: Duration = Duration::from_secs(1200);
/// The default `FV_REFRESH_MARGIN_SECONDS`.
const MARGIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_token_that_nears_expiry_between_a_pages_calls_is_refreshed_before_the_next() {
    let (app, b) = signed_in_with_ttl(TTL).await;
    let before = app.control().gateway_requests().len();
    app.control()
        .set_gateway_latency(Duration::from_millis(400));
    let page = {
        let (http, url) = (b.http.clone(), app.url("/profile"));
        tokio::spawn(async move { http.get(url).send().await.unwrap().status() })
    };
    // The page's first call (GetUserOrgsWithToken) is at the gateway with the kept token...
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.control().gateway_requests().len() <= before {
        assert!(tokio::time::Instant::now() < deadline, "no gateway call");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // ...when the token comes within the margin: still good for that call, not for the next.
    app.advance_clock(TTL - MARGIN / 2);
    assert_eq!(page.await.unwrap(), StatusCode::OK);
    app.control().set_gateway_latency(Duration::ZERO);
    assert_eq!(
        app.control().token_calls("refresh_token"),
        1,
        "Users/Me must go out with a refreshed token"
    );
    let calls: Vec<String> = app.control().gateway_requests()[before..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        calls,
        [
            "/fv-app/v2/utils/GetUserOrgsWithToken",
            "/fv-app/v2/Users/Me"
        ],
        "no call refused and retried"
    );
}
