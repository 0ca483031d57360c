//! One delivery at the moment of sending: decided again (quiet hours, address, suppression,
//! consent, frequency caps), rendered with its links, and handed to its channel's sender.

use super::Dispatcher;
use super::plan::Plan;
use crate::messaging::MessagingError;
use crate::messaging::channels::{Outgoing, SendError, address_kind};
use crate::messaging::links::{Link, track_clicks};
use crate::messaging::templates::values_for;
use guanxi_domain::CustomerId;
use guanxi_domain::messaging::{
    Channel, ConsentStatus, DeliveryStatus, MAX_ATTEMPTS, Purpose, QuietHours, Refusal,
    retry_delay_ms,
};
use guanxi_store::{Delivery, DeliveryUpdate, StoreError, StoreResult};
use std::collections::HashMap;

/// How long a delivery with no sender on its channel waits before it is looked at again.
const NO_SENDER_RETRY_MS: i64 = 10 * 60_000;

impl Dispatcher {
    fn quiet_hours(&self, channel: Channel) -> Option<QuietHours> {
        match channel {
            Channel::Sms => self.messaging.config.sms_quiet_hours,
            Channel::Email => self.messaging.config.email_quiet_hours,
            _ => None,
        }
    }

    /// Decides whether one delivery may go now: `Some` of what became of it when not (quiet
    /// hours on the clock of `zone` defer it; no address, suppression, consent — its `status`
    /// on the channel, read for the batch — or a cap skip it), `None` when it may, counted
    /// against the caps at once so the rest of the batch sees it.
    pub(super) async fn gate(
        &self,
        d: &Delivery,
        plan: &Plan,
        address: Option<&str>,
        suppressed: bool,
        (zone, status): (guanxi_domain::ShopTimeZone, ConsentStatus),
        sent_counts: &mut HashMap<(CustomerId, Channel), u32>,
    ) -> StoreResult<Option<DeliveryUpdate>> {
        let now = self.messaging.clock.now();
        let purpose = plan.purpose;
        if purpose == Purpose::Marketing
            && let Some(until) = self
                .quiet_hours(d.channel)
                .and_then(|q| q.deferred_until(now, zone))
        {
            return Ok(Some(DeliveryUpdate {
                id: d.id,
                status: DeliveryStatus::Queued,
                run_at: Some(until),
                error: Some("quiet hours".into()),
                attempted: false,
                attempt: d.attempts,
            }));
        }
        if !self.senders.contains_key(&d.channel) {
            // Nothing to send it with on this server yet (no SMTP server or gateway set):
            // it waits, spending no attempt, so configuring one later sends it.
            return Ok(Some(DeliveryUpdate {
                id: d.id,
                status: DeliveryStatus::Queued,
                run_at: Some(now + NO_SENDER_RETRY_MS),
                error: Some(format!("no {} sender is configured", d.channel.as_str())),
                attempted: false,
                attempt: d.attempts,
            }));
        }
        if address.is_none() && address_kind(d.channel).is_some() {
            return Ok(Some(skipped(d, Refusal::NoAddress)));
        }
        if suppressed {
            return Ok(Some(skipped(d, Refusal::Suppressed)));
        }
        // Consent may have changed since the campaign was queued: `status` was read now.
        if let Some(refusal) = Refusal::of_consent(d.channel, purpose, status) {
            return Ok(Some(skipped(d, refusal)));
        }
        if purpose == Purpose::Marketing {
            let total: u32 = sent_counts
                .iter()
                .filter(|((c, _), _)| *c == d.customer)
                .map(|(_, n)| *n)
                .sum();
            let over = self.messaging.config.caps.iter().any(|cap| {
                let count = match cap.channel {
                    Some(ch) => sent_counts.get(&(d.customer, ch)).copied().unwrap_or(0),
                    None => total,
                };
                !cap.allows(count)
            });
            if over {
                return Ok(Some(skipped(d, Refusal::FrequencyCap)));
            }
        }
        *sent_counts.entry((d.customer, d.channel)).or_default() += 1;
        Ok(None)
    }

    /// What became of a delivery its channel was handed.
    pub(super) fn outcome(&self, d: &Delivery, sent: Result<(), SendError>) -> DeliveryUpdate {
        match sent {
            Ok(()) => DeliveryUpdate {
                id: d.id,
                status: DeliveryStatus::Sent,
                run_at: None,
                error: None,
                attempted: true,
                attempt: d.attempts,
            },
            Err(SendError::Permanent(reason)) => finished(d, DeliveryStatus::Failed, &reason),
            Err(SendError::Transient(reason)) if d.attempts >= MAX_ATTEMPTS => {
                finished(d, DeliveryStatus::Dead, &reason)
            }
            Err(SendError::Transient(reason)) => DeliveryUpdate {
                id: d.id,
                status: DeliveryStatus::Queued,
                run_at: Some(
                    self.messaging.clock.now() + retry_delay_ms(d.attempts.saturating_sub(1)),
                ),
                error: Some(reason),
                attempted: true,
                attempt: d.attempts,
            },
        }
    }

    pub(super) async fn send(
        &self,
        d: &Delivery,
        plan: &Plan,
        address: Option<&str>,
    ) -> Result<(), SendError> {
        let template = plan
            .template(&d.variant)
            .ok_or_else(|| SendError::Permanent("its template was deleted".into()))?;
        let base = self.messaging.config.public_url.trim_end_matches('/');
        let unsubscribe = format!(
            "{base}/m/u/{}",
            Link::Unsubscribe { delivery: d.id }.sign(&self.link_key)
        );
        let mut values = values_for(
            &self.messaging,
            template,
            d.customer,
            Some(unsubscribe.clone()),
        )
        .await
        .map_err(|e| SendError::Transient(format!("the customer could not be read: {e}")))?;
        values.insert(
            "coupon_code".into(),
            serde_json::Value::String(crate::messaging::coupons::code_for(d.id, &self.coupon_key)),
        );
        let language = values
            .get("language")
            .or_else(|| values.get("locale"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let mut rendered = template
            .render(template.language_for(language.as_deref()), &values)
            .map_err(|e| SendError::Permanent(format!("{}: {}", e.field, e.reason)))?;
        let Some(paced) = self.senders.get(&d.channel) else {
            return Err(SendError::Transient(format!(
                "no {} sender is configured",
                d.channel.as_str()
            )));
        };
        if d.channel == Channel::Email && !rendered.html.is_empty() {
            let pixel = format!(
                r#"<img src="{base}/m/o/{}" width="1" height="1" alt="">"#,
                Link::Open { delivery: d.id }.sign(&self.link_key)
            );
            rendered.html = track_clicks(&rendered.html, base, d.id, &self.link_key) + &pixel;
        }
        let transactional = plan.purpose == Purpose::Transactional;
        paced.pace().await;
        paced
            .sender
            .send(&Outgoing {
                delivery: d,
                address,
                rendered: &rendered,
                unsubscribe_url: (!transactional).then_some(unsubscribe.as_str()),
                transactional,
                url: plan.url.as_deref(),
            })
            .await
    }
}

/// A use case's error where only a store error can come back.
pub(super) fn store_error(e: MessagingError) -> StoreError {
    match e {
        MessagingError::Action(crate::ActionError::Store(s)) => s,
        other => StoreError::other(other.to_string()),
    }
}

pub(super) fn skipped(d: &Delivery, refusal: Refusal) -> DeliveryUpdate {
    finished(d, DeliveryStatus::Skipped, refusal.as_str())
}

pub(super) fn finished(d: &Delivery, status: DeliveryStatus, reason: &str) -> DeliveryUpdate {
    DeliveryUpdate {
        id: d.id,
        status,
        run_at: None,
        error: Some(reason.to_owned()),
        attempted: true,
        attempt: d.attempts,
    }
}
