//! Delivery states in the customer's timeline: every outcome the dispatcher records and every
//! open, click and unsubscribe is an event under the `guanxi:messaging` source.

use super::{MESSAGING_SOURCE, Messaging};
use guanxi_domain::messaging::DeliveryStatus;
use guanxi_domain::{EventKind, EventProperties};
use guanxi_store::{Delivery, NewEvent, StoreResult};
use serde_json::json;

/// Timeline events recording deliveries reaching `status`.
pub(crate) async fn timeline_events(
    messaging: &Messaging,
    recorded: &[(Delivery, DeliveryStatus, Option<String>)],
) -> StoreResult<Vec<NewEvent>> {
    if recorded.is_empty() {
        return Ok(Vec::new());
    }
    let source = messaging.store.source_by_name(MESSAGING_SOURCE).await?.id;
    let at = messaging.clock.now();
    Ok(recorded
        .iter()
        .map(|(d, status, reason)| {
            let properties = json!({
                "delivery_id": d.id,
                "origin": d.origin,
                "channel": d.channel.as_str(),
                "variant": d.variant,
                "status": status.as_str(),
                "reason": reason,
            });
            NewEvent {
                source,
                message_id: format!("delivery:{}:{}:{}", d.id, status.as_str(), d.attempts),
                customer: d.customer,
                kind: EventKind::Track,
                name: Some(status.event_name().to_owned()),
                properties: EventProperties::new(EventKind::Track, &properties),
                timestamp: at,
                received_at: at,
            }
        })
        .collect())
}

/// Records timeline events for deliveries tracked outside the dispatcher (opens, clicks).
pub(crate) async fn record_events(
    messaging: &Messaging,
    recorded: &[(Delivery, DeliveryStatus, Option<String>)],
) -> StoreResult<()> {
    let events = timeline_events(messaging, recorded).await?;
    let mut tx = messaging.store.begin_write().await?;
    tx.insert_events(&events).await?;
    tx.commit().await
}
