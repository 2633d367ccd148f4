//! Changing the stand-in's projects while it runs (move a phase, archive, rename, create,
//! delete, add or remove a member), so a demo can show a dashboard following Filevine live:
//! each change replaces the org's project list and announces itself to the org's webhook
//! subscriptions ([`super::webhook_delivery`]).
//!
//! Three ways in: [`FakeControl::change_project`] (tests), `change_project` in
//! `POST /_fake/control` (JSON only, another process), and the page `GET /_fake/projects`
//! whose forms carry a token made at start-up (a form post is what a cross-site page can
//! send; the token, which such a page cannot read, keeps it out).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use super::control::FakeControl;
use super::data::{Project, PHASES};
use super::state::{lock, Shared};
use super::webhook_delivery::{announce, Change};

/// One change to a project of an org.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProjectChange {
    /// Move to another phase (one of [`PHASES`]).
    MovePhase {
        project_id: i64,
        phase: String,
    },
    Archive {
        project_id: i64,
    },
    Unarchive {
        project_id: i64,
    },
    Rename {
        project_id: i64,
        name: String,
    },
    /// A new project in the first phase.
    Create {
        name: String,
    },
    Delete {
        project_id: i64,
    },
    MemberAdded {
        project_id: i64,
        user_id: i64,
    },
    MemberRemoved {
        project_id: i64,
        user_id: i64,
    },
}

impl FakeControl {
    /// Applies `change` to `org_id`'s projects and announces it to the org's webhook
    /// subscriptions. Returns the project's id (the new one for `Create`), or why not.
    pub fn change_project(&self, org_id: i64, change: ProjectChange) -> Result<i64, String> {
        apply(&self.shared, org_id, change, super::data::ADA.user_id)
    }

    /// Every finished webhook delivery (delivered or given up), in finishing order.
    pub fn webhook_deliveries(&self) -> Vec<super::webhook_delivery::DeliveryRecord> {
        lock(&self.shared.webhooks.delivery.finished).clone()
    }

    /// Deliveries dropped because the queue was full.
    pub fn webhook_deliveries_dropped(&self) -> usize {
        self.shared
            .webhooks
            .delivery
            .dropped
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every webhook subscription of `org_id`, as stored.
    pub fn webhook_subscriptions(&self, org_id: i64) -> Vec<super::webhooks::Subscription> {
        lock(&self.shared.webhooks.subscriptions)
            .get(&org_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Deletes a subscription at the stand-in's side (as an admin could in Filevine), without
    /// telling its owner. Returns whether it existed.
    pub fn delete_webhook_subscription(&self, org_id: i64, id: &str) -> bool {
        let mut all = lock(&self.shared.webhooks.subscriptions);
        let subs = all.entry(org_id).or_default();
        let before = subs.len();
        subs.retain(|s| s.id != id);
        subs.len() < before
    }

    /// Scopes the token endpoint leaves out of every token it issues from now on, even when
    /// asked (a client Filevine has not allowed them for).
    pub fn withhold_scopes(&self, scopes: &[&str]) {
        lock(&self.shared.hostile).withheld_scopes = scopes.iter().map(|s| s.to_string()).collect();
    }
}

/// Applies `change` as `user_id` (see [`FakeControl::change_project`]).
pub(crate) fn apply(
    shared: &Shared,
    org_id: i64,
    change: ProjectChange,
    user_id: i64,
) -> Result<i64, String> {
    let all = shared.projects(org_id);
    if !super::data::DEMO_ORGS.iter().any(|o| o.org_id == org_id) {
        return Err(format!("org {org_id} has no projects"));
    }
    if let ProjectChange::Create { name } | ProjectChange::Rename { name, .. } = &change {
        if name.trim().is_empty() {
            return Err("a project needs a name".into());
        }
    }
    let mut list: Vec<Project> = all.as_ref().clone();
    let now = time::OffsetDateTime::now_utc();
    let position = |id: i64| {
        list.iter()
            .position(|p| p.project_id == id)
            .ok_or_else(|| format!("project {id} is not in org {org_id}"))
    };
    let (object, event, project_id, actor, other) = match change {
        ProjectChange::MovePhase { project_id, phase } => {
            let i = position(project_id)?;
            let (idx, (name, _)) = PHASES
                .iter()
                .enumerate()
                .find(|(_, (n, _))| n.eq_ignore_ascii_case(phase.trim()))
                .ok_or_else(|| format!("{phase:?} is not a phase"))?;
            let p = &mut list[i];
            let from = p.phase_name;
            p.phase_name = name;
            p.phase_id = 301 + idx as i64;
            p.phase_date = now;
            p.last_activity = now;
            let other = json!({ "phaseName": name, "previousPhaseName": from });
            ("Project", "PhaseChanged", project_id, user_id, other)
        }
        ProjectChange::Archive { project_id } | ProjectChange::Unarchive { project_id } => {
            let archive = matches!(change, ProjectChange::Archive { .. });
            let i = position(project_id)?;
            list[i].is_archived = archive;
            list[i].last_activity = now;
            let event = if archive { "Archived" } else { "Updated" };
            let other = json!({ "isArchived": archive });
            ("Project", event, project_id, user_id, other)
        }
        ProjectChange::Rename { project_id, name } => {
            let i = position(project_id)?;
            list[i].project_name = name.clone();
            list[i].last_activity = now;
            let other = json!({ "projectName": name });
            ("Project", "Updated", project_id, user_id, other)
        }
        ProjectChange::Create { name } => {
            let template = list.first().cloned().ok_or("the org has no projects")?;
            let id = list.iter().map(|p| p.project_id).max().unwrap_or(0) + 1;
            list.push(Project {
                project_id: id,
                project_name: name.clone(),
                phase_name: PHASES[0].0,
                phase_id: 301,
                phase_date: now,
                created_date: now,
                incident_date: now,
                last_activity: now,
                number: format!("NEW-{id}"),
                is_archived: false,
                hashtags: Vec::new(),
                ..template
            });
            let other = json!({ "projectName": name });
            ("Project", "Created", id, user_id, other)
        }
        ProjectChange::Delete { project_id } => {
            let i = position(project_id)?;
            list.remove(i);
            ("Project", "Deleted", project_id, user_id, json!({}))
        }
        ProjectChange::MemberAdded {
            project_id,
            user_id: member,
        } => {
            position(project_id)?;
            ("Project_Member", "Added", project_id, member, json!({}))
        }
        ProjectChange::MemberRemoved {
            project_id,
            user_id: member,
        } => {
            position(project_id)?;
            ("Project_Member", "Removed", project_id, member, json!({}))
        }
    };
    lock(&shared.projects).insert(org_id, Arc::new(list));
    // The rendered lists are keyed by the old list's address, which a new list may reuse.
    shared.lab.rendered.clear();
    announce(
        shared,
        Change {
            org_id,
            object,
            event,
            project_id,
            user_id: actor,
            other,
            at: now,
        },
    );
    Ok(project_id)
}
