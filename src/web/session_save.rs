//! The session layer (tower-sessions) writes a changed session after the handler has answered.
//! When that write fails (the database restarting, its pool timing out) it throws the page
//! away and answers a bare 500 without a body. For the user that is the same database outage
//! every handler answers with the 503 retry page, so this layer, right outside the session
//! layer, gives that answer the retry page too: a database restart never shows as our fault.

use axum::{
    extract::Request,
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body::Body as _;
use tower_sessions::{session, session_store};

use super::error::AppError;

/// Turns the session layer's failed-save answer into the retry page.
pub async fn layer(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if !is_failed_save(&response) {
        return response;
    }
    let lost = session_store::Error::Backend("the session could not be saved".into());
    AppError::Session(session::Error::Store(lost)).into_response()
}

/// The session layer's answer to a failed save: a 500 with an empty body and no content type.
/// Every 500 of the app's own is a page with a content type, so it is never mistaken for one.
fn is_failed_save(response: &Response) -> bool {
    response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && !response.headers().contains_key(header::CONTENT_TYPE)
        && response.body().size_hint().exact() == Some(0)
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use axum::{body::Body, middleware, routing::get, Router};
    use tower::ServiceExt;
    use tower_sessions::{
        session::{Id, Record},
        Session, SessionManagerLayer, SessionStore,
    };

    use super::*;

    /// A session store whose database is away: every write fails.
    #[derive(Clone, Debug)]
    struct Away;

    #[async_trait]
    impl SessionStore for Away {
        async fn create(&self, _: &mut Record) -> session_store::Result<()> {
            Err(session_store::Error::Backend("connection refused".into()))
        }
        async fn save(&self, _: &Record) -> session_store::Result<()> {
            Err(session_store::Error::Backend("connection refused".into()))
        }
        async fn load(&self, _: &Id) -> session_store::Result<Option<Record>> {
            Ok(None)
        }
        async fn delete(&self, _: &Id) -> session_store::Result<()> {
            Ok(())
        }
    }

    async fn get_status(path: &str) -> (StatusCode, Option<String>) {
        let app = Router::new()
            .route(
                "/writes",
                get(|session: Session| async move {
                    session.insert("seen", 1).await.unwrap();
                    "a page"
                }),
            )
            .route(
                "/fails",
                get(|| async { AppError::Internal("a handler's own failure".into()) }),
            )
            .layer(SessionManagerLayer::new(Away))
            .layer(middleware::from_fn(layer));
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let kind = response.headers().get(header::CONTENT_TYPE);
        (
            response.status(),
            kind.map(|v| v.to_str().unwrap().to_owned()),
        )
    }

    #[tokio::test]
    async fn a_failed_session_save_is_the_retry_page_and_a_handlers_500_stays() {
        let (status, kind) = get_status("/writes").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(kind.is_some_and(|k| k.starts_with("text/html")));
        let (status, _) = get_status("/fails").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
