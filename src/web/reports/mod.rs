//! `GET /reports`: stale matters, time in phase, intake per month and matters per project type
//! for the current org, as the signed-in user sees them. The handler parses the URL
//! ([`query`]), asks the domain for the (cached) report ([`crate::projects::report_scan`]) and
//! renders it ([`view`], with the app's [`BarChart`](crate::web::chart::BarChart)).

pub mod query;
pub mod view;

use axum::{
    extract::State,
    http::Uri,
    response::{IntoResponse, Response},
};

use self::{query::ReportQuery, view::ReportsPage};
use super::{gateway::OrgGateway, templates::Chrome};
use crate::{
    filevine::AuthedError,
    projects::report_scan::{as_of, compute, ReportKey},
    state::AppState,
    web::error::AppError,
};

/// `GET /reports`.
pub async fn page(
    State(state): State<AppState>,
    gw: OrgGateway,
    uri: Uri,
) -> Result<Response, AppError> {
    let view = ReportQuery::parse(uri.query())?;
    let (now, zone) = (state.clock.now_utc(), &state.settings.time_zone);
    let filters = view.filters();
    let key = ReportKey {
        environment: gw.environment().to_owned(),
        org_id: gw.ctx.org_id,
        user_id: gw.ctx.user_id,
        filters: filters.clone(),
        as_of: as_of(now, zone),
    };
    let types = async {
        let r = gw.api.gw.project_types(gw.ctx).await;
        r.map_err(AuthedError::into_gateway)
    };
    let concurrency = state.settings.gateway.concurrency;
    let load = compute(&filters, now, zone, concurrency, gw.page_fetcher(), types);
    let report = state.reports.get(key, load).await?;
    let user = &gw.api.signed.user;
    let org_name = user
        .current_org()
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let chrome = Chrome::new(&state.settings, Some(user));
    Ok(ReportsPage::new(chrome, org_name, view, (*report).clone(), zone).into_response())
}
