//! What e-mail relays and SMS gateways report after a message left: delivered, bounced, or
//! marked as spam. Each moves the delivery on once and lands in the customer's timeline; a
//! hard bounce puts the address on the suppression list, a complaint also withdraws the
//! customer's consent to the channel.

use super::{Messaging, MessagingError, consent, timeline};
use guanxi_domain::FieldError;
use guanxi_domain::messaging::DeliveryStatus;
use guanxi_store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// `permanent`: the address does not exist (a hard bounce); a full mailbox is not.
    Bounced {
        permanent: bool,
    },
    Complained,
}

impl Outcome {
    /// `delivered`, `bounced`, `soft_bounced` or `complained` (and the words relays use for
    /// them: `delivery`, `bounce`, `hard_bounce`, `spam`, `complaint`).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "delivered" | "delivery" => Ok(Self::Delivered),
            "bounced" | "bounce" | "hard_bounce" | "failed" => {
                Ok(Self::Bounced { permanent: true })
            }
            "soft_bounced" | "soft_bounce" | "deferred" => Ok(Self::Bounced { permanent: false }),
            "complained" | "complaint" | "spam" | "spamreport" => Ok(Self::Complained),
            _ => Err(FieldError::new(
                "status",
                "must be delivered, bounced, soft_bounced or complained",
            )),
        }
    }
}

/// Applies a provider's report on delivery `id`; answers `false` when no delivery has the id
/// or the report changed nothing (a repeat).
pub async fn report(
    messaging: &Messaging,
    id: i64,
    outcome: Outcome,
    reason: Option<&str>,
) -> Result<bool, MessagingError> {
    let store = messaging.store.as_ref();
    let delivery = match store.delivery(id).await {
        Ok(d) => d,
        Err(StoreError::NotFound(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let now = messaging.clock.now();
    let status = match outcome {
        Outcome::Delivered => DeliveryStatus::Delivered,
        Outcome::Bounced { .. } => DeliveryStatus::Bounced,
        Outcome::Complained => DeliveryStatus::Unsubscribed,
    };
    let suppress_as = match outcome {
        Outcome::Bounced { permanent: true } => Some("bounced"),
        Outcome::Complained => Some("complained"),
        _ => None,
    };
    let kind = super::channels::address_kind(delivery.channel);
    if let (Some(why), Some(kind)) = (suppress_as, kind) {
        let found = store.contact_addresses(kind, &[delivery.customer]).await?;
        for (_, address) in found {
            store.suppress(delivery.channel, &address, why, now).await?;
        }
    }
    if outcome == Outcome::Complained {
        consent::withdraw(messaging, delivery.customer, delivery.channel, "complaint").await?;
    }
    let moved = store.track_delivery(delivery.id, status, now).await?;
    if moved {
        let reason = reason.map(|r| r.chars().take(200).collect::<String>());
        timeline::record_events(messaging, &[(delivery, status, reason)]).await?;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_words_are_understood() {
        assert_eq!(Outcome::parse("Delivery"), Ok(Outcome::Delivered));
        assert_eq!(
            Outcome::parse("hard_bounce"),
            Ok(Outcome::Bounced { permanent: true })
        );
        assert_eq!(
            Outcome::parse("soft_bounce"),
            Ok(Outcome::Bounced { permanent: false })
        );
        assert_eq!(Outcome::parse("spam"), Ok(Outcome::Complained));
        assert!(Outcome::parse("opened").is_err());
    }
}
