//! The life of one message to one customer, as its delivery row records it.

/// Where a delivery stands. `Queued` and `Sending` are the queue; the rest are outcomes, and
/// the tracked ones move forward only (a click after an open, never back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeliveryStatus {
    Queued,
    /// Claimed by a sender; a sender that dies leaves it to be claimed again after its lease.
    Sending,
    Sent,
    Delivered,
    Opened,
    Clicked,
    /// The receiving server refused the address for good.
    Bounced,
    /// Refused for good by the channel (an invalid address, a template that cannot render).
    Failed,
    /// Retried until the attempts ran out; the last error says why.
    Dead,
    /// The customer unsubscribed through this message.
    Unsubscribed,
    /// Kept back as the control group: never sent, counted for lift.
    Holdout,
    /// Not sent: no consent, suppressed, no address, over a frequency cap (the reason says).
    Skipped,
}

impl DeliveryStatus {
    pub const ALL: [Self; 12] = [
        Self::Queued,
        Self::Sending,
        Self::Sent,
        Self::Delivered,
        Self::Opened,
        Self::Clicked,
        Self::Bounced,
        Self::Failed,
        Self::Dead,
        Self::Unsubscribed,
        Self::Holdout,
        Self::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Opened => "opened",
            Self::Clicked => "clicked",
            Self::Bounced => "bounced",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Unsubscribed => "unsubscribed",
            Self::Holdout => "holdout",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the message left us: it counts as sent for caps, attribution and reports.
    pub fn reached_channel(self) -> bool {
        matches!(
            self,
            Self::Sent | Self::Delivered | Self::Opened | Self::Clicked | Self::Unsubscribed
        )
    }

    /// The name of the timeline event that records reaching this state.
    pub fn event_name(self) -> &'static str {
        match self {
            Self::Queued | Self::Sending => "Message Queued",
            Self::Sent => "Message Sent",
            Self::Delivered => "Message Delivered",
            Self::Opened => "Message Opened",
            Self::Clicked => "Message Clicked",
            Self::Bounced => "Message Bounced",
            Self::Failed | Self::Dead => "Message Failed",
            Self::Unsubscribed => "Unsubscribed",
            Self::Holdout | Self::Skipped => "Message Skipped",
        }
    }
}

/// How long to wait before attempt `attempts + 1` after a transient failure: 30 s doubling,
/// at most six hours.
pub fn retry_delay_ms(attempts: u32) -> i64 {
    let doubled = 30_000i64.saturating_mul(1i64 << attempts.min(20));
    doubled.min(6 * 3_600_000)
}

/// Attempts before a delivery is dead-lettered: about eight and a half hours of back-off.
pub const MAX_ATTEMPTS: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_and_back_off_grows_to_a_ceiling() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(retry_delay_ms(0), 30_000);
        assert_eq!(retry_delay_ms(1), 60_000);
        assert_eq!(retry_delay_ms(30), 6 * 3_600_000);
        assert!(DeliveryStatus::Clicked > DeliveryStatus::Opened);
    }
}
