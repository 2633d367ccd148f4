//! The header's organization switcher comes back to the page it was used on (issue 16), with
//! its filters, instead of sending the user home; a forged `return_to` still cannot leave the
//! site.

use crate::common;

use common::*;
use reqwest::StatusCode;

const BEN: &str = "fv-user-1002";

#[tokio::test]
async fn switching_organization_returns_to_the_same_page() {
    let app = spawn_app(TestOptions::default()).await;
    let ben = app.browser();
    let to = ben.login(&app, BEN, Some("/projects")).await;
    let chooser = ben.get(&app.url(&to)).await.text().await.unwrap();
    ben.post_form(
        &app.url("/org"),
        &[("csrf", &csrf_of(&chooser)), ("org_id", "5001")],
    )
    .await;

    let page = ben
        .get(&app.url("/projects?q=Garcia&sort=name"))
        .await
        .text()
        .await
        .unwrap();
    // The switcher's own hidden fields, as a browser would post them with another org picked.
    let switcher = &page[page
        .find("class=\"org-switch\"")
        .expect("the header switcher")..];
    let fields = hidden_inputs(&switcher[..switcher.find("</form>").unwrap()]);
    let return_to = fields
        .iter()
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.clone())
        .expect("the switcher says where it was used");
    assert_eq!(return_to, "/projects?q=Garcia&sort=name");
    let r = ben
        .post_form(
            &app.url("/org"),
            &[
                ("csrf", &csrf_of(&page)),
                ("org_id", "5002"),
                ("return_to", &return_to),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r).as_str(),
        app.url("/projects?q=Garcia&sort=name").as_str()
    );

    // A hand-made return_to off the site lands at home.
    let r = ben
        .post_form(
            &app.url("/org"),
            &[
                ("csrf", &csrf_of(&page)),
                ("org_id", "5001"),
                ("return_to", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&r).path(), "/");
    assert_eq!(location(&r).host_str(), app.url("/").host_str());
}
