//! What e-mail relays and SMS gateways report after a message left: delivered, bounced, or
//! marked as spam. Each moves the delivery on once and lands in the customer's timeline; a
//! hard bounce puts the address on the suppression list, a complaint also withdraws the
//! customer's consent to the channel. Only a report that moves the delivery acts, and only
//! the provider's status code is kept, never its text.

use super::{Messaging, MessagingError, consent, timeline};
use guanxi_domain::FieldError;
use guanxi_domain::messaging::DeliveryStatus;
use guanxi_store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// The address does not exist (a hard bounce): it goes on the suppression list.
    Bounced,
    /// It did not arrive this time (a full mailbox, a phone switched off): nothing changes,
    /// and a later "delivered" or "bounced" still counts.
    SoftBounced,
    Complained,
}

impl Outcome {
    /// `delivered`, `bounced`, `soft_bounced` or `complained` (and the words relays use for
    /// them: `delivery`, `bounce`, `hard_bounce`, `failed`, `deferred`, `spam`, `complaint`).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "delivered" | "delivery" => Ok(Self::Delivered),
            "bounced" | "bounce" | "hard_bounce" => Ok(Self::Bounced),
            // An SMS gateway's "failed" is as often a phone switched off as a dead number.
            "soft_bounced" | "soft_bounce" | "deferred" | "failed" => Ok(Self::SoftBounced),
            "complained" | "complaint" | "spam" | "spamreport" => Ok(Self::Complained),
            _ => Err(FieldError::new(
                "status",
                "must be delivered, bounced, soft_bounced or complained",
            )),
        }
    }
}

/// What of a provider's reason is kept: its status code (`550 5.1.1`, `DELIVRD`), never the
/// rest, where relays repeat the recipient's address.
fn code_of(reason: &str) -> Option<String> {
    let code: Vec<&str> = reason
        .split_whitespace()
        .take_while(|w| {
            w.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c.is_ascii_uppercase() || c == '_')
        })
        .take(2)
        .collect();
    (!code.is_empty()).then(|| code.join(" "))
}

/// Applies a provider's report on delivery `id`; answers `false` when no delivery has the id
/// or the report changed nothing (a repeat, which therefore changes nothing else either).
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
    let reason = reason.and_then(code_of);
    let status = match outcome {
        Outcome::Delivered => DeliveryStatus::Delivered,
        Outcome::Bounced => DeliveryStatus::Bounced,
        Outcome::Complained => DeliveryStatus::Unsubscribed,
        // The relay tries again on its own; what it says in the end is what counts.
        Outcome::SoftBounced => return Ok(false),
    };
    if !store.track_delivery(delivery.id, status, now).await? {
        return Ok(false);
    }
    // Only a report that moved the delivery acts: a resent one must not withdraw consent
    // the customer gave again since, nor suppress an address they have changed to.
    let suppress_as = match outcome {
        Outcome::Bounced => Some("bounced"),
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
    timeline::record_events(messaging, &[(delivery, status, reason)]).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_words_are_understood() {
        assert_eq!(Outcome::parse("Delivery"), Ok(Outcome::Delivered));
        assert_eq!(Outcome::parse("hard_bounce"), Ok(Outcome::Bounced));
        assert_eq!(Outcome::parse("soft_bounce"), Ok(Outcome::SoftBounced));
        assert_eq!(Outcome::parse("failed"), Ok(Outcome::SoftBounced));
        assert_eq!(Outcome::parse("spam"), Ok(Outcome::Complained));
        assert!(Outcome::parse("opened").is_err());
    }

    #[test]
    fn only_the_code_of_a_reason_is_kept() {
        assert_eq!(
            code_of("550 5.1.1 <li@example.com>: Recipient address rejected"),
            Some("550 5.1.1".to_owned())
        );
        assert_eq!(code_of("UNDELIV"), Some("UNDELIV".to_owned()));
        assert_eq!(code_of("li@example.com does not exist"), None);
    }
}
