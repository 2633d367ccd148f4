//! The web layer: routes, thin handlers, templates and the security headers.

pub mod assets;
pub mod auth_pages;
pub mod dashboard;
pub mod extract;
pub mod gateway_call;
pub mod health;
pub mod ops;
pub mod pages;
pub mod security;
pub mod settings;
pub mod templates;

use axum::{
    middleware,
    routing::{get, post},
    Router,
};
use tower_http::trace::TraceLayer;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

use crate::{error::AppError, state::AppState, store::AnyStore};

/// Name of the session cookie; `__Host-` under https so it cannot be set by a sibling domain.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-fv_session"
    } else {
        "fv_session"
    }
}

/// Builds the router. The callback and post-logout routes follow the configured URIs, so a
/// client registered for the samples' `/signin-oidc` works unchanged.
pub fn router(state: AppState, store: AnyStore) -> Router {
    let settings = &state.settings;
    let idle = time::Duration::seconds(settings.session.idle_timeout.as_secs() as i64);
    let sessions = SessionManagerLayer::new(store)
        .with_name(session_cookie_name(state.https))
        .with_secure(state.https)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle));

    let mut provider_origins = vec![settings.oidc.authority.origin().ascii_serialization()];
    if let Some(end) = state.oidc.summary().end_session_endpoint.as_deref() {
        if let Ok(u) = url::Url::parse(end) {
            provider_origins.push(u.origin().ascii_serialization());
        }
    }
    provider_origins.dedup();
    let headers = security::SecurityHeaders::new(&provider_origins, state.https);

    let router = Router::new()
        .route("/", get(pages::home))
        .route("/auth/login", get(auth_pages::login))
        .route(settings.oidc.redirect_uri.path(), get(auth_pages::callback))
        .route("/auth/logout", post(auth_pages::logout))
        .route(
            settings.oidc.post_logout_redirect_uri.path(),
            get(auth_pages::signed_out),
        )
        .route("/profile", get(pages::profile))
        .route("/userinfo", get(pages::profile))
        .route("/org", get(pages::choose_org).post(pages::set_org))
        .route("/projects", get(dashboard::list))
        .route("/projects/export.csv", get(dashboard::export_csv))
        .route("/projects/export.json", get(dashboard::export_json))
        .route("/projects/{id}", get(dashboard::detail))
        .route(
            "/settings/integration",
            get(settings::page).post(settings::submit),
        )
        .route("/static/app.css", get(assets::app_css))
        .route("/static/favicon.svg", get(assets::favicon))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(|| async { AppError::NotFound })
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            headers,
            security::add_security_headers,
        ));
    // Access log, metrics, body limit and timeout inside the span; request ids outside it.
    let router = ops::inner(router, ops::Limits::default())
        // The span names the path only: the callback's query holds the authorization code.
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::extract::Request| {
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            },
        ));
    ops::outer(router).with_state(state)
}
