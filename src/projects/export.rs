//! The export: every project matching some filters as CSV or JSON bytes, streamed page by
//! page (pages of 1,000, fetched in parallel, see [`crate::filevine::walk`]) so memory stays
//! flat however large the firm is. Writer-agnostic: the dashboard streams it into an HTTP
//! response, `projects export` into a file.
//!
//! A failure after the first byte cannot become an error page any more (a 200 is sent, a file
//! is half written). The stream then ends with an error, which aborts the chunked response
//! (the browser reports a failed download instead of saving a file that looks complete) and
//! makes the command line discard its partial file.

use bytes::Bytes;
use futures::{stream, Stream, StreamExt};

use crate::filevine::{
    projects::MAX_PAGE_SIZE, walk::pages_after, GatewayError, Project, ProjectPage, ProjectQuery,
};

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

/// The gateway query of the export's first page.
pub fn first_query(filters: ProjectQuery) -> ProjectQuery {
    filters.at(0, MAX_PAGE_SIZE)
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
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

fn row(p: &Project) -> [String; 13] {
    let s = |v: &Option<String>| neutralise(v.as_deref().unwrap_or(""));
    [
        p.project_id.map(|i| i.to_string()).unwrap_or_default(),
        s(&p.project_name),
        s(&p.client_name),
        s(&p.phase_name),
        s(&p.phase_date),
        s(&p.created_date),
        s(&p.last_activity),
        s(&p.incident_date),
        s(&p.number),
        match p.is_archived {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        s(&p.first_primary_name),
        neutralise(&p.hashtags.join(" ")),
        s(&p.project_url),
    ]
}

/// CSV bytes of some records (the `csv` crate quotes commas, quotes and newlines).
fn csv_chunk<I, R>(records: I) -> std::io::Result<Bytes>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(64 * 1024));
    for r in records {
        w.write_record(r).map_err(std::io::Error::other)?;
    }
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// The bytes of one page in `format`; `first` = no JSON separator before the first item.
fn page_bytes(format: Format, page: &ProjectPage, first: bool) -> std::io::Result<Bytes> {
    match format {
        Format::Csv => csv_chunk(page.items.iter().map(row)),
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

/// The whole body: opening (CSV header with a UTF-8 BOM so Excel reads accents right, or
/// `[`), the first page, every further page, closing. Ends with an error if a page fails.
pub fn body_stream<F, Fut>(
    format: Format,
    first: ProjectPage,
    base: ProjectQuery,
    concurrency: usize,
    fetch: F,
) -> impl Stream<Item = std::io::Result<Bytes>>
where
    F: Fn(ProjectQuery) -> Fut,
    Fut: std::future::Future<Output = Result<ProjectPage, GatewayError>>,
{
    let opening = match format {
        Format::Csv => csv_chunk([CSV_HEADER]).map(|b| {
            let mut v = b"\xEF\xBB\xBF".to_vec();
            v.extend_from_slice(&b);
            Bytes::from(v)
        }),
        Format::Json => Ok(Bytes::from_static(b"[\n")),
    };
    let first_empty = first.items.is_empty();
    let first_bytes = page_bytes(format, &first, true);
    let rest = pages_after(&first, base, concurrency, fetch);
    let mut rows = first.items.len();
    let rest = rest.map(move |page| match page {
        Ok(p) => {
            rows += p.items.len();
            // JSON: the first page may have been empty only when nothing matched, and then
            // there are no further pages, so a separator is always right here.
            page_bytes(format, &p, first_empty)
        }
        Err(e) => {
            tracing::error!(error = %e, rows_sent = rows, "export failed mid-stream; aborting the download");
            Err(std::io::Error::other(format!("export aborted: {e}")))
        }
    });
    let closing = match format {
        Format::Csv => None,
        Format::Json => Some(Ok(Bytes::from_static(b"\n]\n"))),
    };
    stream::iter([opening, first_bytes])
        .chain(rest)
        .chain(stream::iter(closing))
        // End right after the first error: nothing, not even the JSON `]`, may follow it.
        .scan(false, |failed, item| {
            let out = if *failed {
                None
            } else {
                *failed = item.is_err();
                Some(item)
            };
            futures::future::ready(out)
        })
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
        let first = futures::executor::block_on(pages(total, 1000)(base.clone())).unwrap();
        let s = body_stream(format, first, base, 3, pages(total, 1000));
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
