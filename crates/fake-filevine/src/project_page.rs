//! `GET /_fake/projects` and its forms (`POST /_fake/projects`): a demo operator moves a
//! project's phase, renames, archives or creates one from the stand-in's own page, and every change is
//! delivered to the org's webhook subscriptions ([`super::project_changes`]). The forms carry
//! a token made at start-up: a page on another site can post a form to loopback, but cannot
//! read this page to learn the token (the Host check keeps rebound names out).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::data::{DEMO_ORGS, PHASES};
use super::project_changes::{apply, ProjectChange};
use super::provider::{html_message, html_page};
use super::state::Shared;

/// Projects listed per org (the first ones, newest last).
const SHOWN: usize = 12;

struct ProjectRow {
    id: i64,
    name: String,
    phase: &'static str,
    archived: bool,
}

impl ProjectRow {
    /// Whether the project is in `phase` (the page's phase select).
    fn is_in(&self, phase: &str) -> bool {
        self.phase == phase
    }
}

struct OrgRows {
    org_id: i64,
    name: &'static str,
    projects: Vec<ProjectRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "fake/projects.html")]
struct ProjectsPage {
    token: String,
    done: Option<String>,
    orgs: Vec<OrgRows>,
    phases: Vec<&'static str>,
}

#[derive(Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

/// `GET /_fake/projects`.
pub(crate) async fn page(State(shared): State<Arc<Shared>>, Query(q): Query<Done>) -> Response {
    let orgs = DEMO_ORGS
        .iter()
        .map(|o| OrgRows {
            org_id: o.org_id,
            name: o.name,
            projects: shared
                .projects(o.org_id)
                .iter()
                .rev()
                .take(SHOWN)
                .map(|p| ProjectRow {
                    id: p.project_id,
                    name: p.project_name.clone(),
                    phase: p.phase_name,
                    archived: p.is_archived,
                })
                .collect(),
        })
        .collect();
    let page = ProjectsPage {
        token: shared.webhooks.page_token().to_owned(),
        done: q.done,
        orgs,
        phases: PHASES.iter().map(|(n, _)| *n).collect(),
    };
    html_page(StatusCode::OK, page)
}

#[derive(Deserialize)]
pub(crate) struct ChangeForm {
    #[serde(default)]
    token: String,
    org_id: i64,
    action: String,
    project_id: Option<i64>,
    phase: Option<String>,
    name: Option<String>,
}

/// `POST /_fake/projects`.
pub(crate) async fn change(
    State(shared): State<Arc<Shared>>,
    Form(f): Form<ChangeForm>,
) -> Response {
    let expected = shared.webhooks.page_token().as_bytes();
    if !bool::from(f.token.as_bytes().ct_eq(expected)) {
        return html_message(
            StatusCode::FORBIDDEN,
            "Change refused",
            "Open the page again and use its forms.".into(),
        );
    }
    let id = f.project_id.unwrap_or_default();
    let change = match f.action.as_str() {
        "move_phase" => ProjectChange::MovePhase {
            project_id: id,
            phase: f.phase.unwrap_or_default(),
        },
        "rename" => ProjectChange::Rename {
            project_id: id,
            name: f.name.unwrap_or_default().trim().to_owned(),
        },
        "archive" => ProjectChange::Archive { project_id: id },
        "unarchive" => ProjectChange::Unarchive { project_id: id },
        "create" => ProjectChange::Create {
            name: f.name.unwrap_or_default().trim().to_owned(),
        },
        _ => {
            return html_message(
                StatusCode::BAD_REQUEST,
                "Change refused",
                "Unknown action.".into(),
            )
        }
    };
    match apply(&shared, f.org_id, change, super::data::ADA.user_id) {
        Ok(id) => {
            let done = format!("Changed project {id}; its webhook deliveries are on their way.");
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("done", &done)
                .finish();
            Redirect::to(&format!("/_fake/projects?{q}")).into_response()
        }
        Err(e) => html_message(StatusCode::BAD_REQUEST, "Change refused", e),
    }
}
