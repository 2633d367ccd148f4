//! The stylesheet and icon, compiled into the binary so the app runs from any directory and
//! works offline (no CDN).

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};

const APP_CSS: &str = include_str!("../../static/app.css");
const FAVICON: &str = include_str!("../../static/favicon.svg");
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

/// `GET /static/summary.js`: fills in the dashboard's summary once its scan is done.
pub async fn summary_js() -> Response {
    asset(SUMMARY_JS, "text/javascript; charset=utf-8")
}

/// `GET /static/favicon.svg`.
pub async fn favicon() -> Response {
    asset(FAVICON, "image/svg+xml")
}
