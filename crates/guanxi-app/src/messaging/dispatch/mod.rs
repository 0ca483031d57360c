//! The dispatcher: claims due deliveries, decides again at the moment of sending (consent,
//! suppression, frequency caps, quiet hours), renders and sends, then records every outcome
//! with its timeline event in one write transaction. Transient failures come back with
//! back-off until `MAX_ATTEMPTS`, then are dead-lettered with the last reason.

mod attempt;
mod pacing;
mod plan;
mod test_send;

use super::Messaging;
use super::campaign::UNDECIDED;
use super::channels::{EmailSender, InAppSender, Sender, SmsGateway, WebhookSender, address_kind};
use super::links::LINK_KEY_PURPOSE;
use super::timeline::timeline_events;
use attempt::finished;
use futures::StreamExt;
use guanxi_domain::CustomerId;
use guanxi_domain::messaging::{Channel, ConsentStatus, DeliveryStatus};
use guanxi_store::{Delivery, DeliveryUpdate, StoreResult};
use pacing::Paced;
use plan::Plan;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Deliveries claimed at once.
const BATCH: u32 = 100;
/// How long a claim holds: a sender that dies gives its deliveries back after this.
const LEASE_MS: i64 = 5 * 60_000;
/// Messages handed to channels at once within a batch (each channel still keeps its pace):
/// as many as the SMTP connections kept open.
const SENDS_IN_FLIGHT: usize = crate::messaging::channels::SMTP_CONNECTIONS as usize;
/// How often an idle dispatcher looks for due deliveries and scheduled campaigns.
const IDLE_POLL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: u64,
    /// Refused for good, or dead-lettered.
    pub failed: u64,
    /// Coming back after a back-off.
    pub retried: u64,
    pub skipped: u64,
    /// Waiting for the end of quiet hours.
    pub deferred: u64,
}

impl DispatchReport {
    fn add(&mut self, other: DispatchReport) {
        self.sent += other.sent;
        self.failed += other.failed;
        self.retried += other.retried;
        self.skipped += other.skipped;
        self.deferred += other.deferred;
    }
}

pub struct Dispatcher {
    messaging: Messaging,
    senders: HashMap<Channel, Paced>,
    link_key: [u8; 32],
    coupon_key: [u8; 32],
    /// A/B winners chosen, by campaign.
    winners: tokio::sync::Mutex<HashMap<i64, String>>,
}

impl Dispatcher {
    pub fn new(messaging: Messaging) -> Result<Self, String> {
        let config = &messaging.config;
        let mut senders: Vec<Box<dyn Sender>> =
            vec![Box::new(InAppSender::new(messaging.store.clone()))];
        if let Some(url) = &config.smtp_url {
            senders.push(Box::new(EmailSender::new(
                url,
                &config.mail_from,
                config.email_per_second,
            )?));
        }
        if let Some(gateway) = &config.sms_gateway {
            senders.push(Box::new(SmsGateway::new(gateway.clone())?));
        }
        if let Some(webhook) = &config.webhook {
            senders.push(Box::new(WebhookSender::new(webhook.clone())?));
        }
        let link_key = messaging.store.signing_key(LINK_KEY_PURPOSE);
        let coupon_key = messaging
            .store
            .signing_key(super::coupons::COUPON_KEY_PURPOSE);
        Ok(Self {
            senders: senders
                .into_iter()
                .map(|s| (s.channel(), Paced::new(s)))
                .collect(),
            messaging,
            link_key,
            coupon_key,
            winners: tokio::sync::Mutex::default(),
        })
    }

    /// Launches scheduled campaigns and sends what is due, for as long as the server runs.
    pub async fn run(self: Arc<Self>) {
        loop {
            if let Err(e) = super::campaign::launch_due(&self.messaging).await {
                tracing::warn!(error = %e, "scheduled campaigns could not be read");
            }
            if let Err(e) = self.drain().await {
                tracing::warn!(error = %e, "deliveries could not be sent; trying again shortly");
            }
            tokio::time::sleep(IDLE_POLL).await;
        }
    }

    /// Sends everything due now, batch after batch, until nothing is due.
    pub async fn drain(&self) -> StoreResult<DispatchReport> {
        self.drain_up_to(u64::MAX).await
    }

    /// `drain`, stopping once about `at_most` deliveries were handled (a batch more at most).
    pub async fn drain_up_to(&self, at_most: u64) -> StoreResult<DispatchReport> {
        let mut report = DispatchReport::default();
        let mut handled = 0u64;
        while handled < at_most {
            let now = self.messaging.clock.now();
            let batch = self
                .messaging
                .store
                .claim_deliveries(now, now + LEASE_MS, BATCH)
                .await?;
            handled += batch.len() as u64;
            if batch.is_empty() {
                break;
            }
            report.add(self.send_batch(batch).await?);
        }
        Ok(report)
    }

    async fn send_batch(&self, batch: Vec<Delivery>) -> StoreResult<DispatchReport> {
        let store = self.messaging.store.as_ref();
        let now = self.messaging.clock.now();
        let mut plans: HashMap<String, Option<Plan>> = HashMap::new();
        for d in &batch {
            if !plans.contains_key(&d.origin) {
                let undecided = batch
                    .iter()
                    .any(|o| o.origin == d.origin && o.variant == UNDECIDED);
                plans.insert(d.origin.clone(), self.plan(&d.origin, undecided).await?);
            }
        }
        let customers: Vec<CustomerId> = batch.iter().map(|d| d.customer).collect();
        let widest = self
            .messaging
            .config
            .caps
            .iter()
            .map(|c| c.window_ms())
            .max()
            .unwrap_or(0);
        let mut sent_counts: HashMap<(CustomerId, Channel), u32> = HashMap::new();
        if widest > 0 {
            for (c, ch, n) in store.sent_since(&customers, now - widest).await? {
                sent_counts.insert((c, ch), n);
            }
        }
        let mut addresses: HashMap<(CustomerId, Channel), String> = HashMap::new();
        let mut suppressed: Vec<(Channel, String)> = Vec::new();
        let channels: std::collections::BTreeSet<Channel> =
            batch.iter().map(|d| d.channel).collect();
        for channel in channels {
            let Some(kind) = address_kind(channel) else {
                continue;
            };
            let of_channel: Vec<CustomerId> = batch
                .iter()
                .filter(|d| d.channel == channel)
                .map(|d| d.customer)
                .collect();
            let found = store.contact_addresses(kind, &of_channel).await?;
            let listed: Vec<String> = found.iter().map(|(_, a)| a.clone()).collect();
            suppressed.extend(
                store
                    .suppressed(channel, &listed)
                    .await?
                    .into_iter()
                    .map(|a| (channel, a)),
            );
            addresses.extend(found.into_iter().map(|(c, a)| ((c, channel), a)));
        }

        // Consent may have changed since the messages were queued: read it now, for the
        // batch at once, per channel.
        let mut consents: HashMap<Channel, HashMap<CustomerId, ConsentStatus>> = HashMap::new();
        for channel in batch
            .iter()
            .map(|d| d.channel)
            .collect::<std::collections::BTreeSet<_>>()
        {
            if !channel.needs_consent() {
                continue;
            }
            let of_channel: Vec<CustomerId> = batch
                .iter()
                .filter(|d| d.channel == channel)
                .map(|d| d.customer)
                .collect();
            let statuses = super::consent::statuses_of(store, &of_channel, channel)
                .await
                .map_err(attempt::store_error)?;
            consents.insert(channel, statuses);
        }
        // Local-time campaigns keep quiet hours on each customer's clock.
        let shop_zone = self.messaging.settings.current().time_zone;
        let local: Vec<CustomerId> = batch
            .iter()
            .filter(|d| {
                plans
                    .get(&d.origin)
                    .and_then(Option::as_ref)
                    .is_some_and(|p| p.local_time)
            })
            .map(|d| d.customer)
            .collect();
        let zones: HashMap<CustomerId, guanxi_domain::ShopTimeZone> = if local.is_empty() {
            HashMap::new()
        } else {
            store
                .trait_facts_of(&local)
                .await?
                .into_iter()
                .filter_map(|(c, traits)| Some((c, super::zone_in_traits(&traits)?)))
                .collect()
        };
        // Decide every delivery first (reads), then hand those that may go to their channels
        // several at a time: a message's round trips to a relay are mostly waiting.
        let mut decided: Vec<(Delivery, DeliveryUpdate)> = Vec::with_capacity(batch.len());
        let mut cleared: Vec<(Delivery, Option<String>)> = Vec::new();
        for d in batch {
            let Some(plan) = plans.get(&d.origin).and_then(Option::as_ref) else {
                let update = finished(
                    &d,
                    DeliveryStatus::Failed,
                    "its campaign or journey no longer exists",
                );
                decided.push((d, update));
                continue;
            };
            let address = addresses.get(&(d.customer, d.channel)).map(String::as_str);
            let barred =
                address.is_some_and(|a| suppressed.iter().any(|(c, s)| *c == d.channel && s == a));
            let zone = zones.get(&d.customer).copied().unwrap_or(shop_zone);
            let status = consents
                .get(&d.channel)
                .and_then(|of| of.get(&d.customer))
                .copied()
                .unwrap_or(ConsentStatus::Unknown);
            match self
                .gate(&d, plan, address, barred, (zone, status), &mut sent_counts)
                .await?
            {
                Some(update) => decided.push((d, update)),
                None => cleared.push((d, address.map(str::to_owned))),
            }
        }
        let plans = &plans;
        let sent: Vec<(Delivery, DeliveryUpdate)> = futures::stream::iter(cleared)
            .map(|(d, address)| async move {
                let outcome = match plans.get(&d.origin).and_then(Option::as_ref) {
                    Some(plan) => self.send(&d, plan, address.as_deref()).await,
                    None => Err(attempt_gone()),
                };
                let update = self.outcome(&d, outcome);
                (d, update)
            })
            .buffer_unordered(SENDS_IN_FLIGHT)
            .collect()
            .await;
        decided.extend(sent);

        let mut report = DispatchReport::default();
        let mut updates = Vec::with_capacity(decided.len());
        let mut events = Vec::new();
        for (d, update) in decided {
            match update.status {
                DeliveryStatus::Sent => report.sent += 1,
                DeliveryStatus::Failed | DeliveryStatus::Dead => report.failed += 1,
                DeliveryStatus::Skipped => report.skipped += 1,
                DeliveryStatus::Queued if update.attempted => report.retried += 1,
                DeliveryStatus::Queued => report.deferred += 1,
                _ => {}
            }
            if update.status != DeliveryStatus::Queued {
                events.push((d, update.status, update.error.clone()));
            }
            updates.push(update);
        }
        let mut tx = store.begin_write().await?;
        let changed: std::collections::HashSet<i64> = tx
            .update_deliveries(&updates, now)
            .await?
            .into_iter()
            .collect();
        // Only what this sender's claim still covered reaches the timeline.
        events.retain(|(d, _, _)| changed.contains(&d.id));
        tx.insert_events(&timeline_events(&self.messaging, &events).await?)
            .await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// A delivery whose origin vanished between deciding and sending.
fn attempt_gone() -> crate::messaging::channels::SendError {
    crate::messaging::channels::SendError::Permanent(
        "its campaign or journey no longer exists".into(),
    )
}
