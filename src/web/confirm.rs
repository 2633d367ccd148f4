//! The page that asks before an action that cannot be undone (removing a connection): it works
//! without scripts, so the first press of the button only asks, and the action runs when the
//! form comes back with `confirm=yes`.

use askama::Template;
use askama_web::WebTemplate;

use super::templates::Chrome;

/// "Are you sure?" with the form that does it.
#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub title: String,
    /// What will happen, in the reader's words.
    pub consequence: String,
    pub action_path: &'static str,
    /// The form's fields, sent back with `confirm=yes` (the CSRF token among them).
    pub fields: Vec<(&'static str, String)>,
    pub yes_label: &'static str,
    pub back_href: String,
}

/// Whether a form came back from the confirmation page.
pub fn confirmed(value: &str) -> bool {
    value == "yes"
}
