//! Error pages in the reader's own layout. [`AppError`](super::error::AppError) renders its
//! page without knowing who asked (a 404 from the router's fallback has no handler at all), so
//! a signed-in user used to see "Login with Filevine" and no demo banner on a 404 or 400 while
//! still signed in. The error attaches its page's parts to the response; this layer, inside the
//! session layer, renders them again with the session's user, keeping the status and headers.

use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

use super::templates::{Chrome, ErrorPage};
use crate::{
    auth::{return_to::ReturnTo, session},
    state::AppState,
};

/// What an error page says, carried on the response for this layer.
#[derive(Clone)]
pub struct ErrorPageParts {
    pub title: String,
    pub message: String,
    pub action: Option<(String, String)>,
    pub reference: Option<String>,
}

impl ErrorPageParts {
    /// The page in `chrome`'s layout.
    pub fn page(self, chrome: Chrome) -> ErrorPage {
        ErrorPage {
            chrome,
            title: self.title,
            message: self.message,
            action: self.action,
            reference: self.reference,
        }
    }
}

/// Re-renders an error page with the signed-in user's header (and the demo banner). A session
/// that cannot be read leaves the anonymous page as it is.
pub async fn layer(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let back = came_from(&req);
    let mut response = next.run(req).await;
    let Some(parts) = response.extensions_mut().remove::<ErrorPageParts>() else {
        return response;
    };
    let user = session::current_user(&session).await.ok().flatten();
    let mut chrome = Chrome::new(&state.settings, user.as_ref());
    chrome.back = back;
    let mut page = parts.page(chrome).into_response();
    *page.status_mut() = response.status();
    for (name, value) in response.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page
}

/// The page of this site the request came from (`Referer` on the same host), as a path a
/// link may go back to ([`ReturnTo`]); not the failing page itself.
fn came_from(req: &Request) -> Option<String> {
    let referer = req.headers().get(header::REFERER)?.to_str().ok()?;
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    let authority = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str()?),
        None => url.host_str()?.to_owned(),
    };
    if !authority.eq_ignore_ascii_case(host) {
        return None;
    }
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let here = req.uri().path_and_query().map(|p| p.as_str());
    if here == Some(path.as_str()) {
        return None;
    }
    ReturnTo::parse(&path).ok().map(|r| r.to_string())
}
