//! The stand-in posts webhook deliveries: when its data changes ([`super::project_changes`]),
//! a JSON body (`Event`, `Object`, `ObjectId`, `ProjectId`, `UserId`, `OrgId`, `Timestamp`,
//! `Other`) goes to every subscription of that org whose `EventIds` hold the change's
//! catalogue id, with `Authorization: Bearer <JWT>`: RS512 with the provider's signing key
//! (`kid` in the header, the key in its JWKS), `iss` the issuer, `aud` [`WEBHOOK_AUDIENCE`],
//! a `jti` per delivery (kept across its retries, so a receiver can apply it once).
//!
//! Deliveries leave from a background task through a bounded queue ([`QUEUE_CAPACITY`]; a
//! full queue drops and counts), at most [`MAX_IN_FLIGHT`] at once, each retried with
//! doubling waits on a non-2xx answer or a refused connection, at most [`MAX_ATTEMPTS`]
//! times. Nothing documents Filevine's own retry policy: these bounds are the stand-in's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, Semaphore};

use super::data::iso;
use super::state::{lock, Shared};
use super::FakeError;

/// The `aud` of delivery tokens.
pub const WEBHOOK_AUDIENCE: &str = "filevine-v2-webhooks";
/// Deliveries waiting to leave; more are dropped (and counted).
pub const QUEUE_CAPACITY: usize = 1024;
/// Deliveries on the wire at once.
pub const MAX_IN_FLIGHT: usize = 16;
/// Attempts per delivery, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
/// The wait before the first retry; doubled for each further one.
pub const FIRST_RETRY: Duration = Duration::from_millis(200);

/// A change of the stand-in's data, as a delivery describes it.
#[derive(Clone, Debug)]
pub struct Change {
    pub org_id: i64,
    /// The catalogue's object type (`Project`, `Project_Member`).
    pub object: &'static str,
    /// The catalogue's event type (`PhaseChanged`, `Added`...).
    pub event: &'static str,
    pub project_id: i64,
    /// Who made the change (a member's id for `Project_Member` events).
    pub user_id: i64,
    /// Event details (`PhaseName`, `ProjectName`...).
    pub other: Value,
    pub at: time::OffsetDateTime,
}

impl Change {
    /// The sample payload the catalogue shows for `object` + `event`.
    pub(crate) fn sample(org_id: i64, object: &'static str, event: &'static str) -> Change {
        Change {
            org_id,
            object,
            event,
            project_id: 9_000_001,
            user_id: super::data::ADA.user_id,
            other: json!({}),
            at: super::data::anchor(),
        }
    }
}

/// The delivery body of `change`, camelCase (the caller applies the wire's casing).
pub(crate) fn body_of(change: &Change) -> Value {
    let object_id = if change.object == "Project_Member" {
        json!({ "projectId": change.project_id, "userId": change.user_id })
    } else {
        json!({ "projectId": change.project_id })
    };
    json!({
        "event": change.event,
        "object": change.object,
        "objectId": object_id,
        "projectId": change.project_id,
        "userId": change.user_id,
        "orgId": change.org_id,
        "timestamp": iso(change.at),
        "other": change.other,
    })
}

/// Whether the stand-in may post to `endpoint`: https anywhere, plain http to loopback only
/// (the same rule the app applies to its own URLs).
pub(crate) fn endpoint_allowed(endpoint: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint) else {
        return false;
    };
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// One delivery as it went: where, what, and every attempt's outcome.
#[derive(Clone, Debug)]
pub struct DeliveryRecord {
    pub subscription_id: String,
    pub endpoint: String,
    pub object: &'static str,
    pub event: &'static str,
    pub project_id: i64,
    pub jti: String,
    /// Each attempt's HTTP status, or the connection error.
    pub attempts: Vec<Result<u16, String>>,
    /// A 2xx came back.
    pub delivered: bool,
}

/// One delivery to make.
struct Job {
    subscription_id: String,
    endpoint: String,
    change: Change,
}

/// The delivery queue and what it did.
#[derive(Default)]
pub(crate) struct Deliveries {
    queue: Mutex<Option<(mpsc::Sender<Job>, reqwest::Client)>>,
    pub(crate) finished: Mutex<Vec<DeliveryRecord>>,
    pub(crate) dropped: AtomicUsize,
}

/// Starts the delivery task of `shared` (at start-up). It holds the stand-in only weakly
/// between deliveries, so it ends when the stand-in is dropped.
pub(crate) fn start(shared: &Arc<Shared>) -> Result<(), FakeError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .user_agent("Filevine-Webhooks (DEMO stand-in)")
        .build()
        .map_err(|e| FakeError::Config(format!("webhook client: {e}")))?;
    let (tx, mut rx) = mpsc::channel::<Job>(QUEUE_CAPACITY);
    *lock(&shared.webhooks.delivery.queue) = Some((tx, client.clone()));
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let Some(shared) = weak.upgrade() else {
                break;
            };
            let client = client.clone();
            tokio::spawn(async move {
                let _permit = permit;
                deliver(&shared, &client, job).await;
            });
        }
    });
    Ok(())
}

/// Queues a delivery of `change` to every subscription of its org that asked for it.
pub(crate) fn announce(shared: &Shared, change: Change) {
    let Some(id) = super::webhooks::event_id(change.object, change.event) else {
        return;
    };
    let targets: Vec<(String, String)> = lock(&shared.webhooks.subscriptions)
        .get(&change.org_id)
        .into_iter()
        .flatten()
        .filter(|s| s.event_ids.iter().any(|e| e == id))
        .map(|s| (s.id.clone(), s.endpoint.clone()))
        .collect();
    let queue = lock(&shared.webhooks.delivery.queue);
    let Some((tx, _)) = queue.as_ref() else {
        return;
    };
    for (subscription_id, endpoint) in targets {
        let job = Job {
            subscription_id,
            endpoint,
            change: change.clone(),
        };
        if tx.try_send(job).is_err() {
            shared
                .webhooks
                .delivery
                .dropped
                .fetch_add(1, Ordering::SeqCst);
            tracing::warn!("webhook delivery queue full: a delivery was dropped");
        }
    }
}

/// Posts one delivery, retrying as the module docs say, and records how it went.
async fn deliver(shared: &Shared, client: &reqwest::Client, job: Job) {
    let jti = uuid::Uuid::new_v4().to_string();
    let body = shared.wire.cased(body_of(&job.change));
    let mut record = DeliveryRecord {
        subscription_id: job.subscription_id,
        endpoint: job.endpoint.clone(),
        object: job.change.object,
        event: job.change.event,
        project_id: job.change.project_id,
        jti: jti.clone(),
        attempts: Vec::new(),
        delivered: false,
    };
    let claims = super::webhook_token::delivery_claims(shared, &jti);
    let token = match super::webhook_token::sign(shared, &claims) {
        Ok(t) => t,
        Err(e) => {
            record.attempts.push(Err(format!("could not sign: {e}")));
            lock(&shared.webhooks.delivery.finished).push(record);
            return;
        }
    };
    let mut wait = FIRST_RETRY;
    for attempt in 1..=MAX_ATTEMPTS {
        let sent = client
            .post(&job.endpoint)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        let outcome = sent.map(|r| r.status().as_u16()).map_err(|e| e.to_string());
        let ok = matches!(outcome, Ok(s) if (200..300).contains(&s));
        record.attempts.push(outcome);
        if ok {
            record.delivered = true;
            break;
        }
        if attempt < MAX_ATTEMPTS {
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
    if !record.delivered {
        tracing::warn!(endpoint = %record.endpoint, attempts = record.attempts.len(), "webhook delivery failed");
    }
    lock(&shared.webhooks.delivery.finished).push(record);
}
