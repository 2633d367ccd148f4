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
    routing::{get, post, MethodRouter},
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

    let mut router = Router::new()
        .route(settings.oidc.redirect_uri.path(), get(auth_pages::callback))
        .route(
            settings.oidc.post_logout_redirect_uri.path(),
            get(auth_pages::signed_out),
        );
    for (path, handler) in app_routes() {
        router = router.route(path, handler);
    }
    let router = router
        .fallback(|| async { AppError::NotFound })
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            headers,
            security::add_security_headers,
        ));
    // Access log, metrics, body limit and timeout inside the span; request ids outside it.
    let router = ops::inner(router, ops::Limits::default())
        // The span names the path only: the callback's query holds the authorization code.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
                tracing::info_span!(
                    "request",
                    method = crate::metrics::method_label(req.method()),
                    path = %crate::telemetry::Bounded(req.uri().path())
                )
            }),
        );
    ops::outer(router).with_state(state)
}

/// The app's own routes: every one but the callback and the post-logout landing, whose paths
/// come from the configured URIs. Start-up checks those two against [`served_paths`], which is
/// derived from this same list, so the check cannot drift from the router.
fn app_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/", get(pages::home)),
        ("/auth/login", get(auth_pages::login)),
        ("/auth/logout", post(auth_pages::logout)),
        ("/profile", get(pages::profile)),
        ("/userinfo", get(pages::profile)),
        ("/org", get(pages::choose_org).post(pages::set_org)),
        ("/projects", get(dashboard::list)),
        ("/projects/export.csv", get(dashboard::export_csv)),
        ("/projects/export.json", get(dashboard::export_json)),
        ("/projects/{id}", get(dashboard::detail)),
        (
            "/settings/integration",
            get(settings::page).post(settings::submit),
        ),
        ("/static/app.css", get(assets::app_css)),
        ("/static/favicon.svg", get(assets::favicon)),
        ("/healthz", get(health::healthz)),
        ("/readyz", get(health::readyz)),
        ("/metrics", get(health::metrics)),
    ]
}

/// Every route template the app serves besides the two configured ones, plus `/static/`
/// (reserved whole for assets).
pub fn served_paths() -> Vec<&'static str> {
    let mut paths: Vec<&'static str> = app_routes().into_iter().map(|(p, _)| p).collect();
    paths.push("/static/");
    paths
}
