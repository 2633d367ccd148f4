//! What people see of sorting: column labels instead of the gateway's field names, and the
//! direction in words ("newest first", "A to Z"). The gateway's names stay in URLs (`sort=`)
//! so bookmarks keep working; they never reach the page's text.

use crate::filevine::{SortField, SortOrder};

/// The sortable columns, in table order: `(label, field)`. The Number column sorts by project
/// ID: the gateway cannot sort by number, and IDs follow the order matters were opened in.
pub const COLUMNS: [(&str, SortField); 6] = [
    ("Project", SortField::ProjectName),
    ("Client", SortField::ClientName),
    ("Phase", SortField::PhaseName),
    ("Created", SortField::CreatedDate),
    ("Last activity", SortField::LastActivity),
    ("Number", SortField::ProjectId),
];

/// Further fields the "Sort by" menu offers (narrow screens have no column headings).
const MORE: [(&str, SortField); 1] = [("In phase since", SortField::PhaseDate)];

/// The label people see for `field`.
pub fn label(field: SortField) -> &'static str {
    match field {
        SortField::ProjectId => "project ID",
        SortField::ProjectOrClientName => "Project or client",
        SortField::ProjectTypeId => "project type",
        SortField::ClientId => "client ID",
        SortField::PhaseId => "phase order",
        SortField::FirstPrimaryName => "Primary",
        SortField::FirstPrimaryUsername => "Primary's username",
        other => COLUMNS
            .iter()
            .chain(MORE.iter())
            .find(|(_, f)| *f == other)
            .map_or("", |(l, _)| l),
    }
}

/// The direction in words, for the field's kind of value.
pub fn order_label(field: SortField, order: SortOrder) -> &'static str {
    let asc = order == SortOrder::Asc;
    match field {
        SortField::LastActivity | SortField::CreatedDate | SortField::PhaseDate => {
            if asc {
                "oldest first"
            } else {
                "newest first"
            }
        }
        SortField::ProjectId
        | SortField::ProjectTypeId
        | SortField::ClientId
        | SortField::PhaseId => {
            if asc {
                "lowest first"
            } else {
                "highest first"
            }
        }
        _ => {
            if asc {
                "A to Z"
            } else {
                "Z to A"
            }
        }
    }
}

/// `(value, text)` of every "Sort by" choice: each sortable field in both directions, as
/// `field:order` (the form's script-free select posts `sort_by`, split by the query parser).
pub fn choices() -> Vec<(String, String)> {
    COLUMNS
        .iter()
        .chain(MORE.iter())
        .flat_map(|(l, f)| {
            [SortOrder::Desc, SortOrder::Asc].map(|o| {
                (
                    format!("{}:{}", f.as_str(), o.as_str()),
                    format!("{l} ({})", order_label(*f, o)),
                )
            })
        })
        .collect()
}

/// The 400 page's list of what can be sorted by.
pub const SORTABLE_HINT: &str = "Projects can be sorted by Project, Client, Phase, Created, \
     Last activity, In phase since or Number. Pick a column heading, or a choice under \
     “Sort by”.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_never_show_the_gateways_field_names() {
        for f in SortField::ALL {
            let l = label(f);
            assert!(!l.is_empty(), "{f:?} has no label");
            assert_ne!(l, f.as_str(), "{f:?} shows its field name");
        }
        assert_eq!(label(SortField::LastActivity), "Last activity");
        assert_eq!(
            order_label(SortField::LastActivity, SortOrder::Desc),
            "newest first"
        );
        assert_eq!(order_label(SortField::ClientName, SortOrder::Asc), "A to Z");
        assert!(!SORTABLE_HINT.contains("lastActivity"));
    }

    #[test]
    fn every_choice_parses_back() {
        let all = choices();
        assert_eq!(all.len(), 14);
        for (value, text) in &all {
            let (field, order) = value.split_once(':').unwrap();
            assert!(SortField::parse(field).is_some(), "{value}");
            assert!(matches!(order, "asc" | "desc"), "{value}");
            assert!(!text.contains(field), "{text}");
        }
    }
}
