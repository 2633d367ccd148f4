//! The projects dashboard: `GET /projects` (table, filters, summary chart), `GET
//! /projects/{id}` and the streamed exports. Handlers extract (the URL in [`query`], the
//! gateway as the user in their org: [`OrgGateway`]), call the [`crate::projects`] domain and
//! render ([`view`], [`chart`], [`trend`]).

pub mod chart;
pub mod export;
pub mod kept;
pub mod query;
pub mod sorting;
pub mod summary;
pub mod trend;
pub mod view;

use axum::{
    extract::{Path, State},
    http::{StatusCode, Uri},
    response::{IntoResponse, Response},
};

use self::{
    query::DashQuery,
    summary::Counted,
    view::{ProjectPageView, ProjectsPage, Row},
};
use super::{gateway::OrgGateway, templates::Chrome};
use crate::{
    auth::policy,
    filevine::{walk::Walk, ProjectId},
    projects::export::{first_query, start, Format},
    state::AppState,
    web::error::AppError,
};
use futures::StreamExt;

/// `GET /projects`: one page of the table and, when it is counted in time, the (cached)
/// summary; otherwise the summary follows ([`summary`]). A repeat view may be served from
/// what was kept ([`kept`]). A failed list call is shown inside
/// the dashboard, so the filters stay at hand; a failed summary only hides the chart.
pub async fn list(
    State(state): State<AppState>,
    gw: OrgGateway,
    uri: Uri,
) -> Result<Response, AppError> {
    let view = DashQuery::parse(uri.query())?;
    let (page, summary) = kept::answers(&state, &gw, &view).await;

    let user = &gw.api.signed.user;
    let org_name = user.current_org().map(|o| o.name.clone());
    let mut out = ProjectsPage::new(
        Chrome::new(&state.settings, Some(user)),
        org_name.unwrap_or_default(),
        view.clone(),
    );
    match summary {
        Counted::Ready(s) => {
            out.set_total(s.count_for(&view.filters.phase), s.partial);
            out.summary = Some(summary::summary_view(&s, &view));
            out.phases = s.phases.iter().map(|p| p.0.clone()).collect();
        }
        Counted::Failed(e) => {
            tracing::warn!(error = %e, "dashboard summary unavailable");
            out.summary_error = Some(e.user_message().0.to_owned());
        }
        Counted::Pending => out.summary_pending = true,
    }
    if policy::may_see_org_wide_data(&state.settings.service_account, user) {
        out.trend = trend::of_org(&state, (gw.environment(), gw.ctx.org_id), &out.phases).await;
    }
    if !view.filters.phase.is_empty() && !out.phases.contains(&view.filters.phase) {
        out.phases.push(view.filters.phase.clone());
    }
    let status = match page {
        Ok(p) => {
            let zone = &state.settings.time_zone;
            let rows = p.items.into_iter().map(|p| Row::new(p, zone)).collect();
            out.set_rows(rows, p.has_more);
            StatusCode::OK
        }
        Err(AppError::Gateway(e)) => {
            let status = AppError::gateway_status(&e);
            tracing::warn!(error = %e, "projects list failed");
            let (title, message) = e.user_message();
            out.error = Some((title.to_owned(), message));
            status
        }
        Err(other) => return Err(other),
    };
    Ok((status, out).into_response())
}

/// `GET /projects/{id}`. Its query is the dashboard view the user came from (a link that
/// was tampered with just means "All projects" goes to the plain list).
pub async fn detail(
    State(state): State<AppState>,
    gw: OrgGateway,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    let id = id.parse::<ProjectId>().map_err(|_| AppError::NotFound)?;
    let from = DashQuery::parse(uri.query()).unwrap_or_default();
    let project = gw.project(id).await?;
    let chrome = Chrome::new(&state.settings, Some(&gw.api.signed.user));
    let zone = &state.settings.time_zone;
    Ok(ProjectPageView::new(chrome, id, project, &from, zone).into_response())
}

/// `GET /projects/export.csv`.
pub async fn export_csv(
    state: State<AppState>,
    gw: OrgGateway,
    uri: Uri,
) -> Result<Response, AppError> {
    export(state, gw, uri, Format::Csv).await
}

/// `GET /projects/export.json`.
pub async fn export_json(
    state: State<AppState>,
    gw: OrgGateway,
    uri: Uri,
) -> Result<Response, AppError> {
    export(state, gw, uri, Format::Json).await
}

/// The first window of pages is requested at once and the first page awaited before
/// answering, so a refused token or a 403 becomes a proper error page; the rest is streamed,
/// as fast as the client reads. When the dashboard's summary of these filters is cached, the
/// export knows its total and requests nothing past the end.
async fn export(
    State(state): State<AppState>,
    gw: OrgGateway,
    uri: Uri,
    format: Format,
) -> Result<Response, AppError> {
    let view = DashQuery::parse(uri.query())?;
    // Held until the body is done or dropped (finished, failed, or the client hung up).
    let slot = state
        .exports
        .try_take(&gw.api.signed.user.identity.subject)
        .ok_or(AppError::TooManyExports(state.exports.per_key()))?;
    let known = state
        .summaries
        .cached(&view.summary_key(gw.environment(), gw.ctx))
        .await
        .filter(|s| !s.partial)
        .map(|s| s.count_for(&view.filters.phase));
    let walk = Walk::new(state.settings.gateway.concurrency).expecting(known);
    let base = first_query(view.filters());
    let body = start(format, base, walk, export::page_fetcher(&gw))
        .await?
        .map(move |chunk| {
            let _held = &slot;
            chunk
        });
    tracing::info!(org_id = gw.ctx.org_id, format = ?format, known_total = ?known, "export started");
    Ok(export::response(format, gw.ctx.org_id, body))
}
