//! The API gateway half: `/fv-app/v2/...` with the real gateway's checks (bearer token,
//! User-Agent, scope, org and user headers), injected failures, latency and request recording.

// Early returns carry a ready `Response` as the error: it is big, but these paths are not hot
// and boxing would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::contract::Contract;
use super::control::RecordedRequest;
use super::data::DemoUser;
use super::list_query::{bad, compare, page_link, parse_fields, parse_list_query, select};
use super::provider::bearer;
use super::state::{lock, InFlight, Shared};

/// The scope every gateway call needs.
pub const GATEWAY_SCOPE: &str = "fv.api.gateway.access";

/// The `sortBy` values the Projects list accepts.
pub const SORT_FIELDS: [&str; 13] = [
    "projectOrClientName",
    "projectName",
    "clientName",
    "phaseName",
    "phaseDate",
    "phaseId",
    "lastActivity",
    "createdDate",
    "projectId",
    "projectTypeId",
    "clientId",
    "firstPrimaryName",
    "firstPrimaryUsername",
];

/// Largest `limit` of one Projects page.
pub const MAX_LIMIT: i64 = 1000;

pub(crate) fn gw_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "message": message.into() }))).into_response()
}

/// Who is calling, once the checks passed.
pub(crate) struct Caller {
    pub(crate) user: &'static DemoUser,
    pub(crate) org_id: i64,
    /// The access token's granted scopes, space-separated.
    pub(crate) scope: String,
    _in_flight: InFlight,
}

impl Caller {
    /// Whether the token carries `scope` (an operation that needs more than the gateway
    /// scope checks it itself).
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every gateway handler admits its caller first: as an extractor, a refused call is answered
/// before the handler runs, and the in-flight count lasts as long as the handler.
impl FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Response> {
        admit(shared, &parts.method, &parts.uri, &parts.headers).await
    }
}

/// Record, count, delay, inject failures, then check the call like the real gateway does.
/// A request outside Filevine's published contract (an unpublished parameter, a missing
/// tenant header) is refused with a 400 that says so, and remembered for tests.
async fn admit(
    shared: &Arc<Shared>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Caller, Response> {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let checked = Contract::published().check_request(method.as_str(), uri.path(), &query, |h| {
        header_str(headers, h)
    });
    lock(&shared.requests).push(RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        org_id: header_str(headers, "x-fv-orgid").map(str::to_owned),
        user_id: header_str(headers, "x-fv-userid").map(str::to_owned),
    });
    let in_flight = shared.enter_gateway(header_str(headers, "x-fv-userid"));
    let latency = *lock(&shared.gateway_latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let injected = {
        let mut plan = lock(&shared.fail_next);
        match plan.as_mut() {
            Some(p) if p.remaining > 0 => {
                p.remaining -= 1;
                let out = (p.status, p.retry_after);
                if p.remaining == 0 {
                    *plan = None;
                }
                Some(out)
            }
            _ => None,
        }
    };
    if let Some((status, retry_after)) = injected {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let msg = if status == StatusCode::TOO_MANY_REQUESTS {
            "Too many calls in a minute (injected by the stand-in)".to_owned()
        } else {
            format!("Injected failure {} (stand-in)", status.as_u16())
        };
        let mut resp = gw_error(status, msg);
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        return Err(resp);
    }
    let needs_org = match checked {
        Ok(op) => !op.headers.is_empty(),
        Err(why) => {
            lock(&shared.wire.violations).push(why.clone());
            return Err(gw_error(
                StatusCode::BAD_REQUEST,
                format!("Not in Filevine's published API: {why}"),
            ));
        }
    };
    if header_str(headers, "user-agent").is_none_or(|ua| ua.trim().is_empty()) {
        return Err(gw_error(
            StatusCode::FORBIDDEN,
            "Forbidden: requests must carry a User-Agent header",
        ));
    }
    let Some(token) = bearer(headers) else {
        let mut r = gw_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: Bearer token required",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Err(r);
    };
    let Some((user, scope)) = shared.gateway_access(token).await else {
        let mut r = gw_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: the access token is invalid or expired",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        return Err(r);
    };
    if !scope.split(' ').any(|s| s == GATEWAY_SCOPE) {
        return Err(gw_error(
            StatusCode::FORBIDDEN,
            format!("Forbidden: the access token lacks the {GATEWAY_SCOPE} scope"),
        ));
    }
    if !needs_org {
        let org_id = user.orgs.first().map(|o| o.org_id).unwrap_or_default();
        return Ok(Caller {
            user,
            org_id,
            scope,
            _in_flight: in_flight,
        });
    }
    let int_header = |name: &str| -> Result<i64, Response> {
        let v = header_str(headers, name).ok_or_else(|| {
            gw_error(
                StatusCode::BAD_REQUEST,
                format!("The {name} header is required"),
            )
        })?;
        v.trim().parse::<i64>().map_err(|_| {
            gw_error(
                StatusCode::BAD_REQUEST,
                format!("The {name} header must be an integer"),
            )
        })
    };
    let org_id = int_header("x-fv-orgid")?;
    let user_id = int_header("x-fv-userid")?;
    if !user.in_org(org_id) {
        return Err(gw_error(
            StatusCode::FORBIDDEN,
            format!(
                "Forbidden: user {} is not a member of org {org_id}",
                user.user_id
            ),
        ));
    }
    if user_id != user.user_id {
        return Err(gw_error(
            StatusCode::FORBIDDEN,
            format!("Forbidden: x-fv-userid {user_id} is not the user of the access token"),
        ));
    }
    Ok(Caller {
        user,
        org_id,
        scope,
        _in_flight: in_flight,
    })
}

/// `GET /fv-app/v2/Projects`.
pub(crate) async fn projects(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let q = match parse_list_query(&pairs) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let all = shared.projects(caller.org_id);
    let casing = shared.wire.casing();
    let rendered = shared
        .lab
        .rendered
        .items(caller.org_id, &all, &q.fields_raw, &q.fields, casing);
    let mut matching: Vec<usize> = (0..all.len())
        .filter(|&i| q.filters.matches(&all[i]))
        .collect();
    matching.sort_by(|&a, &b| {
        let o = compare(&q.sort_by, &all[a], &all[b]);
        if q.descending {
            o.reverse()
        } else {
            o
        }
    });
    let fault = *lock(&shared.lab.paging_fault);
    let (start, end, has_more) =
        super::paging::page_bounds(fault, matching.len() as i64, q.offset, q.limit);
    let page = &matching[start..end];
    let mut items = String::with_capacity(page.len() * 700 + 2);
    items.push('[');
    for (n, &i) in page.iter().enumerate() {
        if n > 0 {
            items.push(',');
        }
        items.push_str(&rendered[i]);
    }
    items.push(']');
    let path = uri.path();
    let mut envelope = json!({
        "count": page.len(),
        "offset": q.offset,
        "limit": q.limit,
        "hasMore": has_more,
        // An integer in the schema, never null: an empty page leaves it out.
        "lastID": page.last().map_or(Value::Null, |&i| json!(all[i].project_id)),
        "requestedFields": q.fields_raw,
        "links": {
            "self": page_link(path, &pairs, q.offset, q.limit),
            "next": has_more.then(|| page_link(path, &pairs, end as i64, q.limit)),
        },
    });
    drop_null(&mut envelope, "lastID");
    let rest = casing.apply(envelope).to_string();
    // `{"items":[...],` + the rest of the envelope without its opening brace.
    let body = format!("{{\"{}\":{items},{}", casing.key("items"), &rest[1..]);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// `GET /fv-app/v2/Projects/{projectId}`.
pub(crate) async fn project(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(project_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(project_id) = project_id.trim().parse::<i64>() else {
        return bad("projectId must be an integer");
    };
    let fields = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("requestedFields"))
        .and_then(|(_, v)| parse_fields(&v));
    let all = shared.projects(caller.org_id);
    match all.iter().find(|p| p.project_id == project_id) {
        Some(p) => Json(shared.wire.cased(select(p, &fields))).into_response(),
        None => gw_error(
            StatusCode::NOT_FOUND,
            format!(
                "Project {project_id} was not found in org {}",
                caller.org_id
            ),
        ),
    }
}

/// Removes `key` from `object` when it is null: the published schema has integers there,
/// which are never null, and omitting an optional field is what the schema allows.
pub(crate) fn drop_null(object: &mut Value, key: &str) {
    if let Some(map) = object.as_object_mut() {
        if map.get(key).is_some_and(Value::is_null) {
            map.remove(key);
        }
    }
}
