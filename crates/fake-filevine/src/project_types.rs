//! `GET /fv-app/v2/ProjectTypes`: the demo project types (ids and names the projects'
//! `projectTypeId` refer to), paged and filtered by `name` like the real list.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::data::{identifier, PROJECT_TYPES};
use super::gateway::{drop_null, Caller, MAX_LIMIT};
use super::list_query::bad;
use super::state::Shared;

/// `GET /fv-app/v2/ProjectTypes` (`limit`, `offset`, `name`; `requestedFields` is accepted and
/// ignored: a type has two fields).
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    _caller: Caller,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| {
        pairs
            .iter()
            .rev()
            .find(|(n, v)| n.eq_ignore_ascii_case(k) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let int = |k: &str, default: i64| get(k).map_or(Ok(default), |v| v.trim().parse::<i64>());
    let (Ok(limit), Ok(offset)) = (int("limit", 50), int("offset", 0)) else {
        return bad("limit and offset must be integers");
    };
    if !(1..=MAX_LIMIT).contains(&limit) || offset < 0 {
        return bad(format!(
            "limit must be between 1 and {MAX_LIMIT}, offset at least 0"
        ));
    }
    let name = get("name").map(str::to_lowercase);
    let matching: Vec<Value> = PROJECT_TYPES
        .iter()
        .filter(|(_, n, _)| name.as_ref().is_none_or(|w| n.to_lowercase().contains(w)))
        .map(|(id, n, _)| json!({ "projectTypeId": identifier(*id), "name": n }))
        .collect();
    let start = (offset as usize).min(matching.len());
    let end = (start + limit as usize).min(matching.len());
    let page = &matching[start..end];
    let last_id = page.last().map(|t| t["projectTypeId"]["native"].clone());
    let mut body = json!({
        "items": page,
        "count": page.len(),
        "offset": offset,
        "limit": limit,
        "hasMore": end < matching.len(),
        "lastID": last_id,
        "requestedFields": get("requestedFields").unwrap_or("*"),
        "links": {},
    });
    drop_null(&mut body, "lastID");
    Json(shared.wire.cased(body)).into_response()
}
