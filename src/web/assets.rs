//! The stylesheet, the icon and the scripts (the summary's, and the one closing the Save &
//! authorize window), compiled into the binary so the app runs from any directory and works
//! offline (no CDN).

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};

const APP_CSS: &str = include_str!("../../static/app.css");
const PRINT_CSS: &str = include_str!("../../static/print.css");
const FAVICON: &str = include_str!("../../static/favicon.svg");
const CLOSE_JS: &str = include_str!("../../static/close.js");
const SUMMARY_JS: &str = include_str!("../../static/summary.js");

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /static/app.css`.
pub async fn app_css() -> Response {
    asset(APP_CSS, "text/css; charset=utf-8")
}

/// `GET /static/print.css`: the print stylesheet (linked with `media="print"`).
pub async fn print_css() -> Response {
    asset(PRINT_CSS, "text/css; charset=utf-8")
}

/// `GET /static/summary.js`: fills in the dashboard's summary once its scan is done.
pub async fn summary_js() -> Response {
    asset(SUMMARY_JS, "text/javascript; charset=utf-8")
}

/// `GET /static/favicon.svg`.
pub async fn favicon() -> Response {
    asset(FAVICON, "image/svg+xml")
}

/// `GET /static/close.js`: closes the window Save & authorize opened, once it is connected.
pub async fn close_js() -> Response {
    asset(CLOSE_JS, "text/javascript; charset=utf-8")
}
