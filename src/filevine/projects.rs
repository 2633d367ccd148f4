//! The Projects endpoint, typed: the query (`limit`, `offset`, `sortBy`, `orderBy`, filters), one
//! project, and a page of them. Responses go through [`super::models::camel_case_keys`] first,
//! so PascalCase (the OpenAPI export) and camelCase (the samples) parse alike.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Largest `limit` the gateway accepts for one Projects page.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// A Filevine project id (`projectId.native`). Parsed from `{native, partner}` or a bare
/// integer, so a gateway that flattens ids still works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ProjectId(i64);

impl ProjectId {
    /// Wraps a native id.
    pub fn new(native: i64) -> Self {
        Self(native)
    }

    /// The native id, as the gateway's URLs want it.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for ProjectId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(ProjectId)
    }
}

/// Either id shape the gateway may send.
#[derive(Deserialize)]
#[serde(untagged)]
enum IdShape {
    Plain(i64),
    Text(String),
    Nested { native: i64 },
}

impl IdShape {
    fn native(self) -> Option<i64> {
        match self {
            IdShape::Plain(n) | IdShape::Nested { native: n } => Some(n),
            IdShape::Text(s) => s.trim().parse().ok(),
        }
    }
}

impl<'de> Deserialize<'de> for ProjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IdShape::deserialize(d)?
            .native()
            .map(ProjectId)
            .ok_or_else(|| serde::de::Error::custom("projectId is not an integer"))
    }
}

/// An optional id in either shape (`null` and unreadable ids become `None`).
fn native_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<IdShape>::deserialize(d)?.and_then(IdShape::native))
}

/// A Filevine organization id (`x-fv-orgid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrgId(pub i64);

/// One project as the list and the detail endpoints return it. Everything but the id is
/// optional: `requestedFields` may leave fields out, and a tolerant reader survives a gateway
/// that adds or drops one.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub project_id: Option<ProjectId>,
    #[serde(default)]
    pub project_name: Option<String>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub phase_name: Option<String>,
    /// `phaseId.native`: phases are numbered in pipeline order, so this orders the summary.
    #[serde(default, deserialize_with = "native_opt", skip_serializing)]
    pub phase_id: Option<i64>,
    #[serde(default)]
    pub phase_date: Option<String>,
    #[serde(default)]
    pub created_date: Option<String>,
    #[serde(default)]
    pub incident_date: Option<String>,
    #[serde(default)]
    pub last_activity: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_archived: Option<bool>,
    #[serde(default)]
    pub hashtags: Vec<String>,
    #[serde(default)]
    pub first_primary_name: Option<String>,
    #[serde(default)]
    pub first_primary_username: Option<String>,
    #[serde(default)]
    pub project_url: Option<String>,
    #[serde(default)]
    pub org_id: Option<i64>,
}

/// One page of `GET /fv-app/v2/Projects`. The gateway gives no total: `hasMore` is the only
/// paging signal.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPage {
    #[serde(default)]
    pub items: Vec<Project>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// The `sortBy` values the gateway documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortField {
    ProjectOrClientName,
    ProjectName,
    ClientName,
    PhaseName,
    PhaseDate,
    PhaseId,
    LastActivity,
    CreatedDate,
    ProjectId,
    ProjectTypeId,
    ClientId,
    FirstPrimaryName,
    FirstPrimaryUsername,
}

impl SortField {
    /// Every value, in the gateway's documented order.
    pub const ALL: [SortField; 13] = [
        SortField::ProjectOrClientName,
        SortField::ProjectName,
        SortField::ClientName,
        SortField::PhaseName,
        SortField::PhaseDate,
        SortField::PhaseId,
        SortField::LastActivity,
        SortField::CreatedDate,
        SortField::ProjectId,
        SortField::ProjectTypeId,
        SortField::ClientId,
        SortField::FirstPrimaryName,
        SortField::FirstPrimaryUsername,
    ];

    /// The gateway's name (also the dashboard's `sort=` value).
    pub fn as_str(self) -> &'static str {
        match self {
            SortField::ProjectOrClientName => "projectOrClientName",
            SortField::ProjectName => "projectName",
            SortField::ClientName => "clientName",
            SortField::PhaseName => "phaseName",
            SortField::PhaseDate => "phaseDate",
            SortField::PhaseId => "phaseId",
            SortField::LastActivity => "lastActivity",
            SortField::CreatedDate => "createdDate",
            SortField::ProjectId => "projectId",
            SortField::ProjectTypeId => "projectTypeId",
            SortField::ClientId => "clientId",
            SortField::FirstPrimaryName => "firstPrimaryName",
            SortField::FirstPrimaryUsername => "firstPrimaryUsername",
        }
    }

    /// Case-insensitive parse of a gateway name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// `orderBy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    /// `asc` / `desc`.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }

    /// The other direction (for a column header's next click).
    pub fn flip(self) -> Self {
        match self {
            SortOrder::Asc => SortOrder::Desc,
            SortOrder::Desc => SortOrder::Asc,
        }
    }
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
    use crate::filevine::models::camel_case_keys;

    #[test]
    fn pascal_and_camel_pages_parse_alike() {
        let camel = serde_json::json!({"items": [{"projectId": {"native": 7, "partner": null}, "projectName": "A", "phaseName": "Intake", "isArchived": true}], "hasMore": true});
        let pascal = serde_json::json!({"Items": [{"ProjectId": {"Native": 7}, "ProjectName": "A", "PhaseName": "Intake", "IsArchived": true}], "HasMore": true});
        for v in [camel, pascal] {
            let p: ProjectPage = serde_json::from_value(camel_case_keys(v)).unwrap();
            assert!(p.has_more);
            assert_eq!(p.items[0].project_id, Some(ProjectId::new(7)));
            assert_eq!(p.items[0].phase_name.as_deref(), Some("Intake"));
            assert_eq!(p.items[0].is_archived, Some(true));
        }
        let flat: Project = serde_json::from_value(serde_json::json!({"projectId": 9})).unwrap();
        assert_eq!(flat.project_id, Some(ProjectId::new(9)));
    }

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
    }
}
