//! Filevine's webhook subscriptions at the gateway (`/fv-app/v2/webhooks/...`): the event
//! catalogue and each org's subscriptions, in the published shapes
//! (`ApiSubscriptionEventDto`, `ApiSubscriptionResponse`). Every operation needs the
//! `filevine.v2.webhooks` scope on top of the gateway's own (Filevine's Identity export says
//! to add it to the token request), and answers 403 without it.
//!
//! A subscription belongs to the org of the call's `x-fv-orgid`: another org neither sees nor
//! deletes it. When the stand-in's data changes, [`super::webhook_delivery`] posts to every
//! subscription whose events match.

// Early returns carry a ready `Response` as the error: see gateway.rs.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::contract::{get_ci, Contract};
use super::data::iso;
use super::gateway::{gw_error, Caller};
use super::state::{lock, Shared};

/// The scope the webhook operations need.
pub const WEBHOOKS_SCOPE: &str = "filevine.v2.webhooks";

/// One catalogue entry: `(id, object type, event type)`. The ids are opaque strings, as
/// Filevine's are: a client must read them from the catalogue, never guess them.
pub const EVENTS: [(&str, &str, &str); 12] = [
    ("7101", "Project", "Created"),
    ("7102", "Project", "Updated"),
    ("7103", "Project", "PhaseChanged"),
    ("7104", "Project", "Archived"),
    ("7105", "Project", "Deleted"),
    ("7106", "Project", "Undeleted"),
    ("7201", "Project_Member", "Added"),
    ("7202", "Project_Member", "Removed"),
    ("7301", "Note", "Created"),
    ("7302", "Document", "Created"),
    ("7303", "Deadline", "Completed"),
    ("7304", "Contact", "Updated"),
];

/// The catalogue id of `object` + `event`, if Filevine publishes that pair.
pub fn event_id(object: &str, event: &str) -> Option<&'static str> {
    EVENTS
        .iter()
        .find(|(_, o, e)| *o == object && *e == event)
        .map(|(id, _, _)| *id)
}

/// A subscription as the stand-in keeps it.
#[derive(Clone, Debug)]
pub struct Subscription {
    pub id: String,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub event_ids: Vec<String>,
    pub endpoint: String,
    pub created_at: time::OffsetDateTime,
    pub updated_at: time::OffsetDateTime,
}

/// Every org's subscriptions, and the deliveries made for them.
#[derive(Default)]
pub(crate) struct Webhooks {
    pub(crate) subscriptions: Mutex<HashMap<i64, Vec<Subscription>>>,
    pub(crate) delivery: super::webhook_delivery::Deliveries,
    /// The token of the project page's forms (see `project_page`).
    page_token: std::sync::OnceLock<String>,
}

impl Webhooks {
    /// The project page's form token, made on first use.
    pub(crate) fn page_token(&self) -> &str {
        self.page_token
            .get_or_init(|| super::state::random_token("fvpage_"))
    }
}

fn subscription_json(shared: &Shared, s: &Subscription) -> Value {
    let kid = lock(&shared.keys).signing.kid.clone();
    shared.wire.cased(json!({
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "eventIds": s.event_ids,
        "endpoint": s.endpoint,
        "keyId": kid,
        "createdAt": iso(s.created_at),
        "updatedAt": iso(s.updated_at),
    }))
}

/// The 403 of a token without [`WEBHOOKS_SCOPE`].
fn require_scope(caller: &Caller) -> Result<(), Response> {
    if caller.has_scope(WEBHOOKS_SCOPE) {
        Ok(())
    } else {
        Err(gw_error(
            StatusCode::FORBIDDEN,
            format!("Forbidden: the access token lacks the {WEBHOOKS_SCOPE} scope"),
        ))
    }
}

/// `GET /fv-app/v2/webhooks/Events`.
pub(crate) async fn events(State(shared): State<Arc<Shared>>, caller: Caller) -> Response {
    if let Err(r) = require_scope(&caller) {
        return r;
    }
    let items: Vec<Value> = EVENTS
        .iter()
        .map(|&(id, object, event)| {
            json!({
                "id": id,
                "name": format!("{object} {event}"),
                "objectType": object,
                "eventType": event,
                "samplePayloads": [super::webhook_delivery::body_of(
                    &super::webhook_delivery::Change::sample(caller.org_id, object, event),
                )],
            })
        })
        .collect();
    Json(shared.wire.cased(Value::Array(items))).into_response()
}

/// `GET /fv-app/v2/webhooks/subscriptions`: the org's subscriptions.
pub(crate) async fn list(State(shared): State<Arc<Shared>>, caller: Caller) -> Response {
    if let Err(r) = require_scope(&caller) {
        return r;
    }
    let subs = lock(&shared.webhooks.subscriptions)
        .get(&caller.org_id)
        .cloned()
        .unwrap_or_default();
    let items: Vec<Value> = subs.iter().map(|s| subscription_json(&shared, s)).collect();
    Json(Value::Array(items)).into_response()
}

/// `GET /fv-app/v2/webhooks/subscription/{subscriptionId}`.
pub(crate) async fn get_one(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_scope(&caller) {
        return r;
    }
    match find(&shared, caller.org_id, &id) {
        Some(s) => Json(subscription_json(&shared, &s)).into_response(),
        None => not_found(&id, caller.org_id),
    }
}

/// `POST /fv-app/v2/webhooks/subscription`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    body: Bytes,
) -> Response {
    if let Err(r) = require_scope(&caller) {
        return r;
    }
    let fields = match read_body(&shared, "CreateWebhookSubscriptionRequest", &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (Some(endpoint), Some(event_ids)) = (fields.endpoint, fields.event_ids) else {
        return gw_error(
            StatusCode::BAD_REQUEST,
            "Endpoint and EventIds are required",
        );
    };
    let now = time::OffsetDateTime::now_utc();
    let sub = Subscription {
        id: uuid::Uuid::new_v4().to_string(),
        org_id: caller.org_id,
        name: fields.name.unwrap_or_default(),
        description: fields.description.unwrap_or_default(),
        event_ids,
        endpoint,
        created_at: now,
        updated_at: now,
    };
    let answer = subscription_json(&shared, &sub);
    lock(&shared.webhooks.subscriptions)
        .entry(caller.org_id)
        .or_default()
        .push(sub);
    Json(answer).into_response()
}

/// `PUT /fv-app/v2/webhooks/subscription/{subscriptionId}`: the fields given replace the
/// stored ones.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = require_scope(&caller) {
        return r;
    }
    let fields = match read_body(&shared, "UpdateWebhookSubscriptionRequest", &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut all = lock(&shared.webhooks.subscriptions);
    let Some(sub) = all
        .get_mut(&caller.org_id)
        .and_then(|subs| subs.iter_mut().find(|s| s.id.eq_ignore_ascii_case(&id)))
    else {
        drop(all);
        return not_found(&id, caller.org_id);
    };
    if let Some(v) = fields.name {
        sub.name = v;
    }
    if let Some(v) = fields.description {
        sub.description = v;
    }
    if let Some(v) = fields.event_ids {
        sub.event_ids = v;
    }
    if let Some(v) = fields.endpoint {
        sub.endpoint = v;
    }
    sub.updated_at = time::OffsetDateTime::now_utc();
    let sub = sub.clone();
    drop(all);
    Json(subscription_json(&shared, &sub)).into_response()
}

/// `DELETE /fv-app/v2/webhooks/subscription/{subscriptionId}`: `true`, or 404.
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_scope(&caller) {
        return r;
    }
    let mut all = lock(&shared.webhooks.subscriptions);
    let subs = all.entry(caller.org_id).or_default();
    let before = subs.len();
    subs.retain(|s| !s.id.eq_ignore_ascii_case(&id));
    let removed = subs.len() < before;
    drop(all);
    if removed {
        Json(json!(true)).into_response()
    } else {
        not_found(&id, caller.org_id)
    }
}

fn find(shared: &Shared, org_id: i64, id: &str) -> Option<Subscription> {
    lock(&shared.webhooks.subscriptions)
        .get(&org_id)?
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
        .cloned()
}

fn not_found(id: &str, org_id: i64) -> Response {
    gw_error(
        StatusCode::NOT_FOUND,
        format!("Webhook subscription {id} was not found in org {org_id}"),
    )
}

/// The fields of a create or update body.
struct Fields {
    name: Option<String>,
    description: Option<String>,
    event_ids: Option<Vec<String>>,
    endpoint: Option<String>,
}

/// Reads a body of the published `definition` (keys in either casing): a body the schema does
/// not allow is refused and remembered as a contract violation, an unknown event id or an
/// endpoint the stand-in could not post to is a 400 that says so.
fn read_body(shared: &Shared, definition: &str, body: &[u8]) -> Result<Fields, Response> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| gw_error(StatusCode::BAD_REQUEST, "The body must be JSON"))?;
    let contract = Contract::published();
    let schema = contract
        .definition(definition)
        .expect("the webhook bodies are published");
    let problems = contract.validate(schema, &value);
    if !problems.is_empty() {
        let why = format!("{definition}: {}", problems.join("; "));
        lock(&shared.wire.violations).push(why.clone());
        return Err(gw_error(
            StatusCode::BAD_REQUEST,
            format!("Not in Filevine's published API: {why}"),
        ));
    }
    let text = |key: &str| {
        get_ci(&value, key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let event_ids = get_ci(&value, "EventIds")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        });
    if let Some(ids) = &event_ids {
        if ids.is_empty() {
            return Err(gw_error(StatusCode::BAD_REQUEST, "EventIds is empty"));
        }
        if let Some(bad) = ids
            .iter()
            .find(|id| !EVENTS.iter().any(|(e, _, _)| e == id))
        {
            return Err(gw_error(
                StatusCode::BAD_REQUEST,
                format!("EventIds: {bad} is not in the webhook events catalogue"),
            ));
        }
    }
    let endpoint = text("Endpoint");
    if let Some(e) = &endpoint {
        if !super::webhook_delivery::endpoint_allowed(e) {
            return Err(gw_error(
                StatusCode::BAD_REQUEST,
                "Endpoint must be an https URL (http only to a loopback host)",
            ));
        }
    }
    Ok(Fields {
        name: text("Name"),
        description: text("Description"),
        event_ids,
        endpoint,
    })
}
