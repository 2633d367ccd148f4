//! Which projects: search, phase and archived, turned into the gateway's query in one place,
//! so the dashboard, its exports, the summary scan and the command line select the same
//! projects for the same words.

use crate::filevine::{ProjectQuery, SortField, SortOrder};

/// The filters a person can set. Empty text means "no filter".
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProjectFilters {
    /// Search term (the gateway's `searchTerm`: project name, client, number).
    pub q: String,
    /// Exact phase name (`phaseName`).
    pub phase: String,
    /// Include archived projects (left out by default: a daily view is about live matters).
    pub archived: bool,
}

impl ProjectFilters {
    /// The gateway query for these filters in the given order (offset and limit still to be
    /// set with [`ProjectQuery::at`]).
    pub fn query(&self, sort: SortField, order: SortOrder) -> ProjectQuery {
        ProjectQuery {
            sort_by: Some(sort),
            order: Some(order),
            phase_name: (!self.phase.is_empty()).then(|| self.phase.clone()),
            exclude_archived: !self.archived,
            search_term: (!self.q.is_empty()).then(|| self.q.clone()),
            ..ProjectQuery::default()
        }
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
        }
        .query(SortField::LastActivity, SortOrder::Desc);
        assert_eq!(q.search_term.as_deref(), Some("Garcia"));
        assert_eq!(q.phase_name.as_deref(), Some("Intake"));
        assert!(!q.exclude_archived);
        assert_eq!(q.order, Some(SortOrder::Desc));
    }
}
