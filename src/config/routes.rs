//! The callback and post-logout paths become routes of the app, so they must not collide with
//! a route it already serves. The list of served routes comes from the router itself
//! (`web::served_paths`), passed in by start-up: configuration does not know the web layer.

use super::{sources::env_key, ConfigError, ConfigErrors, Settings};

/// Checks `FV_REDIRECT_URI` and `FV_POST_LOGOUT_REDIRECT_URI` (and each environment's own,
/// `FV_<E>_REDIRECT_URI`...) against `served`, the route templates the app serves
/// (`/projects/{id}` style), and against each other: one line per colliding key.
pub fn check_route_paths(settings: &Settings, served: &[&str]) -> Result<(), ConfigErrors> {
    let mut errors = Vec::new();
    let mut landings = Vec::new();
    let mut callbacks = Vec::new();
    for env in settings.served_environments() {
        // The unprefixed names when they are the ones in use (no FV_ENVIRONMENTS, or an
        // environment that shares them).
        let own = |unprefixed: &'static str, suffix: &str, url: &url::Url, shared: &url::Url| {
            if settings.environments.is_empty() || url == shared {
                unprefixed
            } else {
                env_key(&env.name, suffix)
            }
        };
        let callback_key = own(
            "FV_REDIRECT_URI",
            "REDIRECT_URI",
            &env.oidc.redirect_uri,
            &settings.oidc.redirect_uri,
        );
        let landing_key = own(
            "FV_POST_LOGOUT_REDIRECT_URI",
            "POST_LOGOUT_REDIRECT_URI",
            &env.oidc.post_logout_redirect_uri,
            &settings.oidc.post_logout_redirect_uri,
        );
        callbacks.push((callback_key, env.oidc.redirect_uri.path().to_owned()));
        landings.push((
            landing_key,
            env.oidc.post_logout_redirect_uri.path().to_owned(),
        ));
    }
    let fixes = [
        "register a callback of its own, such as /auth/callback or /signin-oidc",
        "register a landing of its own, such as /auth/logout/callback or /signout-callback-oidc",
    ];
    for (list, fix) in [(&callbacks, fixes[0]), (&landings, fixes[1])] {
        for (key, path) in list {
            if let Some(route) = served.iter().find(|t| collides(path, t)) {
                errors.push(ConfigError::new(
                    key,
                    format!("its path {path} is already the app's route {route}"),
                    fix,
                ));
            }
        }
    }
    for (key, landing) in &landings {
        if let Some((callback_key, _)) = callbacks.iter().find(|(_, c)| c == landing) {
            errors.push(ConfigError::new(
                key,
                format!("its path {landing} is also {callback_key}'s path"),
                "the callback and the post-logout landing need different paths",
            ));
        }
    }
    errors.sort_by_key(|a| a.to_string());
    errors.dedup_by(|a, b| a.to_string() == b.to_string());
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
