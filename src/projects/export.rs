//! The export: every project matching some filters as CSV or JSON bytes, streamed page by
//! page (pages of 1,000, fetched in parallel, see [`crate::filevine::walk`]) so memory stays
//! flat however large the firm is. Writer-agnostic: the dashboard streams it into an HTTP
//! response, `projects export` into a file.
//!
//! A failure after the first byte cannot become an error page any more (a 200 is sent, a file
//! is half written). The stream then ends with an error, which aborts the chunked response
//! (the browser reports a failed download instead of saving a file that looks complete) and
//! makes the command line discard its partial file.

use std::borrow::Cow;

use bytes::Bytes;
use futures::{stream, Stream, StreamExt};

use super::{
    ahead::{run_ahead, spawned},
    export_tally::Tally,
};
use crate::filevine::{
    projects::{EXPORT_FIELDS, MAX_PAGE_SIZE},
    walk::{pages, Walk},
    GatewayError, Project, ProjectPage, ProjectQuery,
};

/// Serialized pages made ahead of the reader (each up to ~0.5 MB of CSV for 1,000 projects).
pub const AHEAD: usize = 2;

/// The two formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

/// The gateway query of the export's first page: pages of 1,000 with only the exported
/// fields (`requestedFields`).
pub fn first_query(filters: ProjectQuery) -> ProjectQuery {
    ProjectQuery {
        requested_fields: Some(EXPORT_FIELDS),
        ..filters.at(0, MAX_PAGE_SIZE)
    }
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 13] = [
    "Project ID",
    "Project name",
    "Client",
    "Phase",
    "Phase date",
    "Created",
    "Last activity",
    "Incident date",
    "Number",
    "Archived",
    "Primary",
    "Hashtags",
    "Filevine link",
];

/// Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (and some also after a tab
/// or carriage return) as a formula: a project named `=HYPERLINK(...)` would become a live
/// link. Such cells get a leading `'`, which spreadsheets show as text (OWASP's advice).
/// Borrowed unless it has to change (an export writes 13 cells per project).
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

fn cell(v: &Option<String>) -> Cow<'_, str> {
    neutralise(v.as_deref().unwrap_or(""))
}

/// A date cell: what a spreadsheet reads as a date ([`crate::util::dates::spreadsheet`]).
fn when(v: &Option<String>) -> Cow<'_, str> {
    match v.as_deref().and_then(crate::util::dates::spreadsheet) {
        Some(d) => Cow::Owned(d),
        None => cell(v),
    }
}

fn row(p: &Project) -> [Cow<'_, str>; 13] {
    let s = cell;
    [
        p.project_id
            .map(|i| Cow::Owned(i.to_string()))
            .unwrap_or_default(),
        s(&p.project_name),
        s(&p.client_name),
        s(&p.phase_name),
        when(&p.phase_date),
        when(&p.created_date),
        when(&p.last_activity),
        when(&p.incident_date),
        s(&p.number),
        Cow::Borrowed(match p.is_archived {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        }),
        s(&p.first_primary_name),
        match p.hashtags.as_slice() {
            [] => Cow::Borrowed(""),
            [one] => neutralise(one),
            many => Cow::Owned(neutralise(&many.join(" ")).into_owned()),
        },
        s(&p.project_url),
    ]
}

fn csv_writer(capacity: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(capacity))
}

fn csv_bytes(w: csv::Writer<Vec<u8>>) -> std::io::Result<Bytes> {
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// The bytes of one page in `format`; `first` = no JSON separator before the first item.
/// CSV: the `csv` crate quotes commas, quotes and newlines.
fn page_bytes(format: Format, page: &ProjectPage, first: bool) -> std::io::Result<Bytes> {
    match format {
        Format::Csv => {
            let mut w = csv_writer(page.items.len() * 256);
            for p in &page.items {
                let cells = row(p);
                w.write_record(cells.iter().map(|c| c.as_bytes()))
                    .map_err(std::io::Error::other)?;
            }
            csv_bytes(w)
        }
        Format::Json => {
            let mut out = Vec::with_capacity(page.items.len() * 600);
            for (i, p) in page.items.iter().enumerate() {
                if !(first && i == 0) {
                    out.extend_from_slice(b",\n");
                }
                serde_json::to_writer(&mut out, p).map_err(std::io::Error::other)?;
            }
            Ok(Bytes::from(out))
        }
    }
}

/// The CSV header with a UTF-8 BOM (so Excel reads accents right), or JSON's `[`.
fn opening(format: Format) -> std::io::Result<Bytes> {
    match format {
        Format::Csv => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            let mut w = csv_writer(256);
            w.write_record(CSV_HEADER).map_err(std::io::Error::other)?;
            out.extend_from_slice(&csv_bytes(w)?);
            Ok(Bytes::from(out))
        }
        Format::Json => Ok(Bytes::from_static(b"[\n")),
    }
}

/// Starts an export: walks the pages of `base` (the first window is requested at once) and
/// waits for the first page, so a refused token or a 403 is an error the caller can still
/// report properly. Then the whole body as a stream: opening (CSV header with a UTF-8 BOM so
/// Excel reads accents right, or `[`), every page, closing. The stream ends with an error if
/// a later page fails. Pages are fetched only as fast as the stream is read (at most one
/// window ahead), so a slow reader holds the walk back instead of filling memory.
///
/// Each page is requested and parsed on a task of its own, and the pages are serialized on
/// another, [`AHEAD`] in front of the reader ([`super::ahead`]): the writer only writes.
pub async fn start<F, Fut, E>(
    format: Format,
    base: ProjectQuery,
    walk: Walk,
    fetch: F,
) -> Result<impl Stream<Item = std::io::Result<Bytes>> + Send + 'static, E>
where
    F: Fn(ProjectQuery) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<ProjectPage, E>> + Send + 'static,
    E: From<GatewayError> + std::fmt::Display + Send + 'static,
{
    let mut walk = Box::pin(pages(base, walk, spawned(fetch)).fuse());
    let first = walk.next().await.transpose()?;
    let opening = opening(format).map(|b| (b, 0));
    let first_bytes = first.map(|p| page_bytes(format, &p, true).map(|b| (b, p.items.len())));
    let rest = walk.map(move |page| match page {
        // Only a non-empty first page is followed by more, so a separator is always right.
        Ok(p) => page_bytes(format, &p, false).map(|b| (b, p.items.len())),
        Err(e) => Err(std::io::Error::other(format!("export aborted: {e}"))),
    });
    let rest = run_ahead(rest, AHEAD);
    let closing = match format {
        Format::Csv => None,
        Format::Json => Some(Ok((Bytes::from_static(b"\n]\n"), 0))),
    };
    Ok(stream::iter(std::iter::once(opening).chain(first_bytes))
        .chain(rest)
        .chain(stream::iter(closing))
        .map(Some)
        .chain(stream::once(futures::future::ready(None)))
        // Counts what went out and logs it once the stream is over or dropped; ends right
        // after the first error.
        .scan(Tally::new(), |tally, piece| {
            futures::future::ready(tally.record(piece))
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filevine::ProjectId;

    fn project(id: i64, name: &str) -> Project {
        Project {
            project_id: Some(ProjectId::new(id)),
            project_name: Some(name.into()),
            ..Default::default()
        }
    }

    fn pages(
        total: i64,
        limit: i64,
    ) -> impl Fn(ProjectQuery) -> futures::future::Ready<Result<ProjectPage, GatewayError>> {
        move |q: ProjectQuery| {
            let start = q.offset as i64;
            let end = (start + limit).min(total);
            if start >= 3000 && total == 9999 {
                return futures::future::ready(Err(GatewayError::Server {
                    status: 500,
                    message: "boom".into(),
                }));
            }
            futures::future::ready(Ok(ProjectPage {
                items: (start..end.max(start))
                    .map(|i| project(i, "=1+1"))
                    .collect(),
                has_more: end < total,
                ..Default::default()
            }))
        }
    }

    async fn run(format: Format, total: i64) -> (Vec<u8>, bool) {
        let base = ProjectQuery::default().at(0, 1000);
        let s = start(format, base, Walk::new(3), pages(total, 1000))
            .await
            .unwrap();
        futures::pin_mut!(s);
        let mut out = Vec::new();
        let mut failed = false;
        while let Some(c) = s.next().await {
            match c {
                Ok(b) => out.extend_from_slice(&b),
                Err(_) => failed = true,
            }
        }
        (out, failed)
    }

    #[test]
    fn neutralises_formulas_only_at_the_start() {
        for bad in ["=1+2", "+1", "-1", "@x", "\tx", "\rx"] {
            assert!(neutralise(bad).starts_with('\''), "{bad:?}");
        }
        for ok in ["a=b", "Müller", "", "1-2"] {
            assert_eq!(neutralise(ok), ok);
        }
    }

    #[tokio::test]
    async fn csv_and_json_are_complete_and_parse() {
        let (csv_bytes, failed) = run(Format::Csv, 2500).await;
        assert!(!failed);
        let mut r = csv::Reader::from_reader(&csv_bytes[..]);
        assert_eq!(r.headers().unwrap().get(1), Some("Project name"));
        let rows: Vec<_> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 2500);
        assert_eq!(&rows[0][1], "'=1+1");
        let (json, failed) = run(Format::Json, 2500).await;
        assert!(!failed);
        let v: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
        assert_eq!(v.len(), 2500);
        let (json, _) = run(Format::Json, 0).await;
        let v: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
        assert!(v.is_empty());
    }

    #[tokio::test]
    async fn a_failure_mid_stream_ends_with_an_error_not_a_tidy_file() {
        let (json, failed) = run(Format::Json, 9999).await;
        assert!(failed, "the stream must end with an error");
        assert!(
            !json.ends_with(b"]\n"),
            "no closing bracket after a failure"
        );
        let (_, failed) = run(Format::Csv, 9999).await;
        assert!(failed);
    }
}
