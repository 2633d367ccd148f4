//! Filevine's webhook subscription operations at the gateway (`/fv-app/v2/webhooks/...`,
//! published in Filevine's export): the event catalogue, and create, read, update and delete
//! of one subscription. Subscriptions are per org (the tenant headers), and every call needs
//! the `filevine.v2.webhooks` scope on the token.
//!
//! [`Gateway::webhooks`] is the one raw call each gateway implements (so the pooled gateway
//! wraps one method, not six); the typed operations below read its answers into models that
//! take either casing, like every other model of the gateway.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lenient::null_is_empty;
use super::{AuthedError, AuthedGateway, GatewayError, OrgContext, TokenSource};

/// The scope a token needs for the webhook operations.
pub const WEBHOOKS_SCOPE: &str = "filevine.v2.webhooks";

/// One webhook operation, as the gateway client sends it.
#[derive(Clone, Debug)]
pub enum WebhookCall {
    /// `GET /fv-app/v2/webhooks/Events`.
    Events,
    /// `POST /fv-app/v2/webhooks/subscription`.
    Create(SubscriptionRequest),
    /// `GET /fv-app/v2/webhooks/subscription/{id}`.
    Get(String),
    /// `PUT /fv-app/v2/webhooks/subscription/{id}`.
    Update(String, SubscriptionRequest),
    /// `DELETE /fv-app/v2/webhooks/subscription/{id}`.
    Delete(String),
}

impl WebhookCall {
    /// Method, path (relative to the gateway base) and JSON body.
    pub fn request(&self) -> (reqwest::Method, String, Option<Value>) {
        use reqwest::Method;
        let one = |id: &str| {
            let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
            format!("fv-app/v2/webhooks/subscription/{id}")
        };
        let body = |r: &SubscriptionRequest| serde_json::to_value(r).ok();
        match self {
            WebhookCall::Events => (Method::GET, "fv-app/v2/webhooks/Events".into(), None),
            WebhookCall::Create(r) => (
                Method::POST,
                "fv-app/v2/webhooks/subscription".into(),
                body(r),
            ),
            WebhookCall::Get(id) => (Method::GET, one(id), None),
            WebhookCall::Update(id, r) => (Method::PUT, one(id), body(r)),
            WebhookCall::Delete(id) => (Method::DELETE, one(id), None),
        }
    }
}

/// The published `CreateWebhookSubscriptionRequest` (and `Update...`, the same fields), sent
/// in the export's PascalCase.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionRequest {
    pub name: String,
    pub description: String,
    pub event_ids: Vec<String>,
    pub endpoint: String,
}

/// One entry of the catalogue (`ApiSubscriptionEventDto`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    #[serde(default, alias = "Id")]
    pub id: Option<String>,
    #[serde(default, alias = "Name")]
    pub name: Option<String>,
    #[serde(alias = "ObjectType")]
    pub object_type: String,
    #[serde(alias = "EventType")]
    pub event_type: String,
}

/// A subscription (`ApiSubscriptionResponse`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSubscription {
    #[serde(alias = "Id")]
    pub id: String,
    #[serde(default, alias = "Name")]
    pub name: Option<String>,
    #[serde(default, alias = "EventIds", deserialize_with = "null_is_empty")]
    pub event_ids: Vec<String>,
    #[serde(default, alias = "Endpoint")]
    pub endpoint: Option<String>,
}

fn decode<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, GatewayError> {
    serde_json::from_value(v).map_err(|e| GatewayError::Decode(e.to_string()))
}

impl<S: TokenSource> AuthedGateway<S> {
    async fn webhook_call(
        &self,
        ctx: OrgContext,
        call: WebhookCall,
    ) -> Result<Value, AuthedError<S::Error>> {
        let call = &call;
        self.with_token(|t| async move { self.gateway().webhooks(&t, ctx, call).await })
            .await
    }

    /// The org's webhook event catalogue.
    pub async fn webhook_events(
        &self,
        ctx: OrgContext,
    ) -> Result<Vec<WebhookEvent>, AuthedError<S::Error>> {
        let v = self.webhook_call(ctx, WebhookCall::Events).await?;
        decode(v).map_err(AuthedError::Gateway)
    }

    /// Subscribes the org.
    pub async fn webhook_subscribe(
        &self,
        ctx: OrgContext,
        request: SubscriptionRequest,
    ) -> Result<WebhookSubscription, AuthedError<S::Error>> {
        let v = self.webhook_call(ctx, WebhookCall::Create(request)).await?;
        decode(v).map_err(AuthedError::Gateway)
    }

    /// One subscription; `None` when Filevine has no such subscription (any more).
    pub async fn webhook_subscription(
        &self,
        ctx: OrgContext,
        id: &str,
    ) -> Result<Option<WebhookSubscription>, AuthedError<S::Error>> {
        match self
            .webhook_call(ctx, WebhookCall::Get(id.to_owned()))
            .await
        {
            Ok(v) => decode(v).map(Some).map_err(AuthedError::Gateway),
            Err(AuthedError::Gateway(GatewayError::NotFound)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces a subscription's fields.
    pub async fn webhook_update(
        &self,
        ctx: OrgContext,
        id: &str,
        request: SubscriptionRequest,
    ) -> Result<WebhookSubscription, AuthedError<S::Error>> {
        let v = self
            .webhook_call(ctx, WebhookCall::Update(id.to_owned(), request))
            .await?;
        decode(v).map_err(AuthedError::Gateway)
    }

    /// Deletes a subscription; one Filevine no longer has counts as deleted.
    pub async fn webhook_unsubscribe(
        &self,
        ctx: OrgContext,
        id: &str,
    ) -> Result<(), AuthedError<S::Error>> {
        match self
            .webhook_call(ctx, WebhookCall::Delete(id.to_owned()))
            .await
        {
            Ok(_) | Err(AuthedError::Gateway(GatewayError::NotFound)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
