//! `fv-partner-app projects export`: the dashboard's export ([`crate::web::dashboard::export`]:
//! same CSV columns, same formula neutralising, same bounded-concurrency page walk) written to
//! a file or stdout, through the PAT instead of a user's session.

use std::{
    io::Write,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use futures::StreamExt;

use super::{pat_projects, PatAccount, ReportError};
use crate::{
    filevine::ProjectQuery,
    state::AppState,
    web::dashboard::export::{body_stream, first_query, Format},
};

/// What to export.
#[derive(Clone, Debug, Default)]
pub struct ExportRequest {
    pub org_id: Option<i64>,
    pub q: Option<String>,
    pub phase: Option<String>,
    /// Include archived projects.
    pub archived: bool,
}

impl ExportRequest {
    /// The gateway filters, as the dashboard builds them.
    pub fn filters(&self) -> ProjectQuery {
        ProjectQuery {
            sort_by: Some(crate::filevine::SortField::ProjectId),
            order: Some(crate::filevine::SortOrder::Asc),
            phase_name: self.phase.clone().filter(|p| !p.is_empty()),
            exclude_archived: !self.archived,
            search_term: self.q.clone().filter(|q| !q.is_empty()),
            ..ProjectQuery::default()
        }
    }
}

/// What was exported.
#[derive(Clone, Debug)]
pub struct ExportDone {
    pub rows: usize,
    pub org_id: i64,
    pub org_name: String,
}

/// Streams every matching project into `out` in `format`; `progress` is called with the rows
/// fetched so far after each page. On error `out` holds a partial file: the caller discards it.
pub async fn export_to<W: Write>(
    state: &AppState,
    account: &PatAccount,
    request: &ExportRequest,
    format: Format,
    out: &mut W,
    mut progress: impl FnMut(usize),
) -> Result<ExportDone, ReportError> {
    let (org_id, org_name) = account.pick_org(request.org_id)?;
    let ctx = account.ctx(org_id);
    let base = first_query(request.filters());
    let first = pat_projects(state, &account.source, ctx, base.clone()).await?;
    let fetched = Arc::new(AtomicUsize::new(first.items.len()));
    progress(first.items.len());
    let counter = fetched.clone();
    let source = account.source.clone();
    let body = body_stream(
        format,
        first,
        base,
        state.settings.gateway.concurrency,
        move |q| {
            let (state, source, counter) = (state.clone(), source.clone(), counter.clone());
            async move {
                let page = pat_projects(&state, &source, ctx, q).await?;
                counter.fetch_add(page.items.len(), Ordering::Relaxed);
                Ok(page)
            }
        },
    );
    futures::pin_mut!(body);
    while let Some(chunk) = body.next().await {
        out.write_all(&chunk?)?;
        progress(fetched.load(Ordering::Relaxed));
    }
    out.flush()?;
    Ok(ExportDone {
        rows: fetched.load(Ordering::Relaxed),
        org_id,
        org_name,
    })
}
