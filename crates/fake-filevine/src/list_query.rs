//! The stand-in gateway's project-list query: Filevine's parameters (`limit`, `offset`,
//! `requestedFields`, `sortBy`, `orderBy` and the filters, dates in its three formats) parsed
//! strictly, matched, sorted and projected onto the requested fields.

// A refused query is answered with a ready 400 response; boxing it would buy nothing in a
// test double that answers a handful of requests.
#![allow(clippy::result_large_err)]

use std::cmp::Ordering;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use time::{Date, Month, OffsetDateTime};

use super::control::ProjectFilter;
use super::data::Project;
use super::gateway::{gw_error, MAX_LIMIT, SORT_FIELDS};

/// Parse `mm/dd/yyyy`, `mm-dd-yyyy` or `yyyy-mm-dd`.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let parts: Vec<&str> = s.trim().split(['/', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 { (a, b, c) } else { (c, a, b) };
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

pub(crate) fn day_start(d: Date) -> OffsetDateTime {
    d.midnight().assume_utc()
}

/// Everything the Projects list filters on.
#[derive(Default)]
pub(crate) struct Filters {
    pub(crate) base: ProjectFilter,
    pub(crate) name: Option<String>,
    pub(crate) number: Option<String>,
    pub(crate) project_id: Option<i64>,
    pub(crate) created_since: Option<OffsetDateTime>,
    pub(crate) activity_since: Option<OffsetDateTime>,
    pub(crate) activity_before: Option<OffsetDateTime>,
    pub(crate) incident_date: Option<Date>,
    pub(crate) hashtags: Vec<String>,
}

impl Filters {
    pub(crate) fn matches(&self, p: &Project) -> bool {
        self.base.matches(p)
            && self
                .name
                .as_ref()
                .is_none_or(|n| p.project_name.to_lowercase().contains(&n.to_lowercase()))
            && self
                .number
                .as_ref()
                .is_none_or(|n| p.number.eq_ignore_ascii_case(n))
            && self.project_id.is_none_or(|id| p.project_id == id)
            && self.created_since.is_none_or(|t| p.created_date >= t)
            && self.activity_since.is_none_or(|t| p.last_activity >= t)
            && self.activity_before.is_none_or(|t| p.last_activity < t)
            && self
                .incident_date
                .is_none_or(|d| p.incident_date.date() == d)
            && self.hashtags.iter().all(|h| {
                p.hashtags.iter().any(|t| {
                    t.trim_start_matches('#')
                        .eq_ignore_ascii_case(h.trim_start_matches('#'))
                })
            })
    }
}

pub(crate) fn ci_cmp(a: &str, b: &str) -> Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

pub(crate) fn compare(field: &str, a: &Project, b: &Project) -> Ordering {
    match field {
        "projectOrClientName" | "projectName" => ci_cmp(&a.project_name, &b.project_name),
        "clientName" => ci_cmp(&a.client_name, &b.client_name),
        "phaseName" => ci_cmp(a.phase_name, b.phase_name),
        "phaseDate" => a.phase_date.cmp(&b.phase_date),
        "phaseId" => a.phase_id.cmp(&b.phase_id),
        "lastActivity" => a.last_activity.cmp(&b.last_activity),
        "createdDate" => a.created_date.cmp(&b.created_date),
        "projectTypeId" => a.project_type_id.cmp(&b.project_type_id),
        "clientId" => a.client_id.cmp(&b.client_id),
        "firstPrimaryName" => ci_cmp(&a.first_primary_name, &b.first_primary_name),
        "firstPrimaryUsername" => ci_cmp(&a.first_primary_username, &b.first_primary_username),
        _ => Ordering::Equal,
    }
    .then(a.project_id.cmp(&b.project_id))
}

/// `requestedFields`: `*` or a comma list of top-level fields (projectId is always kept).
pub(crate) fn select(p: &Project, fields: &Option<Vec<String>>) -> Value {
    let all = p.to_json();
    match fields {
        None => Value::Object(all),
        Some(wanted) => {
            let mut m = Map::new();
            for (k, v) in all {
                if k == "projectId" || wanted.iter().any(|w| w.eq_ignore_ascii_case(&k)) {
                    m.insert(k, v);
                }
            }
            Value::Object(m)
        }
    }
}

pub(crate) fn parse_fields(raw: &str) -> Option<Vec<String>> {
    let fields: Vec<String> = raw
        .split(',')
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    (!fields.is_empty() && !fields.iter().any(|f| f == "*")).then_some(fields)
}

/// The listing parameters of a Projects request.
pub(crate) struct ListQuery {
    pub(crate) limit: i64,
    pub(crate) offset: i64,
    pub(crate) fields_raw: String,
    pub(crate) fields: Option<Vec<String>>,
    pub(crate) sort_by: String,
    pub(crate) descending: bool,
    pub(crate) filters: Filters,
}

pub(crate) fn bad(msg: impl Into<String>) -> Response {
    gw_error(StatusCode::BAD_REQUEST, msg)
}

pub(crate) fn parse_list_query(pairs: &[(String, String)]) -> Result<ListQuery, Response> {
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let int = |name: &str, default: i64| -> Result<i64, Response> {
        get(name).map_or(Ok(default), |v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| bad(format!("{name} must be an integer")))
        })
    };
    let date = |name: &str| -> Result<Option<Date>, Response> {
        get(name)
            .map(|v| {
                parse_date(v).ok_or_else(|| {
                    bad(format!(
                        "{name} must be a date as mm/dd/yyyy, mm-dd-yyyy or yyyy-mm-dd"
                    ))
                })
            })
            .transpose()
    };
    let limit = int("limit", 50)?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let offset = int("offset", 0)?;
    if offset < 0 {
        return Err(bad("offset must not be negative"));
    }
    let sort_by = match get("sortBy") {
        None => None,
        Some(s) => Some(
            SORT_FIELDS
                .iter()
                .find(|f| f.eq_ignore_ascii_case(s))
                .ok_or_else(|| {
                    bad(format!(
                        "sortBy {s} is not supported; use one of {}",
                        SORT_FIELDS.join(", ")
                    ))
                })?
                .to_string(),
        ),
    };
    let descending = match get("orderBy").map(str::to_ascii_lowercase).as_deref() {
        None => sort_by.is_none(),
        Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(bad(format!(
                "orderBy {other} is not supported; use asc or desc"
            )))
        }
    };
    let exclude_archived = match get("excludeArchived")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad("excludeArchived must be true or false")),
    };
    let project_id = get("projectID")
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| bad("projectID must be an integer"))
        })
        .transpose()?;
    let fields_raw = get("requestedFields").unwrap_or("*").to_owned();
    Ok(ListQuery {
        limit,
        offset,
        fields: parse_fields(&fields_raw),
        fields_raw,
        sort_by: sort_by.unwrap_or_else(|| "projectId".to_owned()),
        descending,
        filters: Filters {
            base: ProjectFilter {
                search_term: get("searchTerm").map(str::to_owned),
                phase_name: get("phaseName").map(str::to_owned),
                exclude_archived,
            },
            name: get("name").map(str::to_owned),
            number: get("number").map(str::to_owned),
            project_id,
            created_since: date("createdSince")?.map(day_start),
            activity_since: date("latestActivitySince")?.map(day_start),
            activity_before: date("latestActivityBefore")?.map(day_start),
            incident_date: date("incidentDate")?,
            hashtags: pairs
                .iter()
                .filter(|(k, v)| k.eq_ignore_ascii_case("hashtags") && !v.is_empty())
                .map(|(_, v)| v.clone())
                .collect(),
        },
    })
}

/// `path?<pairs without offset/limit>&offset=..&limit=..`.
pub(crate) fn page_link(path: &str, pairs: &[(String, String)], offset: i64, limit: i64) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !k.eq_ignore_ascii_case("offset") && !k.eq_ignore_ascii_case("limit") {
            ser.append_pair(k, v);
        }
    }
    ser.append_pair("offset", &offset.to_string());
    ser.append_pair("limit", &limit.to_string());
    format!("{path}?{}", ser.finish())
}
