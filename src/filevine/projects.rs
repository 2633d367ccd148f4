//! The Projects endpoint, typed: the query (`limit`, `offset`, `sortBy`, `orderBy`, filters), one
//! project, and a page of them. Responses are parsed once, straight into these structs; every
//! field also answers to its PascalCase name, so the OpenAPI export's casing and the samples'
//! camelCase parse alike.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::lenient::{native_opt, null_is_empty};

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

impl<'de> Deserialize<'de> for ProjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        native_opt(d)?
            .map(ProjectId)
            .ok_or_else(|| serde::de::Error::custom("projectId is not an integer"))
    }
}

/// An optional project id in any shape [`native_opt`] reads: an `Identifier` without a
/// `Native` number (the schema does not require one) reads as no id, like `null`, rather than
/// failing the whole page.
fn project_id_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ProjectId>, D::Error> {
    Ok(native_opt(d)?.map(ProjectId))
}

/// A Filevine organization id (`x-fv-orgid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrgId(pub i64);

/// One project as the list and the detail endpoints return it, parsed straight from the
/// response body (camelCase as the samples read it, PascalCase as the OpenAPI export spells
/// it: every field has its PascalCase alias). Everything but the id is optional:
/// `requestedFields` may leave fields out, and a tolerant reader survives a gateway that adds
/// or drops one.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    #[serde(default, alias = "ProjectId", deserialize_with = "project_id_opt")]
    pub project_id: Option<ProjectId>,
    #[serde(default, alias = "ProjectName")]
    pub project_name: Option<String>,
    #[serde(default, alias = "ClientName")]
    pub client_name: Option<String>,
    #[serde(default, alias = "PhaseName")]
    pub phase_name: Option<String>,
    /// `phaseId.native`: phases are numbered in pipeline order, so this orders the summary.
    #[serde(
        default,
        alias = "PhaseId",
        deserialize_with = "native_opt",
        skip_serializing
    )]
    pub phase_id: Option<i64>,
    /// `projectTypeId.native`: what the reports group by (names from `ProjectTypes`).
    #[serde(
        default,
        alias = "ProjectTypeId",
        deserialize_with = "native_opt",
        skip_serializing
    )]
    pub project_type_id: Option<i64>,
    #[serde(default, alias = "PhaseDate")]
    pub phase_date: Option<String>,
    #[serde(default, alias = "CreatedDate")]
    pub created_date: Option<String>,
    #[serde(default, alias = "IncidentDate")]
    pub incident_date: Option<String>,
    #[serde(default, alias = "LastActivity")]
    pub last_activity: Option<String>,
    #[serde(default, alias = "Number")]
    pub number: Option<String>,
    #[serde(default, alias = "Description")]
    pub description: Option<String>,
    #[serde(default, alias = "IsArchived")]
    pub is_archived: Option<bool>,
    #[serde(default, alias = "Hashtags", deserialize_with = "null_is_empty")]
    pub hashtags: Vec<String>,
    #[serde(default, alias = "FirstPrimaryName")]
    pub first_primary_name: Option<String>,
    #[serde(default, alias = "FirstPrimaryUsername")]
    pub first_primary_username: Option<String>,
    #[serde(default, alias = "ProjectUrl")]
    pub project_url: Option<String>,
    #[serde(default, alias = "OrgId")]
    pub org_id: Option<i64>,
}

/// The fields the dashboard's table shows: its page asks for these only (`requestedFields`).
pub const TABLE_FIELDS: &str =
    "projectId,projectName,clientName,phaseName,createdDate,lastActivity,number,isArchived,projectUrl";

/// The fields an export writes (every field of [`Project`] but the phase id).
pub const EXPORT_FIELDS: &str = "projectId,projectName,clientName,phaseName,phaseDate,\
createdDate,incidentDate,lastActivity,number,description,isArchived,hashtags,\
firstPrimaryName,firstPrimaryUsername,projectUrl,orgId";

/// One page of `GET /fv-app/v2/Projects`. The gateway gives no total: `hasMore` is the only
/// paging signal.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPage {
    #[serde(default, alias = "Items", deserialize_with = "null_is_empty")]
    pub items: Vec<Project>,
    #[serde(default, alias = "HasMore")]
    pub has_more: bool,
    #[serde(default, alias = "Offset")]
    pub offset: Option<i64>,
    #[serde(default, alias = "Limit")]
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

pub use super::query::ProjectQuery;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn pascal_and_camel_pages_parse_alike() {
        let camel = br#"{"items": [{"projectId": {"native": 7, "partner": null}, "projectName": "A", "phaseName": "Intake", "phaseId": {"native": 301}, "isArchived": true, "hashtags": null}], "hasMore": true}"#;
        let pascal = br#"{"Items": [{"ProjectId": {"Native": 7, "Partner": "x"}, "ProjectName": "A", "PhaseName": "Intake", "PhaseId": "301", "IsArchived": true, "Hashtags": ["a"]}], "HasMore": true}"#;
        for body in [&camel[..], &pascal[..]] {
            let p: ProjectPage = serde_json::from_slice(body).unwrap();
            assert!(p.has_more);
            assert_eq!(p.items[0].project_id, Some(ProjectId::new(7)));
            assert_eq!(p.items[0].phase_name.as_deref(), Some("Intake"));
            assert_eq!(p.items[0].phase_id, Some(301));
            assert_eq!(p.items[0].is_archived, Some(true));
        }
        let flat: Project = serde_json::from_value(serde_json::json!({"projectId": 9})).unwrap();
        assert_eq!(flat.project_id, Some(ProjectId::new(9)));
    }
}
