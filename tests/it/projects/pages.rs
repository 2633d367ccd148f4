//! Escaping, the project page, bad query values, and a signed-out or multi-org visitor.

use super::*;
use crate::common::*;
use reqwest::StatusCode;

/// The tricky `<script>` name, shown as text (askama writes `&#60;`, others `&lt;`).
fn escaped_script(html: &str) -> bool {
    html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
        || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
}

#[tokio::test]
async fn project_names_are_escaped() {
    let (app, b) = signed_in(TestOptions::default()).await;
    let (status, html) = page(&b, &app, "/projects?q=alert&archived=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)</script>"), "{html}");
    assert!(escaped_script(&html), "{html}");
    assert!(!html.contains("<b>Mallory</b>"));
    // The detail page too.
    let id = ids(&html)[0];
    let (status, html) = page(&b, &app, &format!("/projects/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(escaped_script(&html));
    assert!(!html.contains("<script>alert(1)"));
}

#[tokio::test]
async fn detail_page_and_not_found() {
    let (app, b) = signed_in(TestOptions::default()).await;
    let (_, html) = page(&b, &app, "/projects").await;
    let id = ids(&html)[0];
    let (status, html) = page(&b, &app, &format!("/projects/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Open in Filevine"));
    assert!(html.contains(&format!("https://app.filevine.com/#/project/{id}")));
    assert_eq!(page(&b, &app, "/projects/1").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        page(&b, &app, "/projects/abc").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_query_values_are_refused_or_clamped_never_a_panic() {
    let (app, b) = signed_in(TestOptions::default()).await;
    for bad in ["sort=evil", "order=sideways", "page=abc", "per_page=-5"] {
        let (status, html) = page(&b, &app, &format!("/projects?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(html.contains("did not make sense"), "{bad}: friendly page");
    }
    for clamped in ["page=0", "per_page=100000", "page=999999999999", "q=%00%FF"] {
        let (status, _) = page(&b, &app, &format!("/projects?{clamped}")).await;
        assert_eq!(status, StatusCode::OK, "{clamped}");
    }
    let (_, html) = page(&b, &app, "/projects?page=100000").await;
    assert!(
        html.contains("past the end"),
        "empty state for a page past the end"
    );
    let (_, html) = page(&b, &app, "/projects?q=zzzz-no-such").await;
    assert!(html.contains("No projects match"));
}

#[tokio::test]
async fn signed_out_goes_to_login_and_multi_org_user_chooses_first() {
    let app = spawn_app(TestOptions::default()).await;
    let b = app.browser();
    let r = b.get(&app.url("/projects?q=smith")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).path().starts_with("/auth/login"));

    let b = app.browser();
    b.login(&app, BEN, None).await;
    let r = b.get(&app.url("/projects?q=smith")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = location(&r);
    assert_eq!(loc.path(), "/org");
    let rt: String = loc
        .query_pairs()
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(rt, "/projects?q=smith");
    let home = b.get(&app.url("/")).await.text().await.unwrap();
    assert!(home.contains("href=\"/projects\""), "nav and home link");
}
