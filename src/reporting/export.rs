//! `fv-partner-app projects export`: the dashboard's export ([`crate::projects::export`]:
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

use super::{PatAccount, ReportError};
use crate::{
    filevine::{walk::Walk, ProjectQuery},
    projects::{
        export::{first_query, start, Format},
        ProjectFilters,
    },
};

/// What to export.
#[derive(Clone, Debug, Default)]
pub struct ExportRequest {
    pub org_id: Option<i64>,
    /// Which projects, as the dashboard's filters say it.
    pub filters: ProjectFilters,
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
    account: &PatAccount,
    request: &ExportRequest,
    format: Format,
    out: &mut W,
    mut progress: impl FnMut(usize),
) -> Result<ExportDone, ReportError> {
    let (org_id, org_name) = account.pick_org(request.org_id)?;
    let ctx = account.ctx(org_id);
    let base = first_query(request.filters.walk_query());
    let fetched = Arc::new(AtomicUsize::new(0));
    let counter = fetched.clone();
    let (gw, walk) = (account.gw.clone(), Walk::new(account.concurrency));
    let body = start(format, base, walk, move |q: ProjectQuery| {
        let (gw, counter) = (gw.clone(), counter.clone());
        async move {
            let page = gw.projects(ctx, &q).await.map_err(ReportError::from)?;
            counter.fetch_add(page.items.len(), Ordering::Relaxed);
            Ok::<_, ReportError>(page)
        }
    })
    .await?;
    progress(fetched.load(Ordering::Relaxed));
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
