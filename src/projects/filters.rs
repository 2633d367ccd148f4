//! Which projects: search, phase, archived and the date filters, read from and written to
//! query strings and turned into the gateway's query in one place, so the dashboard, its
//! exports, the summary scan, the reports, the feeds and the command line select the same
//! projects for the same words (`archived=true` and `archived=1` alike, everywhere).

use time::Date;

use crate::filevine::{query::gateway_date, ProjectQuery, SortField, SortOrder};

/// The three date filters (`created_since`, `active_since`, `active_before`), each a day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DateFilters {
    /// Created on or after (the gateway's `createdSince`).
    pub created_since: Option<Date>,
    /// Last activity on or after (`latestActivitySince`).
    pub active_since: Option<Date>,
    /// Last activity before (`latestActivityBefore`).
    pub active_before: Option<Date>,
}

/// The names of the date filters in URLs, forms and feed settings.
pub const DATE_FILTER_NAMES: [&str; 3] = ["created_since", "active_since", "active_before"];

/// A date filter that is not a `yyyy-mm-dd` day: says which one, for a page that keeps the rest.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name} must be a date written yyyy-mm-dd, like 2025-01-31")]
pub struct BadDate {
    /// Which filter (one of [`DATE_FILTER_NAMES`]).
    pub name: &'static str,
}

const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl DateFilters {
    /// Sets the filter `name` from `value` (empty clears it). `Ok(false)`: not a date filter.
    /// Only `yyyy-mm-dd` is accepted: `03/04/2025` means March or April depending on who reads it.
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, BadDate> {
        let Some(&name) = DATE_FILTER_NAMES.iter().find(|n| **n == name) else {
            return Ok(false);
        };
        let v = value.trim();
        let day = if v.is_empty() {
            None
        } else {
            Some(Date::parse(v, DAY).map_err(|_| BadDate { name })?)
        };
        match name {
            "created_since" => self.created_since = day,
            "active_since" => self.active_since = day,
            _ => self.active_before = day,
        }
        Ok(true)
    }

    /// `(name, yyyy-mm-dd)` of each filter that is set, for URLs.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        DATE_FILTER_NAMES
            .iter()
            .zip([self.created_since, self.active_since, self.active_before])
            .filter_map(|(n, d)| d.map(|d| (*n, gateway_date(d))))
            .collect()
    }

    /// The value of `name` as a form shows it (empty when unset).
    pub fn value(&self, name: &str) -> String {
        self.pairs()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }

    /// Whether any date filter is set.
    pub fn any(&self) -> bool {
        *self != DateFilters::default()
    }

    /// `query` narrowed by these dates.
    pub fn apply(&self, query: ProjectQuery) -> ProjectQuery {
        ProjectQuery {
            created_since: self.created_since,
            activity_since: self.active_since,
            activity_before: self.active_before,
            ..query
        }
    }
}

/// The filters a person can set. Empty text means "no filter".
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProjectFilters {
    /// Search term (the gateway's `searchTerm`: project name, client, number).
    pub q: String,
    /// Exact phase name (`phaseName`).
    pub phase: String,
    /// Include archived projects (left out by default: a daily view is about live matters).
    pub archived: bool,
    /// Created and activity dates.
    pub dates: DateFilters,
}

/// Longest search term or phase name kept (longer input is cut).
const MAX_TEXT: usize = 200;

/// A search term or phase name as typed: trimmed and bounded.
fn text(v: &str) -> String {
    v.trim().chars().take(MAX_TEXT).collect()
}

/// Whether a query value of `archived` asks for archived projects: a checkbox sends `1`, a
/// person typing a URL writes `true`, `yes` or `on`.
pub fn wants_archived(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "on" | "yes" | "include"
    )
}

impl ProjectFilters {
    /// Sets the filter `name` from a query value. `Ok(false)`: `name` is not a filter (the
    /// caller's own key, or one to ignore); a date not written `yyyy-mm-dd` is [`BadDate`].
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, BadDate> {
        match name {
            "q" => self.q = text(value),
            "phase" => self.phase = text(value),
            "archived" => self.archived = wants_archived(value),
            other => return self.dates.set(other, value),
        }
        Ok(true)
    }

    /// The filters of a query string, leniently: other keys and bad dates are ignored (for
    /// what this app wrote itself, such as a feed key's stored filters).
    pub fn from_query(query: &str) -> Self {
        let mut f = ProjectFilters::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let _ = f.set(&k, &v);
        }
        f
    }

    /// Appends the filters that are set to `s` (defaults left out, so URLs stay short), in
    /// the order every link of the app writes them.
    pub fn write(&self, s: &mut url::form_urlencoded::Serializer<'_, String>) {
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        if !self.phase.is_empty() {
            s.append_pair("phase", &self.phase);
        }
        if self.archived {
            s.append_pair("archived", "1");
        }
        for (name, day) in self.dates.pairs() {
            s.append_pair(name, &day);
        }
    }

    /// The filters as a query string (see [`ProjectFilters::write`]).
    pub fn to_query(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        self.write(&mut s);
        s.finish()
    }

    /// Whether search, phase or a date narrows the list (archived only widens it).
    pub fn narrows(&self) -> bool {
        !self.q.is_empty() || !self.phase.is_empty() || self.dates.any()
    }

    /// The gateway query for these filters in the given order (offset and limit still to be
    /// set with [`ProjectQuery::at`]).
    pub fn query(&self, sort: SortField, order: SortOrder) -> ProjectQuery {
        self.dates.apply(ProjectQuery {
            sort_by: Some(sort),
            order: Some(order),
            phase_name: (!self.phase.is_empty()).then(|| self.phase.clone()),
            exclude_archived: !self.archived,
            search_term: (!self.q.is_empty()).then(|| self.q.clone()),
            ..ProjectQuery::default()
        })
    }

    /// The query of walks over every page (exports): a stable order, oldest first, so pages
    /// fetched in parallel neither skip nor repeat a project while nothing changes.
    pub fn walk_query(&self) -> ProjectQuery {
        self.query(SortField::ProjectId, SortOrder::Asc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_is_no_filter_and_archived_is_left_out_by_default() {
        let q = ProjectFilters::default().walk_query();
        assert_eq!(q.search_term, None);
        assert_eq!(q.phase_name, None);
        assert!(q.exclude_archived);
        assert_eq!(q.sort_by, Some(SortField::ProjectId));
        let q = ProjectFilters {
            q: "Garcia".into(),
            phase: "Intake".into(),
            archived: true,
            ..Default::default()
        }
        .query(SortField::LastActivity, SortOrder::Desc);
        assert_eq!(q.search_term.as_deref(), Some("Garcia"));
        assert_eq!(q.phase_name.as_deref(), Some("Intake"));
        assert!(!q.exclude_archived);
        assert_eq!(q.order, Some(SortOrder::Desc));
    }

    #[test]
    fn one_parser_and_writer_and_archived_true_means_archived_1() {
        for yes in ["1", "true", "TRUE", "on", "yes", " include "] {
            let f = ProjectFilters::from_query(&format!("archived={yes}"));
            assert!(f.archived, "{yes}");
            assert_eq!(f.to_query(), "archived=1", "{yes}");
        }
        for no in ["0", "false", "", "no"] {
            assert!(
                !ProjectFilters::from_query(&format!("archived={no}")).archived,
                "{no}"
            );
        }
        let f = ProjectFilters::from_query(
            "q=+Smith+%26+Co+&phase=Intake&archived=true&active_before=2025-06-30&created_since=June&x=y",
        );
        assert_eq!(f.q, "Smith & Co");
        assert_eq!(
            f.dates.created_since, None,
            "a bad date is left out leniently"
        );
        assert_eq!(
            f.to_query(),
            "q=Smith+%26+Co&phase=Intake&archived=1&active_before=2025-06-30"
        );
        assert_eq!(ProjectFilters::from_query(&f.to_query()), f);
        let mut g = ProjectFilters::default();
        assert_eq!(g.set("page", "2"), Ok(false));
        assert_eq!(g.set("q", &"x".repeat(500)), Ok(true));
        assert_eq!(g.q.len(), MAX_TEXT);
        assert!(g.set("active_since", "01/03/2025").is_err());
    }

    #[test]
    fn dates_are_yyyy_mm_dd_only_and_reach_the_query() {
        let mut d = DateFilters::default();
        assert_eq!(d.set("q", "x"), Ok(false));
        assert_eq!(d.set("created_since", " 2025-01-31 "), Ok(true));
        assert_eq!(d.set("active_before", "2025-06-30"), Ok(true));
        for bad in [
            "31/01/2025",
            "2025-13-01",
            "2025-02-30",
            "yesterday",
            "2025-1-5x",
        ] {
            let mut copy = d;
            assert_eq!(
                copy.set("active_since", bad),
                Err(BadDate {
                    name: "active_since"
                }),
                "{bad}"
            );
        }
        assert_eq!(
            d.pairs(),
            vec![
                ("created_since", "2025-01-31".to_owned()),
                ("active_before", "2025-06-30".to_owned())
            ]
        );
        let q = ProjectFilters {
            dates: d,
            ..Default::default()
        }
        .walk_query();
        assert_eq!(q.created_since, Some(time::macros::date!(2025 - 01 - 31)));
        assert_eq!(q.activity_before, Some(time::macros::date!(2025 - 06 - 30)));
        assert_eq!(q.activity_since, None);
        assert_eq!(d.set("created_since", ""), Ok(true));
        assert_eq!(d.created_since, None);
    }
}
