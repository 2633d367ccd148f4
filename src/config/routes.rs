//! The callback and post-logout paths become routes of the app, so they must not collide with
//! a route it already serves. The list of served routes comes from the router itself
//! (`web::served_paths`), passed in by start-up: configuration does not know the web layer.

use super::{ConfigError, ConfigErrors, Settings};

/// Checks `FV_REDIRECT_URI` and `FV_POST_LOGOUT_REDIRECT_URI` against `served`, the route
/// templates the app serves (`/projects/{id}` style): one line per colliding key.
pub fn check_route_paths(settings: &Settings, served: &[&str]) -> Result<(), ConfigErrors> {
    let mut errors = Vec::new();
    let checks = [
        (
            "FV_REDIRECT_URI",
            settings.oidc.redirect_uri.path(),
            "register a callback of its own, such as /auth/callback or /signin-oidc",
        ),
        (
            "FV_POST_LOGOUT_REDIRECT_URI",
            settings.oidc.post_logout_redirect_uri.path(),
            "register a landing of its own, such as /auth/logout/callback or /signout-callback-oidc",
        ),
    ];
    for (key, path, fix) in checks {
        if let Some(route) = served.iter().find(|t| collides(path, t)) {
            errors.push(ConfigError::new(
                key,
                format!("its path {path} is already the app's route {route}"),
                fix,
            ));
        }
    }
    let (callback, landing) = (checks[0].1, checks[1].1);
    if callback == landing {
        errors.push(ConfigError::new(
            "FV_POST_LOGOUT_REDIRECT_URI",
            format!("its path {landing} is also FV_REDIRECT_URI's path"),
            "the callback and the post-logout landing need different paths",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(errors))
    }
}

/// Whether a request to `path` would be answered by the route `template` (or shadow it):
/// segment by segment, `{param}` matches any one segment, `{*rest}` everything after it, and
/// a template ending in `/` (a nest such as `/static/`) every path below it.
fn collides(path: &str, template: &str) -> bool {
    if let Some(prefix) = template.strip_suffix('/').filter(|p| !p.is_empty()) {
        if path == prefix || path.starts_with(template) {
            return true;
        }
    }
    let mut path_segments = path.split('/');
    let mut template_segments = template.split('/');
    loop {
        match (path_segments.next(), template_segments.next()) {
            (None, None) => return true,
            (Some(_), Some(t)) if t.starts_with("{*") => return true,
            (Some(p), Some(t)) if t.starts_with('{') && t.ends_with('}') && !p.is_empty() => {}
            (Some(p), Some(t)) if p == t => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::collides;

    #[test]
    fn templates_match_like_the_router() {
        assert!(collides("/projects", "/projects"));
        assert!(collides("/projects/42", "/projects/{id}"));
        assert!(!collides("/projects/42/x", "/projects/{id}"));
        assert!(!collides("/projects/", "/projects/{id}"));
        assert!(collides("/static/app.css", "/static/"));
        assert!(collides("/static", "/static/"));
        assert!(!collides("/statics", "/static/"));
        assert!(collides("/", "/"));
        assert!(!collides("/signin-oidc", "/"));
        assert!(!collides("/auth/callback", "/auth/login"));
    }
}
