//! Last-touch attribution: an order belongs to the last message its customer clicked within
//! that channel's click window; failing a click, the last opened within the open window;
//! failing that, the last sent within the sent window (SMS, where opens are unseen). Windows
//! are per channel and configurable.

use guanxi_domain::Millis;
use guanxi_domain::messaging::Channel;
use guanxi_store::{OrderFact, Touch};
use std::collections::HashMap;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TouchKind {
    Clicked,
    Opened,
    Sent,
}

/// How long after each kind of touch an order still counts, per channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    days: HashMap<(Channel, TouchKind), u32>,
}

impl Default for Windows {
    /// E-mail: click 5 days, open 1; SMS: click 5, sent 1; in-app: click 5, read 1.
    fn default() -> Self {
        use Channel::*;
        use TouchKind::*;
        Self {
            days: [
                ((Email, Clicked), 5),
                ((Email, Opened), 1),
                ((Sms, Clicked), 5),
                ((Sms, Sent), 1),
                ((InApp, Clicked), 5),
                ((InApp, Opened), 1),
            ]
            .into_iter()
            .collect(),
        }
    }
}

impl Windows {
    /// The defaults with the configured windows laid over them: `email.clicked:5,
    /// sms.sent:2` (days; 0 turns a kind off).
    pub fn parse(raw: &str) -> Result<Self, guanxi_domain::FieldError> {
        let mut windows = Self::default();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || {
                guanxi_domain::FieldError::new(
                    "attribution_windows",
                    format!("{part:?} is not a window: write email.clicked:5 (days)"),
                )
            };
            let (touch, days) = part.split_once(':').ok_or_else(bad)?;
            let (channel, kind) = touch.trim().split_once('.').ok_or_else(bad)?;
            let kind = match kind {
                "clicked" => TouchKind::Clicked,
                "opened" => TouchKind::Opened,
                "sent" => TouchKind::Sent,
                _ => return Err(bad()),
            };
            let days = days.trim().parse().map_err(|_| bad())?;
            windows.set(Channel::parse(channel)?, kind, days);
        }
        Ok(windows)
    }

    pub fn set(&mut self, channel: Channel, kind: TouchKind, days: u32) {
        self.days.insert((channel, kind), days);
    }

    pub fn window_ms(&self, channel: Channel, kind: TouchKind) -> Option<i64> {
        self.days
            .get(&(channel, kind))
            .filter(|d| **d > 0)
            .map(|d| i64::from(*d) * DAY_MS)
    }

    /// The longest window of any kind: how far back an order's touches can lie.
    pub fn longest_ms(&self) -> i64 {
        self.days
            .values()
            .copied()
            .max()
            .map_or(0, |d| i64::from(d) * DAY_MS)
    }
}

fn moment(touch: &Touch, kind: TouchKind) -> Option<Millis> {
    match kind {
        TouchKind::Clicked => touch.clicked_at,
        TouchKind::Opened => touch.opened_at.or(touch.clicked_at),
        TouchKind::Sent => touch.sent_at,
    }
}

/// The delivery each order is attributed to, if any: (order's index, delivery id).
pub fn attribute(orders: &[OrderFact], touches: &[Touch], windows: &Windows) -> Vec<(usize, i64)> {
    let mut by_customer: HashMap<i64, Vec<&Touch>> = HashMap::new();
    for t in touches {
        by_customer.entry(t.customer.0).or_default().push(t);
    }
    let mut out = Vec::new();
    for (i, order) in orders.iter().enumerate() {
        let Some(candidates) = by_customer.get(&order.customer.0) else {
            continue;
        };
        for kind in [TouchKind::Clicked, TouchKind::Opened, TouchKind::Sent] {
            let last = candidates
                .iter()
                .filter_map(|t| {
                    let at = moment(t, kind)?;
                    let window = windows.window_ms(t.channel, kind)?;
                    (at <= order.at && order.at - at <= window).then_some((at, t.delivery))
                })
                .max();
            if let Some((_, delivery)) = last {
                out.push((i, delivery));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_windows_lie_over_the_defaults() {
        let windows = Windows::parse("email.clicked:7, sms.sent:0").expect("windows");
        assert_eq!(
            windows.window_ms(Channel::Email, TouchKind::Clicked),
            Some(7 * DAY_MS)
        );
        assert_eq!(
            windows.window_ms(Channel::Sms, TouchKind::Sent),
            None,
            "off"
        );
        assert_eq!(
            windows.window_ms(Channel::Email, TouchKind::Opened),
            Some(DAY_MS),
            "a default kept"
        );
        assert!(Windows::parse("email.viewed:3").is_err());
    }
    use guanxi_domain::CustomerId;
    use guanxi_domain::messaging::DeliveryStatus;

    const T0: Millis = 1_800_000_000_000;

    fn touch(
        delivery: i64,
        channel: Channel,
        sent: Millis,
        opened: Option<Millis>,
        clicked: Option<Millis>,
    ) -> Touch {
        Touch {
            delivery,
            origin: format!("campaign:{delivery}"),
            customer: CustomerId(1),
            channel,
            variant: String::new(),
            status: DeliveryStatus::Sent,
            sent_at: Some(sent),
            opened_at: opened,
            clicked_at: clicked,
        }
    }

    fn order(at: Millis) -> OrderFact {
        OrderFact {
            customer: CustomerId(1),
            at,
            value: 100,
        }
    }

    #[test]
    fn a_click_beats_a_later_open_and_windows_close() {
        let touches = [
            touch(1, Channel::Email, T0, Some(T0 + 10), Some(T0 + 20)),
            touch(2, Channel::Email, T0 + DAY_MS, Some(T0 + DAY_MS + 10), None),
        ];
        let w = Windows::default();
        // Two days on: the open of message 2 is within its day, but message 1 was clicked.
        assert_eq!(
            attribute(&[order(T0 + 2 * DAY_MS)], &touches, &w),
            vec![(0, 1)]
        );
        // Six days on, the click window of 5 days has closed and the open's too.
        assert!(attribute(&[order(T0 + 6 * DAY_MS)], &touches, &w).is_empty());
        // An order before any touch belongs to none.
        assert!(attribute(&[order(T0 - 1)], &touches, &w).is_empty());
    }

    #[test]
    fn an_sms_counts_when_sent_and_an_unopened_email_does_not() {
        let touches = [
            touch(1, Channel::Email, T0, None, None),
            touch(2, Channel::Sms, T0 + 5, None, None),
        ];
        assert_eq!(
            attribute(&[order(T0 + 3_600_000)], &touches, &Windows::default()),
            vec![(0, 2)]
        );
        let mut w = Windows::default();
        w.set(Channel::Sms, TouchKind::Sent, 0);
        assert!(attribute(&[order(T0 + 3_600_000)], &touches, &w).is_empty());
    }
}
