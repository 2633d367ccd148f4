//! The calls to Filevine behind live updates ([`super::live_updates`]): subscribe (re-creating
//! a subscription Filevine lost, moving one whose endpoint changed), unsubscribe, and the org
//! and catalogue ids they need. Each failure comes back in plain words for the card.

use super::live_updates::{plain, LIVE_EVENTS, SUBSCRIPTION_NAME};
use crate::{
    filevine::{webhooks::SubscriptionRequest, OrgContext},
    store::LiveSubscriptionRow,
};

/// Subscribes `row`'s org (re-creating a subscription Filevine lost, moving one whose
/// endpoint changed).
pub(super) async fn subscribe(
    gw: &super::ConnectionGateway,
    row: &mut LiveSubscriptionRow,
    endpoint: &str,
) -> Result<(), String> {
    let ctx = org_of(gw, row).await?;
    if let Some(id) = row.subscription_id.clone() {
        match gw
            .webhook_subscription(ctx, &id)
            .await
            .map_err(|e| plain(&e))?
        {
            Some(s) if s.endpoint.as_deref() == Some(endpoint) => return Ok(()),
            Some(_) => {
                let request = request(gw, ctx, endpoint).await?;
                gw.webhook_update(ctx, &id, request)
                    .await
                    .map_err(|e| plain(&e))?;
                row.endpoint = Some(endpoint.to_owned());
                return Ok(());
            }
            None => {
                tracing::warn!(connection = %row.connection, "Filevine no longer has the webhook subscription: subscribing again")
            }
        }
    }
    let request = request(gw, ctx, endpoint).await?;
    let made = gw
        .webhook_subscribe(ctx, request)
        .await
        .map_err(|e| plain(&e))?;
    row.subscription_id = Some(made.id);
    row.endpoint = Some(endpoint.to_owned());
    Ok(())
}

/// Deletes `row`'s subscription, if it has one.
pub(super) async fn unsubscribe(
    gw: &super::ConnectionGateway,
    row: &mut LiveSubscriptionRow,
) -> Result<(), String> {
    let Some(id) = row.subscription_id.clone() else {
        return Ok(());
    };
    let ctx = org_of(gw, row).await?;
    gw.webhook_unsubscribe(ctx, &id)
        .await
        .map_err(|e| plain(&e))?;
    row.subscription_id = None;
    Ok(())
}

/// The org and user the subscription is made in: the connection's first org (remembered on
/// the row, so later calls name the same one).
async fn org_of(
    gw: &super::ConnectionGateway,
    row: &mut LiveSubscriptionRow,
) -> Result<OrgContext, String> {
    if let (Some(org_id), Some(user_id)) = (row.org_id, row.user_id) {
        return Ok(OrgContext { org_id, user_id });
    }
    let who = gw.user_orgs().await.map_err(|e| plain(&e))?;
    let org = who
        .orgs
        .first()
        .ok_or("Filevine lists no organization for this connection's account.")?;
    row.org_id = Some(org.org_id);
    row.user_id = Some(who.user.user_id.native);
    Ok(OrgContext {
        org_id: org.org_id,
        user_id: who.user.user_id.native,
    })
}

/// The subscription request: [`LIVE_EVENTS`] by their catalogue ids.
async fn request(
    gw: &super::ConnectionGateway,
    ctx: OrgContext,
    endpoint: &str,
) -> Result<SubscriptionRequest, String> {
    let catalogue = gw.webhook_events(ctx).await.map_err(|e| plain(&e))?;
    let event_ids: Vec<String> = LIVE_EVENTS
        .iter()
        .filter_map(|(object, event)| {
            catalogue
                .iter()
                .find(|e| e.object_type == *object && e.event_type == *event)
                .and_then(|e| e.id.clone())
        })
        .collect();
    if event_ids.is_empty() {
        return Err(
            "Filevine's webhook catalogue lists none of the project events this app uses.".into(),
        );
    }
    Ok(SubscriptionRequest {
        name: SUBSCRIPTION_NAME.into(),
        description: "Keeps the app's dashboards and reports current.".into(),
        event_ids,
        endpoint: endpoint.to_owned(),
    })
}
