//! Page structs, one per template. askama escapes every value, so nothing from Filevine or
//! the URL can inject markup.

use askama::Template;
use askama_web::WebTemplate;

use crate::auth::{OrgRef, SessionUser};

/// The parts of the layout every page shares: the demo banner and the header's user menu.
pub struct Chrome {
    pub demo: bool,
    pub user: Option<ChromeUser>,
    /// This page, where the header's organization switcher comes back to.
    pub here: String,
    /// The same-site page the reader came from (its `Referer`), for an error page's "Back"
    /// link; set by the error pages' layer only.
    pub back: Option<String>,
}

/// The signed-in user as the header shows them.
pub struct ChromeUser {
    pub name: String,
    pub csrf: String,
    pub orgs: Vec<OrgRef>,
    pub current_org: Option<i64>,
    /// May manage the service-account connection: the header shows "Settings".
    pub admin: bool,
    /// The session's environment ("Canada"), shown when the app serves several.
    pub environment: Option<String>,
}

impl ChromeUser {
    /// Whether `org` is the current organization (for the switcher's `selected`).
    pub fn is_current(&self, org: &OrgRef) -> bool {
        self.current_org == Some(org.id)
    }
}

impl Chrome {
    /// Layout for a page with no known user (error pages).
    pub fn anonymous() -> Self {
        Self {
            demo: false,
            user: None,
            here: "/".to_owned(),
            back: None,
        }
    }

    /// Layout for a page seen by `user` (or nobody).
    pub fn new(settings: &crate::config::Settings, user: Option<&SessionUser>) -> Self {
        Self {
            demo: settings.demo,
            user: user.map(|u| ChromeUser {
                name: u.display_name(),
                csrf: u.csrf.clone(),
                orgs: u.orgs.clone(),
                current_org: u.current_org,
                admin: crate::auth::policy::is_admin(&settings.service_account, u),
                environment: (settings.environments.len() > 1)
                    .then(|| crate::auth::environments::label_of(&u.environment)),
            }),
            here: super::current_page::current(),
            back: None,
        }
    }
}

/// `GET /`.
#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub chrome: Chrome,
    pub org_name: Option<String>,
}

/// `GET /profile`.
#[derive(Template, WebTemplate)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub chrome: Chrome,
    pub display_name: String,
    pub email: Option<String>,
    pub username: Option<String>,
    pub user_id: Option<i64>,
    pub user_type: Option<String>,
    pub current_org: Option<OrgRef>,
    pub org_user_id: Option<i64>,
    pub access_level: Option<String>,
    /// The orgs besides the current one; all of them while none is chosen yet, in which case
    /// `org_unchosen` is set so the page asks for a choice instead of calling them "other".
    pub other_orgs: Vec<OrgRef>,
    pub org_unchosen: bool,
    /// The verified ID token claims; the times among them (`iat`, `exp`, `auth_time`) are
    /// dates like every other, the rest is shown as it came.
    pub claims: Vec<(String, crate::util::dates::Shown)>,
    pub token_expires: crate::util::dates::Shown,
    pub has_refresh: bool,
    pub gateway_warning: Option<String>,
}

/// `GET /org`: pick one of several organizations.
#[derive(Template, WebTemplate)]
#[template(path = "choose_org.html")]
pub struct ChooseOrgPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub return_to: String,
    pub orgs: Vec<OrgRef>,
}

/// `GET /auth/login` with several environments and none chosen: "Where does your firm use
/// Filevine?", a link per environment, the last one used first and marked.
#[derive(Template, WebTemplate)]
#[template(path = "choose_environment.html")]
pub struct ChooseEnvironmentPage {
    pub chrome: Chrome,
    pub choices: Vec<EnvironmentChoice>,
}

/// One environment on the chooser.
pub struct EnvironmentChoice {
    pub name: String,
    pub label: String,
    /// `/auth/login?env=<name>&return_to=...`.
    pub href: String,
    /// The one this browser chose last (a plain cookie): listed first and marked.
    pub last_used: bool,
}

/// The post-logout landing.
#[derive(Template, WebTemplate)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage {
    pub chrome: Chrome,
}

/// Every failure.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub title: String,
    pub message: String,
    /// `(href, label)` of the button that helps (an empty href reloads the page).
    pub action: Option<(String, String)>,
    pub reference: Option<String>,
}

impl ErrorPage {
    /// Whether the page links to Projects besides its action: for a signed-in reader, unless
    /// the action already goes there.
    pub fn projects_link(&self) -> bool {
        self.chrome.user.is_some()
            && self
                .action
                .as_ref()
                .is_none_or(|(href, _)| href != "/projects")
    }
}

/// `text` in runs, `true` for a run written between backticks (a connection's or an
/// environment's name), which a page shows as `<code>` instead of bare backticks; the messages
/// keep their backticks for the command line, where they read well. Each run is still escaped
/// by the template, so a backtick typed by a user only changes what is set as code.
pub fn code_spans(text: &str) -> Vec<(bool, &str)> {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len() % 2 == 0 {
        // An unmatched backtick: show the text as it is.
        return vec![(false, text)];
    }
    parts
        .into_iter()
        .enumerate()
        .filter(|(_, p)| !p.is_empty())
        .map(|(i, p)| (i % 2 == 1, p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::code_spans;

    #[test]
    fn backticked_names_become_code_runs_and_an_unmatched_backtick_stays_text() {
        assert_eq!(
            code_spans("The connection `reports` works"),
            [
                (false, "The connection "),
                (true, "reports"),
                (false, " works")
            ]
        );
        assert_eq!(
            code_spans("`a` and `b`"),
            [(true, "a"), (false, " and "), (true, "b")]
        );
        assert_eq!(code_spans("no code"), [(false, "no code")]);
        assert_eq!(
            code_spans("named `x` and `y"),
            [(false, "named `x` and `y")]
        );
    }
}
