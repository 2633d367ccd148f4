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
use crate::{auth::session, state::AppState};

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
    let mut response = next.run(req).await;
    let Some(parts) = response.extensions_mut().remove::<ErrorPageParts>() else {
        return response;
    };
    let user = session::current_user(&session).await.ok().flatten();
    let mut page = parts
        .page(Chrome::new(&state.settings, user.as_ref()))
        .into_response();
    *page.status_mut() = response.status();
    for (name, value) in response.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page
}
