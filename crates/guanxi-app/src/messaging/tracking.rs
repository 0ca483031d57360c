//! What customers do with messages: opens (the pixel), clicks (the redirect) and
//! unsubscribes (the link, one-click or the page). Each moves the delivery forward once and
//! lands in the customer's timeline.

use super::links::{LINK_KEY_PURPOSE, Link};
use super::{Messaging, MessagingError, consent, timeline};
use guanxi_domain::messaging::DeliveryStatus;
use guanxi_store::StoreError;

/// What a verified link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracked {
    Opened,
    /// Where to send the browser.
    Clicked(String),
    Unsubscribed,
}

/// Follows a link's token: `None` when it is forged or names no delivery.
pub async fn follow(
    messaging: &Messaging,
    token: &str,
    unsubscribe: bool,
) -> Result<Option<Tracked>, MessagingError> {
    let key = messaging.store.signing_key(LINK_KEY_PURPOSE);
    let Some(link) = Link::verify(token, &key) else {
        return Ok(None);
    };
    let delivery = match messaging.store.delivery(link.delivery()).await {
        Ok(d) => d,
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let now = messaging.clock.now();
    let (status, tracked) = match link {
        Link::Open { .. } => (DeliveryStatus::Opened, Tracked::Opened),
        Link::Click { url, .. } => (DeliveryStatus::Clicked, Tracked::Clicked(url)),
        Link::Unsubscribe { .. } if unsubscribe => {
            (DeliveryStatus::Unsubscribed, Tracked::Unsubscribed)
        }
        // Showing the unsubscribe page changes nothing: mail scanners fetch links.
        Link::Unsubscribe { .. } => return Ok(Some(Tracked::Unsubscribed)),
    };
    if status == DeliveryStatus::Unsubscribed {
        consent::withdraw(
            messaging,
            delivery.customer,
            delivery.channel,
            "unsubscribe_link",
        )
        .await?;
    }
    if messaging
        .store
        .track_delivery(delivery.id, status, now)
        .await?
    {
        timeline::record_events(messaging, &[(delivery, status, None)]).await?;
    }
    Ok(Some(tracked))
}

/// The shop's app says the customer read an in-app message: the inbox marks it read and the
/// delivery counts as opened. Answers `false` when no such message is theirs.
pub async fn inbox_read(
    messaging: &Messaging,
    customer: guanxi_domain::CustomerId,
    delivery: i64,
) -> Result<bool, MessagingError> {
    let store = messaging.store.as_ref();
    let now = messaging.clock.now();
    if !store.mark_inbox_read(customer, delivery, now).await?
        && !store
            .inbox(customer, 1_000)
            .await?
            .iter()
            .any(|m| m.delivery == delivery)
    {
        return Ok(false);
    }
    let d = store.delivery(delivery).await?;
    if store
        .track_delivery(d.id, DeliveryStatus::Opened, now)
        .await?
    {
        timeline::record_events(messaging, &[(d, DeliveryStatus::Opened, None)]).await?;
    }
    Ok(true)
}
