//! The provider's HTML: the demo login page and the message page, with the headers a login
//! page needs.

#![allow(clippy::result_large_err)]

use super::*;

// ---------------------------------------------------------------- pages

#[derive(Template, WebTemplate)]
#[template(path = "fake/message.html")]
pub(super) struct MessagePage {
    pub(super) title: String,
    pub(super) message: String,
}

pub(super) struct HiddenField {
    pub(super) name: &'static str,
    pub(super) value: String,
}

pub(super) struct UserChoice {
    pub(super) sub: &'static str,
    pub(super) name: String,
    pub(super) email: &'static str,
    pub(super) kind: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "fake/login.html")]
pub(super) struct LoginPage {
    pub(super) client_id: String,
    pub(super) scope: String,
    pub(super) hidden: Vec<HiddenField>,
    pub(super) users: Vec<UserChoice>,
}

/// An HTML page with the headers a login page needs.
pub(super) fn page(status: StatusCode, body: impl IntoResponse) -> Response {
    let mut resp = (status, body).into_response();
    no_store(&mut resp);
    let h = resp.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action *; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

pub(super) fn message(status: StatusCode, title: &str, message: impl Into<String>) -> Response {
    page(
        status,
        MessagePage {
            title: title.to_owned(),
            message: message.into(),
        },
    )
}
