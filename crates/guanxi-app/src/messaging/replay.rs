//! Replaying a delivery an operator chooses (a webhook the receiver lost, a message that
//! failed for good once its cause is fixed): queued again now, with the same id, so the
//! receiver can still tell a repeat. Only what did not go (and webhooks) can be replayed, so a
//! double click or a stale page sends nothing twice to a customer. Audited.

use super::{Messaging, MessagingError};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_domain::messaging::{Channel, DeliveryStatus};
use guanxi_store::StoreError;
use serde_json::json;

pub async fn replay(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
) -> Result<(), MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    let store = messaging.store.as_ref();
    let delivery = store.delivery(id).await?;
    // What did not go; and a webhook that went, since its receiver may have lost it. A
    // message a customer received is never sent again from here.
    let replayable = matches!(
        delivery.status,
        DeliveryStatus::Failed | DeliveryStatus::Dead
    ) || (delivery.channel == Channel::Webhook
        && matches!(
            delivery.status,
            DeliveryStatus::Sent | DeliveryStatus::Delivered
        ));
    if !replayable {
        return Err(StoreError::Conflict("replay").into());
    }
    store.replay_delivery(id, messaging.clock.now()).await?;
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action: "delivery.replay",
            target: Some(("delivery", id.to_string())),
            detail: json!({}),
            ip: None,
        },
    )
    .await?;
    Ok(())
}
