//! The summary above the table, without holding the table back. The scan that counts every
//! matching project can take many gateway round trips, the table one: so the scan runs as a
//! task of its own, the page waits for it only [`GRACE`] after the table is in, and when it is
//! not done the page says "Counting projects…" and `static/summary.js` fetches
//! `GET /projects/summary` (this module's [`fragment`]), which joins the same scan through the
//! cache's single flight. Without JavaScript a link reloads the page, which by then has them.
//!
//! The task goes on when the browser leaves, so the next view is instant; a user leaves at
//! most [`SUMMARY_SCANS_PER_USER`](crate::state::SUMMARY_SCANS_PER_USER) of them running, so
//! made-up searches cannot pile up scans (past that, the fragment scans while it is asked).

use std::{sync::Arc, time::Duration};

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::{header, Uri},
    response::{IntoResponse, Response},
};
use tokio::task::JoinHandle;

use super::{chart::phase_chart, query::DashQuery, view::SummaryView};
use crate::{
    filevine::GatewayError,
    projects::Summary,
    state::AppState,
    web::{error::AppError, gateway::OrgGateway},
};

/// How long the page waits for the summary once its table is in.
pub const GRACE: Duration = Duration::from_millis(100);

/// A summary on its way.
pub enum Counting {
    Cached(Arc<Summary>),
    Running(JoinHandle<Result<Arc<Summary>, GatewayError>>),
    /// No scan could be left running for this user: the fragment will scan.
    Later,
}

/// What the page shows above the table.
pub enum Counted {
    Ready(Arc<Summary>),
    Failed(GatewayError),
    Pending,
}

/// Starts (or joins) the scan of `view`'s summary.
pub async fn start(state: &AppState, gw: &OrgGateway, view: &DashQuery) -> Counting {
    let key = view.summary_key(gw.environment(), gw.ctx);
    if let Some(s) = state.summaries.cached(&key).await {
        return Counting::Cached(s);
    }
    let subject = &gw.api.signed.user.identity.subject;
    let Some(slot) = state.summary_scans.try_take(subject) else {
        return Counting::Later;
    };
    let (state, filters, fetch) = (state.clone(), view.filters(), gw.page_fetcher());
    Counting::Running(tokio::spawn(async move {
        let _held = slot;
        let concurrency = state.settings.gateway.concurrency;
        state.summaries.get(key, filters, concurrency, fetch).await
    }))
}

/// The summary if it is done within [`GRACE`]; a running scan goes on either way.
pub async fn within_grace(counting: Counting) -> Counted {
    match counting {
        Counting::Cached(s) => Counted::Ready(s),
        Counting::Later => Counted::Pending,
        Counting::Running(mut task) => match tokio::time::timeout(GRACE, &mut task).await {
            Ok(Ok(Ok(s))) => Counted::Ready(s),
            Ok(Ok(Err(e))) => Counted::Failed(e),
            Ok(Err(panicked)) => {
                tracing::error!(error = %panicked, "the summary scan failed");
                Counted::Failed(GatewayError::Timeout)
            }
            Err(_) => Counted::Pending,
        },
    }
}

/// The summary section as `GET /projects/summary` renders it alone.
#[derive(Template, WebTemplate)]
#[template(path = "summary_fragment.html")]
pub struct SummaryFragment {
    pub view: DashQuery,
    pub summary: Option<SummaryView>,
    pub summary_error: Option<String>,
    pub summary_pending: bool,
    pub summary_src: String,
    pub here_href: String,
    pub phases: Vec<String>,
    pub last_page: Option<u32>,
}

/// The counts `view` shows, for a page or the fragment.
pub fn summary_view(s: &Summary, view: &DashQuery) -> SummaryView {
    SummaryView {
        matching: s.count_for(&view.filters.phase),
        total: s.total,
        partial: s.partial,
        chart: phase_chart(s, view),
    }
}

/// `GET /projects/summary`: the summary section of the dashboard view in the query, for
/// `summary.js`. Private to the signed-in user, so never cached by the browser or a proxy.
pub async fn fragment(
    State(state): State<AppState>,
    gw: OrgGateway,
    uri: Uri,
) -> Result<Response, AppError> {
    let view = DashQuery::parse(uri.query())?;
    let result = state
        .summaries
        .get(
            view.summary_key(gw.environment(), gw.ctx),
            view.filters(),
            state.settings.gateway.concurrency,
            gw.page_fetcher(),
        )
        .await;
    let mut out = SummaryFragment {
        summary: None,
        summary_error: None,
        summary_pending: false,
        summary_src: String::new(),
        here_href: view.href_at("/projects"),
        phases: Vec::new(),
        last_page: None,
        view,
    };
    match result {
        Ok(s) => {
            out.phases = s.phases.iter().map(|p| p.0.clone()).collect();
            let matching = s.count_for(&out.view.filters.phase);
            if !s.partial {
                let pages = matching.div_ceil(u64::from(out.view.per_page)).max(1);
                out.last_page = Some(u32::try_from(pages).unwrap_or(u32::MAX));
            }
            out.summary = Some(summary_view(&s, &out.view));
        }
        Err(e) => {
            tracing::warn!(error = %e, "dashboard summary unavailable");
            out.summary_error = Some(e.user_message().0.to_owned());
        }
    }
    Ok(([(header::CACHE_CONTROL, "no-store")], out).into_response())
}
