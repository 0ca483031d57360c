//! The dispatcher: claims due deliveries, decides again at the moment of sending (consent,
//! suppression, frequency caps, quiet hours), renders and sends, then records every outcome
//! with its timeline event in one write transaction. Transient failures come back with
//! back-off until `MAX_ATTEMPTS`, then are dead-lettered with the last reason.

use super::campaign::results;
use super::campaign::{CampaignSpec, UNDECIDED, spec_of};
use super::channels::{
    EmailSender, InAppSender, Outgoing, SendError, Sender, SmsGateway, WebhookSender,
};
use super::links::{LINK_KEY_PURPOSE, Link, track_clicks};
use super::template::TemplateContent;
use super::templates::{content_of, values_for};
use super::timeline::timeline_events;
use super::{Messaging, MessagingError, consent};
use guanxi_domain::messaging::{
    Channel, ConsentStatus, DeliveryStatus, MAX_ATTEMPTS, Purpose, QuietHours, Refusal,
    retry_delay_ms,
};
use guanxi_domain::{CustomerId, IdentityKind};
use guanxi_store::{CampaignRecord, Delivery, DeliveryUpdate, StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Deliveries claimed at once.
const BATCH: u32 = 100;
/// How long a claim holds: a sender that dies gives its deliveries back after this.
const LEASE_MS: i64 = 5 * 60_000;
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
    /// A/B winners chosen, by campaign.
    winners: tokio::sync::Mutex<HashMap<i64, String>>,
}

fn record_origin(record: &CampaignRecord) -> String {
    super::campaign::origin_of(record.id)
}

/// A sender and the earliest moment its next message may go.
struct Paced {
    sender: Box<dyn Sender>,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Paced {
    fn new(sender: Box<dyn Sender>) -> Self {
        Self {
            sender,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits for this sender's next slot: at most `per_second` messages a second.
    async fn pace(&self) {
        let gap = Duration::from_secs(1) / self.sender.per_second().max(1);
        let mut next = self.next.lock().await;
        let now = tokio::time::Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = (*next).max(now) + gap;
    }
}

/// The identifier kind a channel's address is, if it has one.
fn address_kind(channel: Channel) -> Option<IdentityKind> {
    match channel {
        Channel::Email => Some(IdentityKind::Email),
        Channel::Sms => Some(IdentityKind::Phone),
        Channel::Webhook | Channel::InApp => None,
    }
}

/// What one origin sends: its spec and templates.
struct Plan {
    spec: CampaignSpec,
    templates: HashMap<String, TemplateContent>,
    /// An A/B test's winner, once chosen: what undecided deliveries get.
    winner: Option<String>,
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
        Ok(Self {
            senders: senders
                .into_iter()
                .map(|s| (s.channel(), Paced::new(s)))
                .collect(),
            messaging,
            link_key,
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
        let mut report = DispatchReport::default();
        loop {
            let now = self.messaging.clock.now();
            let batch = self
                .messaging
                .store
                .claim_deliveries(now, now + LEASE_MS, BATCH)
                .await?;
            if batch.is_empty() {
                return Ok(report);
            }
            report.add(self.send_batch(batch).await?);
        }
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

        let mut report = DispatchReport::default();
        let mut updates = Vec::with_capacity(batch.len());
        let mut events = Vec::new();
        for d in batch {
            let plan = plans.get(&d.origin).and_then(Option::as_ref);
            let update = match plan {
                None => finished(
                    &d,
                    DeliveryStatus::Failed,
                    "its campaign or journey no longer exists",
                ),
                Some(plan) => {
                    let address = addresses.get(&(d.customer, d.channel)).map(String::as_str);
                    let barred = address
                        .is_some_and(|a| suppressed.iter().any(|(c, s)| *c == d.channel && s == a));
                    self.attempt(&d, plan, address, barred, &mut sent_counts)
                        .await?
                }
            };
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
        tx.update_deliveries(&updates, now).await?;
        tx.insert_events(&timeline_events(&self.messaging, &events).await?)
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// What an origin sends; with `undecided` deliveries of an A/B test, its winner too.
    async fn plan(&self, origin: &str, undecided: bool) -> StoreResult<Option<Plan>> {
        let Some(id) = origin
            .strip_prefix("campaign:")
            .and_then(|id| id.parse().ok())
        else {
            return Ok(None);
        };
        let store = self.messaging.store.as_ref();
        let record = match store.campaign(id).await {
            Ok(r) => r,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let spec = spec_of(&record)?;
        let mut templates = HashMap::new();
        for variant in &spec.variants {
            match store.template_by_key(&variant.template).await {
                Ok(t) => {
                    templates.insert(variant.template.clone(), content_of(&t)?);
                }
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let winner = if undecided && spec.ab_test.is_some() {
            self.winner_of(&record).await?
        } else {
            None
        };
        Ok(Some(Plan {
            spec,
            templates,
            winner,
        }))
    }

    /// The A/B test's winner, chosen once per server; the rest of the audience is moved to it.
    async fn winner_of(&self, record: &CampaignRecord) -> StoreResult<Option<String>> {
        if let Some(known) = self.winners.lock().await.get(&record.id) {
            return Ok(Some(known.clone()));
        }
        let Some(winner) = results::winner(&self.messaging, record).await? else {
            return Ok(None);
        };
        let moved = self
            .messaging
            .store
            .reassign_variant(&record_origin(record), UNDECIDED, &winner)
            .await?;
        tracing::info!(campaign.id = record.id, variant = %winner, moved, "A/B test decided");
        self.winners.lock().await.insert(record.id, winner.clone());
        Ok(Some(winner))
    }

    fn quiet_hours(&self, channel: Channel) -> Option<QuietHours> {
        match channel {
            Channel::Sms => self.messaging.config.sms_quiet_hours,
            Channel::Email => self.messaging.config.email_quiet_hours,
            _ => None,
        }
    }

    /// Decides and, if it may go, sends one delivery.
    async fn attempt(
        &self,
        d: &Delivery,
        plan: &Plan,
        address: Option<&str>,
        suppressed: bool,
        sent_counts: &mut HashMap<(CustomerId, Channel), u32>,
    ) -> StoreResult<DeliveryUpdate> {
        let now = self.messaging.clock.now();
        let zone = self.messaging.settings.current().time_zone;
        let purpose = plan.spec.purpose();
        if purpose == Purpose::Marketing
            && let Some(until) = self
                .quiet_hours(d.channel)
                .and_then(|q| q.deferred_until(now, zone))
        {
            return Ok(DeliveryUpdate {
                id: d.id,
                status: DeliveryStatus::Queued,
                run_at: Some(until),
                error: Some("quiet hours".into()),
                attempted: false,
            });
        }
        if address.is_none() && address_kind(d.channel).is_some() {
            return Ok(skipped(d, Refusal::NoAddress));
        }
        if suppressed {
            return Ok(skipped(d, Refusal::Suppressed));
        }
        // Consent may have changed since the campaign was queued: ask again now.
        let status = consent::of_customer(self.messaging.store.as_ref(), d.customer)
            .await
            .map_err(store_error)?
            .into_iter()
            .find(|c| c.channel == d.channel)
            .map_or(ConsentStatus::Unknown, |c| c.status);
        if let Some(refusal) = Refusal::of_consent(d.channel, purpose, status) {
            return Ok(skipped(d, refusal));
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
                return Ok(skipped(d, Refusal::FrequencyCap));
            }
        }
        let outcome = self.send(d, plan, address).await;
        Ok(match outcome {
            Ok(()) => {
                *sent_counts.entry((d.customer, d.channel)).or_default() += 1;
                DeliveryUpdate {
                    id: d.id,
                    status: DeliveryStatus::Sent,
                    run_at: None,
                    error: None,
                    attempted: true,
                }
            }
            Err(SendError::Permanent(reason)) => finished(d, DeliveryStatus::Failed, &reason),
            Err(SendError::Transient(reason)) if d.attempts >= MAX_ATTEMPTS => {
                finished(d, DeliveryStatus::Dead, &reason)
            }
            Err(SendError::Transient(reason)) => DeliveryUpdate {
                id: d.id,
                status: DeliveryStatus::Queued,
                run_at: Some(now + retry_delay_ms(d.attempts.saturating_sub(1))),
                error: Some(reason),
                attempted: true,
            },
        })
    }

    async fn send(
        &self,
        d: &Delivery,
        plan: &Plan,
        address: Option<&str>,
    ) -> Result<(), SendError> {
        let variant = match (&plan.winner, d.variant.as_str()) {
            (Some(winner), UNDECIDED) => winner.as_str(),
            _ => d.variant.as_str(),
        };
        let template = plan
            .spec
            .template_of(variant)
            .and_then(|key| plan.templates.get(key))
            .ok_or_else(|| SendError::Permanent("its template was deleted".into()))?;
        let base = self.messaging.config.public_url.trim_end_matches('/');
        let unsubscribe = format!(
            "{base}/m/u/{}",
            Link::Unsubscribe { delivery: d.id }.sign(&self.link_key)
        );
        let values = values_for(&self.messaging, d.customer, Some(unsubscribe.clone()))
            .await
            .map_err(|e| SendError::Transient(format!("the customer could not be read: {e}")))?;
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
        let transactional = plan.spec.purpose() == Purpose::Transactional;
        paced.pace().await;
        paced
            .sender
            .send(&Outgoing {
                delivery: d,
                address,
                rendered: &rendered,
                unsubscribe_url: (!transactional).then_some(unsubscribe.as_str()),
                transactional,
            })
            .await
    }
}

fn store_error(e: MessagingError) -> StoreError {
    match e {
        MessagingError::Action(crate::ActionError::Store(s)) => s,
        other => StoreError::other(other.to_string()),
    }
}

fn skipped(d: &Delivery, refusal: Refusal) -> DeliveryUpdate {
    finished(d, DeliveryStatus::Skipped, refusal.as_str())
}

fn finished(d: &Delivery, status: DeliveryStatus, reason: &str) -> DeliveryUpdate {
    DeliveryUpdate {
        id: d.id,
        status,
        run_at: None,
        error: Some(reason.to_owned()),
        attempted: true,
    }
}
