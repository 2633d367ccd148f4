//! The login's environment chooser ("Where does your firm use Filevine?") and the plain cookie
//! that remembers the last choice. The cookie only pre-selects: it never skips the chooser,
//! so a person who works for firms in both countries is always asked. It holds a name of a
//! served environment and nothing else, and what it says is never trusted beyond ordering
//! the choices.

use axum::http::{header, HeaderMap, HeaderValue};
use tower_sessions::cookie::{time::Duration, Cookie, SameSite};

use super::templates::{ChooseEnvironmentPage, Chrome, EnvironmentChoice};
use crate::{auth::ReturnTo, state::AppState};

/// The cookie's name (not `__Host-`: nothing secret, and it is read on http too).
pub const COOKIE: &str = "fv_env";

/// The environment this browser chose last, as its cookie says (unchecked).
pub fn last(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
}

/// Remembers `env` as this browser's choice for a year.
pub fn remember(response: &mut axum::response::Response, env: &str, https: bool) {
    let cookie = Cookie::build((COOKIE, env.to_owned()))
        .path("/")
        .max_age(Duration::days(365))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .build();
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The chooser: a link per served environment (keeping `return_to`), the last one used
/// first.
pub fn page(state: &AppState, return_to: &ReturnTo, last: Option<&str>) -> ChooseEnvironmentPage {
    let rt: String = url::form_urlencoded::byte_serialize(return_to.as_str().as_bytes()).collect();
    let mut choices: Vec<EnvironmentChoice> = state
        .environments
        .iter()
        .map(|e| EnvironmentChoice {
            name: e.name.clone(),
            label: e.label.clone(),
            href: format!("/auth/login?env={}&return_to={rt}", e.name),
            last_used: last == Some(e.name.as_str()),
        })
        .collect();
    // Stable: the configured order, with the last one used moved to the front.
    choices.sort_by_key(|c| !c.last_used);
    ChooseEnvironmentPage {
        chrome: Chrome::new(&state.settings, None),
        choices,
    }
}
