//! Messaging's rules, free of IO: channels, consent, quiet hours, frequency caps and the length
//! of an SMS. The application decides with these; the store records what was decided.

mod consent;
mod delivery;
mod quiet_hours;
mod sms;
pub mod stats;

pub use consent::{Consent, ConsentStatus, Purpose, Refusal, combined_status};
pub use delivery::{DeliveryStatus, MAX_ATTEMPTS, retry_delay_ms};
pub use quiet_hours::QuietHours;
pub use sms::{SmsEncoding, SmsLength, is_opt_out};

use crate::FieldError;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Sms,
    Webhook,
    /// The shop's own app reads its inbox over the API.
    InApp,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Self::Email, Self::Sms, Self::Webhook, Self::InApp];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Webhook => "webhook",
            Self::InApp => "in_app",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == raw)
            .ok_or_else(|| FieldError::new("channel", "must be email, sms, webhook or in_app"))
    }

    /// Whether marketing over this channel needs the customer's consent. A webhook goes to the
    /// shop's own systems, not to the customer.
    pub fn needs_consent(self) -> bool {
        !matches!(self, Self::Webhook)
    }
}

/// A frequency cap: at most `max` marketing messages in `days` days, over one channel or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrequencyCap {
    pub channel: Option<Channel>,
    pub max: u32,
    pub days: u32,
}

impl FrequencyCap {
    /// Whether one more message keeps within the cap, given how many were sent in its window.
    pub fn allows(&self, sent_in_window: u32) -> bool {
        sent_in_window < self.max
    }

    pub fn window_ms(&self) -> i64 {
        i64::from(self.days) * 86_400_000
    }

    /// Caps as configured: `5/7d` (all channels) and `sms:2/7d` (one), separated by commas;
    /// blank for none.
    pub fn parse_list(raw: &str) -> Result<Vec<Self>, FieldError> {
        let bad = |part: &str| {
            FieldError::new(
                "frequency_caps",
                format!("{part:?} is not a cap: write 5/7d or sms:2/7d"),
            )
        };
        raw.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|part| {
                let (channel, cap) = match part.split_once(':') {
                    Some((c, cap)) => (Some(Channel::parse(c.trim())?), cap),
                    None => (None, part),
                };
                let (max, days) = cap.split_once('/').ok_or_else(|| bad(part))?;
                let days = days.trim().strip_suffix('d').ok_or_else(|| bad(part))?;
                match (max.trim().parse(), days.parse::<u32>()) {
                    (Ok(max), Ok(days)) if days > 0 => Ok(Self { channel, max, days }),
                    _ => Err(bad(part)),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_are_read_as_configured() {
        let caps = FrequencyCap::parse_list("5/7d, sms:2/1d").expect("caps");
        assert_eq!(
            caps,
            [
                FrequencyCap {
                    channel: None,
                    max: 5,
                    days: 7
                },
                FrequencyCap {
                    channel: Some(Channel::Sms),
                    max: 2,
                    days: 1
                },
            ]
        );
        assert!(FrequencyCap::parse_list("").expect("none").is_empty());
        assert!(FrequencyCap::parse_list("5 per week").is_err());
        assert!(FrequencyCap::parse_list("fax:1/1d").is_err());
    }
}
