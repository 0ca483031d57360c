//! Replaying a delivery an operator chooses (a webhook the receiver lost, a message that
//! failed for good once its cause is fixed): queued again now, with the same id, so the
//! receiver can still tell a repeat. Audited.

use super::{Messaging, MessagingError};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::access::{Action, Principal, Resource};
use serde_json::json;

pub async fn replay(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
) -> Result<(), MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    let store = messaging.store.as_ref();
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
