//! The reports page's query string: `archived` and the three date filters, parsed by
//! [`ProjectFilters`] (a bad date is a 400 whose link keeps the rest), written back into
//! bookmarkable links. The reports are about every matter of the org, so a search or a phase
//! does not narrow them: the phase table links each phase to the dashboard instead.

use crate::{
    projects::{BadDate, ProjectFilters},
    web::error::AppError,
};

/// What the reports page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportQuery {
    /// `archived` (include archived projects in every figure) and the dates; `q` and `phase`
    /// stay empty.
    pub filters: ProjectFilters,
}

impl ReportQuery {
    /// Parses a raw query string; unknown keys are ignored.
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        let mut out = ReportQuery::default();
        let mut bad: Option<BadDate> = None;
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if k == "q" || k == "phase" {
                continue;
            }
            if let Err(e) = out.filters.set(&k, &v) {
                bad.get_or_insert(e);
            }
        }
        match bad {
            Some(e) => Err(AppError::BadFilter {
                message: e.to_string(),
                keep: out.href_at("/reports"),
            }),
            None => Ok(out),
        }
    }

    /// The projects these figures are about.
    pub fn filters(&self) -> ProjectFilters {
        self.filters.clone()
    }

    /// `path` with this view's query (defaults left out).
    pub fn href_at(&self, path: &str) -> String {
        let qs = self.filters.to_query();
        if qs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{qs}")
        }
    }

    /// The dashboard listing the matters of a stale band: last activity `lo` to `hi` days
    /// before `today` (`hi` = `None`: or longer), with this view's other filters. Days are the
    /// report's calendar days, so the list holds exactly the band's matters.
    pub fn band_href(&self, today: time::Date, lo: i64, hi: Option<i64>) -> String {
        let mut view = self.clone();
        let dates = &mut view.filters.dates;
        dates.active_before = today.checked_sub(time::Duration::days(lo - 1));
        dates.active_since = hi.and_then(|h| today.checked_sub(time::Duration::days(h)));
        view.href_at("/projects")
    }

    /// The dashboard with the same filters.
    pub fn projects_href(&self) -> String {
        self.href_at("/projects")
    }

    /// The dashboard with the same filters in `phase` (empty for the matters without a phase,
    /// which the dashboard cannot select: then all of them).
    pub fn phase_href(&self, phase: &str) -> String {
        let mut view = self.clone();
        if phase != "(no phase)" {
            view.filters.phase = phase.to_owned();
        }
        view.projects_href()
    }

    /// Whether any filter is set (for the form's "Clear").
    pub fn is_filtered(&self) -> bool {
        self.filters.archived || self.filters.narrows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_the_rest_on_a_bad_date() {
        let q = ReportQuery::parse(Some("archived=1&active_before=2025-06-01&x=y&q=z")).unwrap();
        assert!(q.filters.archived);
        assert_eq!(
            q.href_at("/reports"),
            "/reports?archived=1&active_before=2025-06-01"
        );
        assert_eq!(ReportQuery::parse(Some(&q.href_at("")[1..])).unwrap(), q);
        assert!(q.filters().walk_query().activity_before.is_some());
        assert_eq!(
            q.phase_href("Intake & Review"),
            "/projects?phase=Intake+%26+Review&archived=1&active_before=2025-06-01"
        );
        assert_eq!(ReportQuery::default().phase_href("(no phase)"), "/projects");
        let today = time::macros::date!(2025 - 06 - 30);
        assert_eq!(
            q.band_href(today, 30, Some(59)),
            "/projects?archived=1&active_since=2025-05-02&active_before=2025-06-01"
        );
        assert_eq!(
            q.band_href(today, 90, None),
            "/projects?archived=1&active_before=2025-04-02"
        );
        match ReportQuery::parse(Some("archived=1&created_since=June")) {
            Err(AppError::BadFilter { keep, .. }) => assert_eq!(keep, "/reports?archived=1"),
            other => panic!("{other:?}"),
        }
    }
}
