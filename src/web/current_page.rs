//! The page being rendered, for the header's organization switcher: switching organization
//! from `/projects?q=Garcia` should land back on `/projects?q=Garcia`, not on the home page.
//! Every view builds its [`Chrome`](super::templates::Chrome) from settings and user alone, so
//! rather than thread the URL through every handler, this layer keeps it in a task-local for
//! the request, and `Chrome::new` reads it. Only GET pages are kept (a POST's URL is not a
//! page to come back to); the value is checked as a `ReturnTo` when the switch is posted.

use axum::{extract::Request, http::Method, middleware::Next, response::Response};

tokio::task_local! {
    static CURRENT_PAGE: String;
}

/// Runs the request with its path and query as the current page (GET only).
pub async fn layer(req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let here = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    CURRENT_PAGE.scope(here, next.run(req)).await
}

/// The page this request renders, or `/` outside a GET request.
pub fn current() -> String {
    CURRENT_PAGE
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "/".to_owned())
}
