//! The dashboard's gateway answers for one view: kept ones when the org's webhook
//! subscription is healthy and this user's same page was kept, else asked afresh (and kept
//! when complete and the subscription healthy). See [`crate::projects::page_cache`] for why
//! this is safe and what it trades.

use super::{
    query::DashQuery,
    summary::{self, Counted},
};
use crate::{
    filevine::ProjectPage,
    projects::page_cache::{KeptPage, PageKey},
    state::AppState,
    web::{error::AppError, gateway::OrgGateway},
};

/// The table's page and the summary for `view`.
pub async fn answers(
    state: &AppState,
    gw: &OrgGateway,
    view: &DashQuery,
) -> (Result<ProjectPage, AppError>, Counted) {
    let key = PageKey {
        environment: gw.environment().to_owned(),
        org_id: gw.ctx.org_id,
        user_id: gw.ctx.user_id,
        query: view.href_at(""),
    };
    let healthy = state
        .db
        .live_org_healthy(&key.environment, key.org_id)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read the org's live updates; asking Filevine");
            false
        });
    if healthy {
        if let Some(kept) = state.pages.get(&key).await {
            return (Ok(kept.page.clone()), Counted::Ready(kept.summary.clone()));
        }
    }
    let ticket = state.pages.ticket(&key);
    let counting = summary::start(state, gw, view).await;
    let page = gw.projects(&view.page_query()).await;
    let summary = summary::within_grace(counting).await;
    if let (true, Ok(p), Counted::Ready(s)) = (healthy, &page, &summary) {
        let kept = KeptPage {
            page: p.clone(),
            summary: s.clone(),
        };
        state.pages.put(key, ticket, kept).await;
    }
    (page, summary)
}
