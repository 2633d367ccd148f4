//! The web layer: routes, thin handlers, templates and the security headers.

pub mod account_sessions;
pub mod assets;
pub mod auth_pages;
pub mod backchannel;
pub mod chart;
pub mod confirm;
pub mod csrf_form;
pub mod current_page;
pub mod dashboard;
pub mod ended_session;
pub mod env_choice;
pub mod error;
pub mod error_chrome;
pub mod extract;
pub mod feeds;
pub mod gateway;
pub mod health;
pub mod live;
pub mod no_access;
pub mod ops;
pub mod pages;
pub mod pending_cookie;
pub mod rate_limit;
pub mod reports;
pub mod security;
pub mod session_save;
pub mod settings;
pub mod settings_feeds;
pub mod settings_flash;
pub mod settings_health;
pub mod settings_live;
pub mod settings_sessions;
pub mod settings_view;
pub mod templates;
pub mod webhooks;

use axum::{
    middleware,
    routing::{get, post, MethodRouter},
    Router,
};
use tower_http::trace::TraceLayer;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

use self::error::AppError;
use crate::{auth::session::SEEN_WRITE_EVERY_SECONDS, state::AppState, store::AnyStore};

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
    // The idle expiry is enforced by `extract::SignedIn` on the app's clock and slides with use
    // (written at most once a minute); the store's own expiry is the backstop for sessions
    // nobody comes back to, with slack for that minute.
    let idle = time::Duration::seconds(
        (settings.session.idle_timeout.as_secs() + 2 * SEEN_WRITE_EVERY_SECONDS as u64) as i64,
    );
    // The table keeps a keyed hash of each id, never the cookie's value.
    // Under the hashing, the index sees the table's ids: it names sessions to end from
    // elsewhere (back-channel logout, the sessions pages).
    let store = crate::auth::sessions::IndexedStore::new(
        store,
        state.db.clone(),
        settings.session.absolute_timeout,
    );
    let store = crate::store::HashedIds::new(store, &settings.db.secret_key);
    let sessions = SessionManagerLayer::new(store)
        .with_name(session_cookie_name(state.https))
        .with_secure(state.https)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle));

    // Every environment's provider: the login and logout redirects go there (CSP
    // `form-action` must allow them), and each environment's registered callback and
    // post-logout landing are routes (the same paths, unless an environment has its own).
    let mut provider_origins = Vec::new();
    let mut callbacks: Vec<String> = Vec::new();
    let mut landings: Vec<String> = Vec::new();
    for env in state.environments.iter() {
        let summary = env.oidc.summary();
        let ends = [Some(&summary.issuer), summary.end_session_endpoint.as_ref()];
        for u in ends
            .into_iter()
            .flatten()
            .filter_map(|u| url::Url::parse(u).ok())
        {
            provider_origins.push(u.origin().ascii_serialization());
        }
        callbacks.push(env.redirect_uri.path().to_owned());
        landings.push(env.post_logout_redirect_uri.path().to_owned());
    }
    provider_origins.push(settings.oidc.authority.origin().ascii_serialization());
    for list in [&mut provider_origins, &mut callbacks, &mut landings] {
        list.sort();
        list.dedup();
    }
    let headers = security::SecurityHeaders::new(&provider_origins, state.https);

    let mut router = Router::new();
    for path in &callbacks {
        router = router.route(path, get(auth_pages::callback));
    }
    for path in &landings {
        router = router.route(path, get(auth_pages::signed_out));
    }
    for (path, handler) in app_routes() {
        router = router.route(path, handler);
    }
    let limits = ops::Limits {
        timeout: settings.server.request_timeout,
        ..ops::Limits::default()
    };
    let pending = pending_cookie::PendingCookie {
        cipher: state.cipher.clone(),
        https: state.https,
    };
    let router = router
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error_chrome::layer,
        ))
        .layer(middleware::from_fn(current_page::layer))
        .layer(middleware::from_fn(ended_session::layer))
        .layer(sessions)
        .layer(middleware::from_fn(session_save::layer))
        .layer(middleware::from_fn_with_state(
            state.https,
            ended_session::dropped_save,
        ))
        .layer(middleware::from_fn_with_state(
            pending,
            pending_cookie::layer,
        ));
    let rate_limits = rate_limit::RateLimits::new(
        settings.server.rate_limit_per_minute,
        &settings.server.trusted_proxies,
        &callbacks,
    );
    layers(router, limits, headers, rate_limits).with_state(state)
}

/// The layers around the routes, outermost first:
/// 1. security headers: outermost, so every response carries them, the edge's own included
///    (404, 405, the 413 of the body limit, the 503 of the timeout, a panic's 500, a 429);
/// 2. request ids ([`ops::outer`]);
/// 3. the trace span: method (a closed set) and path (escaped, bounded), never the query, which
///    holds the authorization code on the callback;
/// 4. access log and metrics, body limit, timeout ([`ops::inner`]);
/// 5. the per-address rate limit on login starts, callbacks and POSTs (a 429 before any
///    session or database work);
/// 6. a caught panic becomes the 500 page (no message, no stack trace to the browser);
/// 7. (already on `router`) the pending-login cookie, the signed-out answer of a request
///    whose session ended while it ran ([`ended_session::dropped_save`]), a failed session save
///    as the retry page ([`session_save`]), sessions, then the routes and the 404 fallback.
fn layers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    limits: ops::Limits,
    headers: security::SecurityHeaders,
    rate_limits: rate_limit::RateLimits,
) -> Router<S> {
    let router = router
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            security::panic_response,
        ))
        .layer(middleware::from_fn_with_state(
            rate_limits,
            rate_limit::limit,
        ));
    let router = ops::inner(router, limits).layer(TraceLayer::new_for_http().make_span_with(
        |req: &axum::extract::Request| {
            tracing::info_span!(
                "request",
                method = %crate::metrics::method_label(req.method()),
                path = %crate::telemetry::Bounded(req.uri().path())
            )
        },
    ));
    ops::outer(router).layer(middleware::from_fn_with_state(
        headers,
        security::add_security_headers,
    ))
}

/// The app's own routes: every one but the callback and the post-logout landing, whose paths
/// come from the configured URIs. Start-up checks those two against [`served_paths`], which is
/// derived from this same list, so the check cannot drift from the router.
fn app_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/", get(pages::home)),
        ("/auth/login", get(auth_pages::login)),
        ("/auth/logout", post(auth_pages::logout)),
        ("/auth/backchannel-logout", post(backchannel::logout)),
        ("/webhooks/filevine", post(webhooks::receive)),
        ("/profile", get(pages::profile)),
        (
            "/account/sessions",
            get(account_sessions::page).post(account_sessions::submit),
        ),
        ("/userinfo", get(pages::profile)),
        ("/org", get(pages::choose_org).post(pages::set_org)),
        ("/projects", get(dashboard::list)),
        ("/projects/summary", get(dashboard::summary::fragment)),
        ("/projects/live", get(live::stream)),
        ("/projects/export.csv", get(dashboard::export_csv)),
        ("/projects/export.json", get(dashboard::export_json)),
        ("/projects/{id}", get(dashboard::detail)),
        ("/reports", get(reports::page)),
        ("/feeds/projects.csv", get(feeds::projects_csv)),
        ("/feeds/projects.json", get(feeds::projects_json)),
        ("/feeds/reports.json", get(feeds::reports_json)),
        (
            "/settings/feeds",
            get(settings_feeds::page).post(settings_feeds::submit),
        ),
        (
            "/settings/connections",
            get(settings::page).post(settings::submit),
        ),
        (
            settings_health::TEST_ALERT_PATH,
            axum::routing::post(settings_health::test_alert),
        ),
        (
            "/settings/sessions",
            get(settings_sessions::page).post(settings_sessions::submit),
        ),
        (
            "/settings/integration",
            get(settings::moved).post(settings::moved),
        ),
        ("/static/app.css", get(assets::app_css)),
        ("/static/print.css", get(assets::print_css)),
        ("/static/favicon.svg", get(assets::favicon)),
        ("/static/close.js", get(assets::close_js)),
        ("/static/summary.js", get(assets::summary_js)),
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

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    use super::*;

    /// A handler that panics, behind the app's own layers: the app's 500 page, with the
    /// security headers and a request id, that says nothing of the panic.
    #[tokio::test]
    async fn a_panicking_handler_becomes_the_500_page_with_the_headers_and_no_panic_text() {
        async fn boom() -> &'static str {
            panic!("PANIC-DETAIL token=fvrt_secret at src/web/boom.rs:12")
        }
        let routes = Router::new().route("/boom", get(boom));
        let app = layers(
            routes,
            ops::Limits::default(),
            security::SecurityHeaders::new(&[], false),
            rate_limit::RateLimits::new(60, &[], &[]),
        );
        let request = Request::get("/boom").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 500);
        for name in [
            "content-security-policy",
            "x-frame-options",
            "x-content-type-options",
            "referrer-policy",
            "cache-control",
            "x-request-id",
        ] {
            assert!(response.headers().contains_key(name), "no {name}");
        }
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("Something went wrong"), "{body}");
        for leak in ["PANIC-DETAIL", "fvrt_secret", "boom.rs", "panicked"] {
            assert!(!body.contains(leak), "{leak} in {body}");
        }
    }
}
