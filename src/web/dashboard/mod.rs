//! The projects dashboard: `GET /projects` (table, filters, summary chart), `GET
//! /projects/{id}` and the streamed exports. Handlers extract, resolve the org, call the
//! gateway and render; the parts live in [`query`] (the URL), [`summary`] (counts per phase),
//! [`export`] (CSV/JSON streams), [`view`] (page structs) and [`user_gateway`].

pub mod export;
pub mod query;
pub mod summary;
pub mod trend;
pub mod user_gateway;
pub mod view;

use axum::{
    extract::{Path, State},
    http::{StatusCode, Uri},
    response::{IntoResponse, Redirect, Response},
};

pub use summary::SummaryCache;

use self::{
    export::Format,
    query::DashQuery,
    summary::Chart,
    user_gateway::UserGateway,
    view::{ProjectPageView, ProjectsPage, Row, SummaryView},
};
use super::{extract::SignedIn, gateway_call::with_token, templates::Chrome};
use crate::{
    auth::ReturnTo,
    error::AppError,
    filevine::{GatewayError, OrgContext, ProjectId},
    state::AppState,
};

fn here(uri: &Uri) -> ReturnTo {
    ReturnTo::parse_or_root(uri.path_and_query().map(|p| p.as_str()))
}

/// The org and user every gateway call acts for. A user in several orgs who has not chosen one
/// is sent to the chooser and brought back here.
fn org_context(signed: &SignedIn, here: &ReturnTo) -> Result<OrgContext, Box<Response>> {
    let user = &signed.user;
    match (user.current_org, user.fv_user_id) {
        (Some(org_id), Some(user_id)) => Ok(OrgContext { org_id, user_id }),
        _ if user.orgs.len() > 1 => {
            let rt: String =
                url::form_urlencoded::byte_serialize(here.as_str().as_bytes()).collect();
            Err(Box::new(
                Redirect::to(&format!("/org?return_to={rt}")).into_response(),
            ))
        }
        _ => Err(Box::new(AppError::BadRequest(
            "Your Filevine user belongs to no organization this app can see. Ask your Filevine administrator to add you to one, then sign in again.",
        )
        .into_response())),
    }
}

/// The HTTP status a failed gateway call shows with.
fn gateway_status(e: &GatewayError) -> StatusCode {
    match e {
        GatewayError::Forbidden(_) => StatusCode::FORBIDDEN,
        GatewayError::NotFound => StatusCode::NOT_FOUND,
        GatewayError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        GatewayError::Unauthorized => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// `GET /projects`: one page of the table and, alongside it, the (cached) summary. A failed
/// list call is shown inside the dashboard, so the filters stay at hand; a failed summary
/// only hides the chart.
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    uri: Uri,
) -> Result<Response, AppError> {
    let here = here(&uri);
    let view = DashQuery::parse(uri.query())?;
    let ctx = match org_context(&signed, &here) {
        Ok(c) => c,
        Err(r) => return Ok(*r),
    };
    let gw = state.gateway.clone();
    let page_query = view.page_query();
    let page = with_token(&state, &signed, &here, |t| {
        let (gw, q) = (gw.clone(), page_query.clone());
        async move { gw.projects(&t, ctx, &q).await }
    });
    let summary = state
        .summaries
        .get(&view, ctx, state.settings.gateway.concurrency, || async {
            UserGateway::new(&state, &signed.user, ctx, &here)
                .await
                .ok()
        });
    let (page, summary) = tokio::join!(page, summary);

    let mut out = ProjectsPage::new(
        Chrome::new(&state.settings, Some(&signed.user)),
        signed
            .user
            .current_org()
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        view.clone(),
    );
    match summary {
        Ok(s) => {
            out.summary = Some(SummaryView {
                matching: s.count_for(&view.phase),
                total: s.total,
                partial: s.partial,
                chart: Chart::new(&s, &view),
            });
            out.phases = s.phases.iter().map(|p| p.0.clone()).collect();
        }
        Err(e) => {
            tracing::warn!(error = %e, "dashboard summary unavailable");
            out.summary_error = Some(e.user_message().0.to_owned());
        }
    }
    out.trend = trend_of(&state, ctx.org_id).await;
    if !view.phase.is_empty() && !out.phases.contains(&view.phase) {
        out.phases.push(view.phase.clone());
    }
    let status = match page {
        Ok(p) => {
            out.set_rows(p.items.iter().map(Row::from).collect(), p.has_more);
            StatusCode::OK
        }
        Err(AppError::Gateway(e)) => {
            let status = gateway_status(&e);
            tracing::warn!(error = %e, "projects list failed");
            let (title, message) = e.user_message();
            out.error = Some((title.to_owned(), message));
            status
        }
        Err(other) => return Err(other),
    };
    Ok((status, out).into_response())
}

/// The trend of the org's recorded snapshots, if any (a database error only hides it).
async fn trend_of(state: &AppState, org_id: i64) -> Option<trend::Trend> {
    let since = time::OffsetDateTime::now_utc().unix_timestamp() - trend::WINDOW_SECS;
    match state.db.snapshots_since(org_id, since).await {
        Ok(rows) => trend::Trend::new(&rows),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the reporting snapshots");
            None
        }
    }
}

/// `GET /projects/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Ok(id) = id.parse::<ProjectId>() else {
        return Err(AppError::NotFound);
    };
    let here = here(&uri);
    let ctx = match org_context(&signed, &here) {
        Ok(c) => c,
        Err(r) => return Ok(*r),
    };
    let gw = state.gateway.clone();
    let project = with_token(&state, &signed, &here, |t| {
        let gw = gw.clone();
        async move { gw.project(&t, ctx, id).await }
    })
    .await?;
    Ok(ProjectPageView::new(
        Chrome::new(&state.settings, Some(&signed.user)),
        id,
        project,
    )
    .into_response())
}

/// `GET /projects/export.csv`.
pub async fn export_csv(
    state: State<AppState>,
    signed: SignedIn,
    uri: Uri,
) -> Result<Response, AppError> {
    export(state, signed, uri, Format::Csv).await
}

/// `GET /projects/export.json`.
pub async fn export_json(
    state: State<AppState>,
    signed: SignedIn,
    uri: Uri,
) -> Result<Response, AppError> {
    export(state, signed, uri, Format::Json).await
}

/// The first page is fetched before answering, so a refused token or a 403 becomes a proper
/// error page; the rest is streamed.
async fn export(
    State(state): State<AppState>,
    signed: SignedIn,
    uri: Uri,
    format: Format,
) -> Result<Response, AppError> {
    let here = here(&uri);
    let view = DashQuery::parse(uri.query())?;
    let ctx = match org_context(&signed, &here) {
        Ok(c) => c,
        Err(r) => return Ok(*r),
    };
    let base = export::first_query(view.filters());
    let gw = state.gateway.clone();
    let first = with_token(&state, &signed, &here, |t| {
        let (gw, q) = (gw.clone(), base.clone());
        async move { gw.projects(&t, ctx, &q).await }
    })
    .await?;
    let user_gw = UserGateway::new(&state, &signed.user, ctx, &here).await?;
    tracing::info!(org_id = ctx.org_id, format = ?format, "export started");
    let body = export::body_stream(
        format,
        first,
        base,
        state.settings.gateway.concurrency,
        move |q| {
            let gw = user_gw.clone();
            async move { gw.projects(q).await }
        },
    );
    Ok(export::response(format, ctx.org_id, body))
}
