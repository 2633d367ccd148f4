//! What a new feed key is checked against before it is stored, so a mistake shows on the form
//! instead of as a failing BI refresh weeks later: its name is not one a live key already has,
//! the connection's service account is in the organization, and a phase filter names a phase
//! some project of that organization is in (phases are matched exactly, so a typo would make
//! an empty feed).

use super::{
    feeds::{form, FeedError},
    PatAccount, ReportError,
};
use crate::{projects::ProjectFilters, state::AppState};

/// Checks a key named `name` for `org_id` through `connection` with `filters`.
pub async fn check(
    state: &AppState,
    name: &str,
    connection: &str,
    org_id: i64,
    filters: &ProjectFilters,
) -> Result<(), FeedError> {
    let keys = state.db.feed_keys_list().await?;
    let taken = keys
        .iter()
        .any(|k| k.revoked_at.is_none() && k.name.trim().eq_ignore_ascii_case(name));
    if taken {
        return Err(form(
            "name",
            format!("A live key is already called “{name}”. Give this one another name, or revoke the other first."),
        ));
    }
    let account = PatAccount::of_connection(state, connection)
        .await
        .map_err(|e| match e {
            ReportError::Db(e) => FeedError::Db(e),
            e => {
                tracing::info!(connection, error = %e, "feed key refused: the connection could not be used");
                form(
                    "connection",
                    format!("This connection could not reach Filevine to check the organization: {e}. Test it on Connections, then try again."),
                )
            }
        })?;
    let (_, org_name) = account.pick_org(Some(org_id)).map_err(|e| {
        tracing::info!(connection, org_id, error = %e, "feed key refused: wrong organization");
        let theirs: Vec<String> = account
            .orgs
            .iter()
            .map(|(id, n)| format!("{n} ({id})"))
            .collect();
        form(
            "org",
            format!(
                "The connection's service account is not in organization {org_id}, so the feed could never read it. It is in: {}.",
                if theirs.is_empty() { "no organization".to_owned() } else { theirs.join(", ") }
            ),
        )
    })?;
    if !filters.phase.is_empty() {
        let query = filters.walk_query().at(0, 1);
        let page = account
            .gw
            .projects(account.ctx(org_id), &query)
            .await
            .map_err(|e| {
                form(
                    "phase",
                    format!(
                        "The phase could not be checked right now ({}). Try again in a moment.",
                        e.into_gateway()
                    ),
                )
            })?;
        if page.items.is_empty() {
            tracing::info!(org_id, phase = %filters.phase, "feed key refused: no project in that phase");
            return Err(form(
                "phase",
                format!("No project of {org_name} is in a phase called “{}”. Phase names must match exactly, as the dashboard's phase list shows them.", filters.phase),
            ));
        }
    }
    Ok(())
}
