//! The dashboard's query string, parsed once: every view is a URL, so it can be bookmarked and
//! shared. Numbers out of range are clamped; words that cannot mean anything (an unknown sort
//! column, `order=sideways`, `page=abc`) are a friendly 400, never a panic.

use crate::web::error::AppError;
use crate::{
    filevine::{projects::TABLE_FIELDS, OrgContext, ProjectQuery, SortField, SortOrder},
    projects::{BadDate, ProjectFilters, SummaryKey},
};

/// Rows per page when `per_page` is absent.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// Largest `per_page` (a bigger table is slow to read; the export gets everything).
pub const MAX_PER_PAGE: u32 = 200;
/// Largest `page`, so `offset` stays sane.
pub const MAX_PAGE: u32 = 100_000;
/// The page sizes the form offers.
pub const PER_PAGE_CHOICES: [u32; 4] = [25, 50, 100, 200];

/// The dashboard's view: filters, sort and page.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DashQuery {
    /// `q`, `phase`, `archived`, `created_since`, `active_since`, `active_before`.
    pub filters: ProjectFilters,
    pub sort: SortField,
    pub order: SortOrder,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl Default for DashQuery {
    fn default() -> Self {
        Self {
            filters: ProjectFilters::default(),
            sort: SortField::LastActivity,
            order: SortOrder::Desc,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// The direction a column sorts in first: newest first for dates, A to Z for names.
pub fn natural_order(field: SortField) -> SortOrder {
    match field {
        SortField::LastActivity
        | SortField::CreatedDate
        | SortField::PhaseDate
        | SortField::ProjectId => SortOrder::Desc,
        _ => SortOrder::Asc,
    }
}

fn sort_field(v: &str) -> Result<SortField, AppError> {
    SortField::parse(v).ok_or(AppError::BadRequest(super::sorting::SORTABLE_HINT))
}

fn sort_order(v: &str) -> Result<SortOrder, AppError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "asc" => Ok(SortOrder::Asc),
        "desc" => Ok(SortOrder::Desc),
        _ => Err(AppError::BadRequest(
            "The order must be asc (A to Z, oldest first) or desc (Z to A, newest first).",
        )),
    }
}

/// A whole number; out-of-range values are clamped by the caller. The one rule for every
/// number in the URL: digits are never refused (0, huge), anything else is a 400.
fn number(v: &str, what: &'static str) -> Result<u32, AppError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(0);
    }
    // Digits only; a huge number is clamped, not refused, and a negative one is 0 (the page
    // then adjusts it as it adjusts 0: page 1, the default page size).
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if digits(v) {
        Ok(v.parse::<u64>().unwrap_or(u64::MAX).min(u32::MAX as u64) as u32)
    } else if v.strip_prefix('-').is_some_and(digits) {
        Ok(0)
    } else {
        Err(AppError::BadRequest(what))
    }
}

impl DashQuery {
    /// Parses a raw query string (`None` = defaults). Unknown keys are ignored. A date that
    /// is not `yyyy-mm-dd` is a 400 whose link keeps every other filter.
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        let mut out = DashQuery::default();
        let mut order = None;
        let mut bad_date: Option<BadDate> = None;
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            match out.filters.set(&k, &v) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    bad_date.get_or_insert(e);
                    continue;
                }
            }
            match k.as_ref() {
                "sort" if !v.trim().is_empty() => out.sort = sort_field(&v)?,
                "order" if !v.trim().is_empty() => order = Some(sort_order(&v)?),
                // The "Sort by" menu: `field:order` in one value.
                "sort_by" if !v.trim().is_empty() => {
                    let (f, o) = v.split_once(':').unwrap_or((&v, ""));
                    out.sort = sort_field(f)?;
                    if !o.trim().is_empty() {
                        order = Some(sort_order(o)?);
                    }
                }
                "page" => {
                    out.page = number(&v, "The page must be a whole number, like page=2.")?
                        .clamp(1, MAX_PAGE)
                }
                "per_page" => {
                    let n = number(&v, "per_page must be a whole number, like per_page=50.")?;
                    out.per_page = if n == 0 {
                        DEFAULT_PER_PAGE
                    } else {
                        n.min(MAX_PER_PAGE)
                    };
                }
                _ => {}
            }
        }
        out.order = order.unwrap_or_else(|| natural_order(out.sort));
        match bad_date {
            Some(e) => Err(AppError::BadFilter {
                message: e.to_string(),
                keep: out.href_at("/projects"),
            }),
            None => Ok(out),
        }
    }

    /// The gateway query of the page shown.
    /// Only the table's columns are requested (`requestedFields`).
    pub fn page_query(&self) -> ProjectQuery {
        let offset = u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page);
        ProjectQuery {
            requested_fields: Some(TABLE_FIELDS),
            ..self.filters().at(offset, self.per_page)
        }
    }

    /// Filters and sort only (for the summary and the export, which walk every page).
    pub fn filters(&self) -> ProjectQuery {
        self.filters.query(self.sort, self.order)
    }

    /// The summary this view shows, for the org and user of `ctx` in `environment`.
    pub fn summary_key(&self, environment: &str, ctx: OrgContext) -> SummaryKey {
        SummaryKey {
            environment: environment.to_owned(),
            org_id: ctx.org_id,
            user_id: ctx.user_id,
            q: self.filters.q.clone(),
            archived: self.filters.archived,
            dates: self.filters.dates,
        }
    }

    /// The query string of this view, defaults left out (so URLs stay short).
    pub fn query_string(&self) -> String {
        let d = DashQuery::default();
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        self.filters.write(&mut s);
        if self.sort != d.sort || self.order != d.order {
            s.append_pair("sort", self.sort.as_str());
            s.append_pair("order", self.order.as_str());
        }
        if self.per_page != d.per_page {
            s.append_pair("per_page", &self.per_page.to_string());
        }
        if self.page != 1 {
            s.append_pair("page", &self.page.to_string());
        }
        s.finish()
    }

    /// This view's query pairs without `page` (hidden fields of the page-jump form).
    pub fn fields_except_page(&self) -> Vec<(String, String)> {
        let qs = DashQuery {
            page: 1,
            ..self.clone()
        }
        .query_string();
        url::form_urlencoded::parse(qs.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// `path` plus this view's query string.
    pub fn href_at(&self, path: &str) -> String {
        let qs = self.query_string();
        if qs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{qs}")
        }
    }

    /// This view at `page`.
    pub fn page_href(&self, page: u32) -> String {
        DashQuery {
            page: page.max(1),
            ..self.clone()
        }
        .href_at("/projects")
    }

    /// The link of a column heading: the same column flips direction, another column starts
    /// in its natural order; always back to page 1.
    pub fn sort_href(&self, field: SortField) -> String {
        let order = if self.sort == field {
            self.order.flip()
        } else {
            natural_order(field)
        };
        DashQuery {
            sort: field,
            order,
            page: 1,
            ..self.clone()
        }
        .href_at("/projects")
    }

    /// This view filtered to `phase` (empty = all phases), page 1.
    pub fn phase_href(&self, phase: &str) -> String {
        let mut view = DashQuery {
            page: 1,
            ..self.clone()
        };
        view.filters.phase = phase.to_owned();
        view.href_at("/projects")
    }

    /// The export of this view's filters (`ext` = `csv` or `json`); paging does not apply.
    pub fn export_href(&self, ext: &str) -> String {
        DashQuery {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            ..self.clone()
        }
        .href_at(&format!("/projects/export.{ext}"))
    }

    /// Whether any filter narrows the list (for the empty state's advice).
    pub fn is_filtered(&self) -> bool {
        self.filters.narrows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_round_trip() {
        let d = DashQuery::parse(None).unwrap();
        assert_eq!(d, DashQuery::default());
        assert_eq!(d.query_string(), "");
        let q = DashQuery::parse(Some(
            "q=Smith+%26+Co&phase=Intake&archived=1&sort=clientName&order=desc&page=3&per_page=25",
        ))
        .unwrap();
        assert_eq!(q.filters.q, "Smith & Co");
        assert_eq!(q.sort, SortField::ClientName);
        assert_eq!(q.order, SortOrder::Desc);
        assert_eq!(DashQuery::parse(Some(&q.query_string())).unwrap(), q);
        let g = q.page_query();
        assert_eq!((g.offset, g.limit), (50, 25));
        assert!(!g.exclude_archived);
    }

    #[test]
    fn clamps_numbers_and_refuses_words() {
        let q = DashQuery::parse(Some("page=0&per_page=100000")).unwrap();
        assert_eq!((q.page, q.per_page), (1, MAX_PER_PAGE));
        let q = DashQuery::parse(Some("page=99999999999999999999999")).unwrap();
        assert_eq!(q.page, MAX_PAGE);
        let q = DashQuery::parse(Some("page=-1&per_page=-1")).unwrap();
        assert_eq!((q.page, q.per_page), (1, DEFAULT_PER_PAGE));
        for bad in [
            "page=abc",
            "page=-",
            "per_page=1e3",
            "sort=evil",
            "order=sideways",
        ] {
            assert!(DashQuery::parse(Some(bad)).is_err(), "{bad}");
        }
        let q = DashQuery::parse(Some("per_page=0")).unwrap();
        assert_eq!(q.per_page, DEFAULT_PER_PAGE);
        let long = format!("q={}", "x".repeat(5000));
        assert_eq!(DashQuery::parse(Some(&long)).unwrap().filters.q.len(), 200);
    }

    #[test]
    fn the_sort_by_menu_sets_field_and_order() {
        let q = DashQuery::parse(Some("sort_by=clientName%3Adesc")).unwrap();
        assert_eq!((q.sort, q.order), (SortField::ClientName, SortOrder::Desc));
        let q = DashQuery::parse(Some("sort_by=phaseDate")).unwrap();
        assert_eq!((q.sort, q.order), (SortField::PhaseDate, SortOrder::Desc));
        assert!(DashQuery::parse(Some("sort_by=evil:asc")).is_err());
        assert!(DashQuery::parse(Some("sort_by=clientName:up")).is_err());
    }

    #[test]
    fn sort_links_flip_and_reset_page() {
        let q = DashQuery::parse(Some("page=4")).unwrap();
        assert_eq!(
            q.sort_href(SortField::LastActivity),
            "/projects?sort=lastActivity&order=asc"
        );
        assert_eq!(
            q.sort_href(SortField::ProjectName),
            "/projects?sort=projectName&order=asc"
        );
        assert_eq!(q.export_href("csv"), "/projects/export.csv");
    }

    #[test]
    fn dates_round_trip_and_a_bad_one_keeps_the_rest() {
        let q = DashQuery::parse(Some(
            "q=Smith&created_since=2025-01-31&active_since=2025-03-01&active_before=2025-06-30&page=2",
        ))
        .unwrap();
        assert_eq!(
            q.page_href(3),
            "/projects?q=Smith&created_since=2025-01-31&active_since=2025-03-01&active_before=2025-06-30&page=3"
        );
        assert!(q.export_href("csv").contains("created_since=2025-01-31"));
        let g = q.page_query();
        assert_eq!(g.created_since, Some(time::macros::date!(2025 - 01 - 31)));
        match DashQuery::parse(Some(
            "q=Smith&phase=Intake&active_since=01/03/2025&archived=1",
        )) {
            Err(AppError::BadFilter { message, keep }) => {
                assert!(message.contains("active_since"), "{message}");
                assert_eq!(keep, "/projects?q=Smith&phase=Intake&archived=1");
            }
            other => panic!("{other:?}"),
        }
    }
}
