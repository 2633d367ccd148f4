//! What to ask the Projects list for: [`ProjectQuery`], and [`ProjectQuery::to_pairs`], the only
//! place the gateway's parameter names are written (`limit`, `offset`, `sortBy`, `orderBy`,
//! `phaseName`, `excludeArchived`, `searchTerm`, `createdSince`, `latestActivitySince`,
//! `latestActivityBefore`, `requestedFields`).

use time::Date;

use super::projects::{SortField, SortOrder, MAX_PAGE_SIZE};

/// The gateway's date format we send (it also reads `mm/dd/yyyy` and `mm-dd-yyyy`, but only
/// `yyyy-mm-dd` is unambiguous across locales).
const GATEWAY_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// A date as the gateway's filters take it: `yyyy-mm-dd`.
pub fn gateway_date(d: Date) -> String {
    d.format(GATEWAY_DATE).unwrap_or_default()
}

/// What to ask the Projects list for. Built by the web layer from the dashboard's query
/// string; [`ProjectQuery::to_pairs`] is the only place the gateway's parameter names appear.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProjectQuery {
    /// 1 to [`MAX_PAGE_SIZE`] (clamped when sent).
    pub limit: u32,
    pub offset: u64,
    pub sort_by: Option<SortField>,
    pub order: Option<SortOrder>,
    /// `phaseName` (exact).
    pub phase_name: Option<String>,
    /// `excludeArchived=true`.
    pub exclude_archived: bool,
    /// `searchTerm`.
    pub search_term: Option<String>,
    /// `createdSince`: created on or after this day.
    pub created_since: Option<Date>,
    /// `latestActivitySince`: last activity on or after this day.
    pub activity_since: Option<Date>,
    /// `latestActivityBefore`: last activity before this day.
    pub activity_before: Option<Date>,
    /// `requestedFields` (`None` = all).
    pub requested_fields: Option<&'static str>,
}

impl Default for ProjectQuery {
    fn default() -> Self {
        Self {
            limit: 50,
            offset: 0,
            sort_by: None,
            order: None,
            phase_name: None,
            exclude_archived: false,
            search_term: None,
            created_since: None,
            activity_since: None,
            activity_before: None,
            requested_fields: None,
        }
    }
}

impl ProjectQuery {
    /// The query pairs of `GET /fv-app/v2/Projects`.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut q = vec![
            ("limit", self.limit.clamp(1, MAX_PAGE_SIZE).to_string()),
            ("offset", self.offset.to_string()),
        ];
        if let Some(s) = self.sort_by {
            q.push(("sortBy", s.as_str().to_owned()));
        }
        if let Some(o) = self.order {
            q.push(("orderBy", o.as_str().to_owned()));
        }
        if let Some(p) = self.phase_name.as_deref().filter(|p| !p.is_empty()) {
            q.push(("phaseName", p.to_owned()));
        }
        if self.exclude_archived {
            q.push(("excludeArchived", "true".to_owned()));
        }
        if let Some(t) = self.search_term.as_deref().filter(|t| !t.is_empty()) {
            q.push(("searchTerm", t.to_owned()));
        }
        for (name, day) in [
            ("createdSince", self.created_since),
            ("latestActivitySince", self.activity_since),
            ("latestActivityBefore", self.activity_before),
        ] {
            if let Some(d) = day {
                q.push((name, gateway_date(d)));
            }
        }
        if let Some(f) = self.requested_fields {
            q.push(("requestedFields", f.to_owned()));
        }
        q
    }

    /// The same filters and sort at another page.
    pub fn at(&self, offset: u64, limit: u32) -> Self {
        Self {
            offset,
            limit,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_name_the_gateway_parameters() {
        let q = ProjectQuery {
            limit: 5000,
            offset: 20,
            sort_by: SortField::parse("LASTACTIVITY"),
            order: Some(SortOrder::Desc),
            phase_name: Some("Intake".into()),
            exclude_archived: true,
            search_term: Some("smith".into()),
            created_since: Some(time::macros::date!(2025 - 01 - 31)),
            activity_since: Some(time::macros::date!(2024 - 12 - 01)),
            activity_before: Some(time::macros::date!(2025 - 06 - 30)),
            requested_fields: None,
        };
        let pairs = q.to_pairs();
        let get = |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.as_str());
        assert_eq!(get("limit"), Some("1000"));
        assert_eq!(get("offset"), Some("20"));
        assert_eq!(get("sortBy"), Some("lastActivity"));
        assert_eq!(get("orderBy"), Some("desc"));
        assert_eq!(get("phaseName"), Some("Intake"));
        assert_eq!(get("excludeArchived"), Some("true"));
        assert_eq!(get("searchTerm"), Some("smith"));
        assert_eq!(get("createdSince"), Some("2025-01-31"));
        assert_eq!(get("latestActivitySince"), Some("2024-12-01"));
        assert_eq!(get("latestActivityBefore"), Some("2025-06-30"));
        let none = ProjectQuery::default().to_pairs();
        assert!(!none
            .iter()
            .any(|(k, _)| k.contains("Since") || k.contains("Before")));
    }
}
