//! Consent per channel. Marketing reaches only customers who said yes to that channel; an
//! unsubscribe is never overridden by a merge.

use crate::Millis;
use crate::messaging::Channel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentStatus {
    Subscribed,
    Unsubscribed,
    /// Never asked, or never answered: no marketing (PIPL and GDPR want a yes).
    Unknown,
}

impl ConsentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribed => "subscribed",
            Self::Unsubscribed => "unsubscribed",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "subscribed" => Some(Self::Subscribed),
            "unsubscribed" => Some(Self::Unsubscribed),
            "unknown" => Some(Self::Unknown),
            _ => None,
        }
    }
}

/// One recorded decision: what, where it came from (`api`, `unsubscribe_link`, `sms_reply`,
/// `console`, an import's source) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub channel: Channel,
    pub status: ConsentStatus,
    pub source: String,
    pub at: Millis,
}

/// The status of a customer whose records of one channel are `records`: their own and those of
/// the customers merged into them. An unsubscribe anywhere wins: two records became one person,
/// and one of them said no. A later choice made on the merged customer replaces them all.
pub fn combined_status(records: impl IntoIterator<Item = ConsentStatus>) -> ConsentStatus {
    let mut status = ConsentStatus::Unknown;
    for record in records {
        match record {
            ConsentStatus::Unsubscribed => return ConsentStatus::Unsubscribed,
            ConsentStatus::Subscribed => status = ConsentStatus::Subscribed,
            ConsentStatus::Unknown => {}
        }
    }
    status
}

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Marketing,
    /// Order confirmations, shipping notices, receipts: sent whatever the marketing consent,
    /// and marked as such.
    Transactional,
}

/// Why a message is not sent to a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Marketing, and the customer never said yes to the channel.
    NoConsent,
    /// Marketing, and the customer said no.
    Unsubscribed,
    /// The address is on the channel's suppression list (bounced, complained, added by hand).
    Suppressed,
    /// The customer has no address on the channel.
    NoAddress,
    /// Over a frequency cap.
    FrequencyCap,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoConsent => "no_consent",
            Self::Unsubscribed => "unsubscribed",
            Self::Suppressed => "suppressed",
            Self::NoAddress => "no_address",
            Self::FrequencyCap => "frequency_cap",
        }
    }

    /// Whether a message to a customer with `status` over `channel` is allowed for `purpose`.
    pub fn of_consent(channel: Channel, purpose: Purpose, status: ConsentStatus) -> Option<Self> {
        if purpose == Purpose::Transactional || !channel.needs_consent() {
            return None;
        }
        match status {
            ConsentStatus::Subscribed => None,
            ConsentStatus::Unsubscribed => Some(Self::Unsubscribed),
            ConsentStatus::Unknown => Some(Self::NoConsent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsentStatus::*;

    #[test]
    fn an_unsubscribe_survives_a_merge_whatever_the_order() {
        assert_eq!(combined_status([Subscribed, Unsubscribed]), Unsubscribed);
        assert_eq!(combined_status([Unsubscribed, Subscribed]), Unsubscribed);
        assert_eq!(combined_status([Unknown, Subscribed]), Subscribed);
        assert_eq!(combined_status([]), Unknown);
    }

    #[test]
    fn marketing_needs_a_yes_and_transactional_mail_does_not() {
        use Purpose::*;
        assert_eq!(
            Refusal::of_consent(Channel::Email, Marketing, Unknown),
            Some(Refusal::NoConsent)
        );
        assert_eq!(
            Refusal::of_consent(Channel::Sms, Marketing, Unsubscribed),
            Some(Refusal::Unsubscribed)
        );
        assert_eq!(
            Refusal::of_consent(Channel::Email, Marketing, Subscribed),
            None
        );
        assert_eq!(
            Refusal::of_consent(Channel::Email, Transactional, Unsubscribed),
            None
        );
        assert_eq!(
            Refusal::of_consent(Channel::Webhook, Marketing, Unknown),
            None
        );
    }
}
