//! `GET/POST /settings/feeds`: feed keys for BI tools, for admins. The form's field names are an
//! interface: `name`, `connection`, `org`, optional `q`, `phase`, `archived`, `created_since`,
//! `active_since`, `active_before`, and the button `action` = `create` or `revoke` (with `id`).
//! A new key is shown once, in `id="new-feed-key"`, in the answer to the POST itself (never kept
//! in the session, which lives in the database: only the key's hash is stored anywhere).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{csrf_form::CsrfForm, extract::SignedIn, no_access::Admin, templates::Chrome};
use crate::{
    projects::filters::{wants_archived, ProjectFilters, DATE_FILTER_NAMES},
    reporting::feeds::{self, FeedDraft, FeedError},
    state::AppState,
    util::dates::Shown,
    web::error::AppError,
};

/// The page's form.
#[derive(Deserialize, Default)]
pub struct FeedForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    connection: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    archived: String,
    #[serde(default)]
    created_since: String,
    #[serde(default)]
    active_since: String,
    #[serde(default)]
    active_before: String,
}

impl FeedForm {
    fn draft(&self) -> FeedDraft {
        FeedDraft {
            name: self.name.clone(),
            connection: self.connection.clone(),
            org: self.org.clone(),
            q: self.q.clone(),
            phase: self.phase.clone(),
            archived: wants_archived(&self.archived),
            dates: DATE_FILTER_NAMES
                .iter()
                .zip([&self.created_since, &self.active_since, &self.active_before])
                .map(|(n, v)| ((*n).to_owned(), v.clone()))
                .collect(),
        }
    }
}

/// One key as listed.
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub connection: String,
    pub org_id: i64,
    /// The fixed filters in words ("archived included; created since 1 Jan 2025").
    pub filters: String,
    pub created: Shown,
    pub created_by: String,
    pub last_used: Option<Shown>,
    pub revoked: Option<Shown>,
}

/// `/settings/feeds`.
#[derive(Template, WebTemplate)]
#[template(path = "settings_feeds.html")]
pub struct FeedsPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub connections: Vec<String>,
    pub default_org: String,
    pub keys: Vec<KeyRow>,
    /// The key just made (shown once), and its name.
    pub new_key: Option<(String, String)>,
    pub flash: Option<String>,
    pub error: Option<(String, String)>,
    /// What was typed, kept after a refusal.
    pub typed: FeedDraft,
}

impl FeedsPage {
    /// The typed value of date filter `name`.
    pub fn typed_date(&self, name: &str) -> String {
        let found = self.typed.dates.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.clone()).unwrap_or_default()
    }
}

async fn render(state: &AppState, signed: &SignedIn) -> Result<FeedsPage, AppError> {
    let connections = state.connections.list().await?;
    let keys = state.db.feed_keys_list().await?;
    let user = &signed.user;
    let zone = &state.settings.time_zone;
    Ok(FeedsPage {
        chrome: Chrome::new(&state.settings, Some(user)),
        csrf: user.csrf.clone(),
        connections: connections.iter().map(|c| c.name.to_string()).collect(),
        default_org: user.current_org.map(|o| o.to_string()).unwrap_or_default(),
        keys: keys
            .into_iter()
            .map(|k| KeyRow {
                id: k.id,
                name: k.name,
                connection: k.connection,
                org_id: k.org_id,
                filters: filters_in_words(&k.filters, zone),
                created: zone.moment(k.created_at),
                created_by: k.created_by,
                last_used: k.last_used_at.map(|t| zone.moment(t)),
                revoked: k.revoked_at.map(|t| zone.moment(t)),
            })
            .collect(),
        new_key: None,
        flash: None,
        error: None,
        typed: FeedDraft::default(),
    })
}

/// Pages that may show a key are never stored by the browser or a proxy.
fn no_store(status: StatusCode, page: FeedsPage) -> Response {
    let mut r = (status, page).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /settings/feeds`.
pub async fn page(
    State(state): State<AppState>,
    Admin(signed): Admin,
) -> Result<Response, AppError> {
    Ok(no_store(StatusCode::OK, render(&state, &signed).await?))
}

/// `POST /settings/feeds`.
pub async fn submit(
    State(state): State<AppState>,
    Admin(signed): Admin,
    CsrfForm(form): CsrfForm<FeedForm>,
) -> Result<Response, AppError> {
    let by = signed.user.audit_name();
    match form.action.as_str() {
        "create" => match feeds::create(&state, &form.draft(), &by).await {
            Ok((row, key)) => {
                let mut page = render(&state, &signed).await?;
                page.new_key = Some((reveal(&key), row.name));
                Ok(no_store(StatusCode::OK, page))
            }
            Err(FeedError::Db(e)) => Err(e.into()),
            Err(FeedError::Form { field, message }) => {
                let mut page = render(&state, &signed).await?;
                page.error = Some((field.to_owned(), message));
                page.typed = form.draft();
                Ok(no_store(StatusCode::UNPROCESSABLE_ENTITY, page))
            }
        },
        "revoke" => {
            let revoked = state
                .db
                .feed_key_revoke(form.id.trim(), state.clock.now_unix())
                .await?;
            tracing::info!(feed = %form.id.trim(), revoked, by, "feed key revoke");
            let mut page = render(&state, &signed).await?;
            page.flash = Some(if revoked {
                "The key was revoked: requests with it now get 401.".to_owned()
            } else {
                "There is no such live key (already revoked?).".to_owned()
            });
            Ok(no_store(StatusCode::OK, page))
        }
        _ => Err(AppError::BadRequest("Unknown action.")),
    }
}

/// The one place a feed key leaves the server: the page that created it.
fn reveal(key: &SecretString) -> String {
    key.expose_secret().to_owned()
}

/// A key's fixed filters (its query string) as the page says them, dates written the one way.
fn filters_in_words(query: &str, zone: &crate::util::dates::Zone) -> String {
    let f = ProjectFilters::from_query(query);
    let mut parts = Vec::new();
    if !f.q.is_empty() {
        parts.push(format!("search “{}”", f.q));
    }
    if !f.phase.is_empty() {
        parts.push(format!("phase {}", f.phase));
    }
    for (name, day) in f.dates.pairs() {
        let label = match name {
            "created_since" => "created since",
            "active_since" => "active since",
            _ => "active before",
        };
        parts.push(format!("{label} {}", zone.calendar(&day).text));
    }
    if f.archived {
        parts.push("archived included".to_owned());
    }
    parts.join("; ")
}
