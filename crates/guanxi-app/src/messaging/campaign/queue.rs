//! Queuing a launched campaign: every customer of the audience gets one delivery row, queued
//! (with its A/B variant, or waiting for the test's winner), kept back as holdout, or skipped
//! with the reason. Rows go in through the writer's transactions, thousands at a time; the
//! unique (origin, customer) makes a relaunch after a crash add only what is missing.

use super::spec::{UNDECIDED, origin_of, spec_of};
use crate::messaging::{Messaging, MessagingError};
use guanxi_domain::messaging::{ConsentStatus, DeliveryStatus, Purpose, Refusal};
use guanxi_domain::{CustomerId, Millis, ShopTimeZone};
use guanxi_store::{CampaignRecord, NewDelivery, Store, StoreResult};
use roaring::RoaringTreemap;
use std::collections::HashMap;

/// Deliveries per write transaction when queuing.
const QUEUE_CHUNK: usize = 5_000;
/// A campaign `queuing` without a sign of life for this long is resumed by `launch_due`; a
/// server queuing one shows life after every chunk.
pub(super) const STALLED_AFTER_MS: i64 = 10 * 60_000;
/// Members read per page of a segment.
const MEMBER_PAGE: u32 = 50_000;
/// The furthest ahead of any shop a customer's clock can be (UTC+14 against UTC−12): how
/// early the store is asked for local-time campaigns.
pub(super) const LOCAL_TIME_LEAD_MS: i64 = 26 * HOUR_MS;
const HOUR_MS: i64 = 3_600_000;
/// Customer ids read at once when looking for their time zones.
const ZONE_WINDOW: i64 = 50_000;

/// How long before its time a local-time campaign is queued: the clocks furthest ahead
/// (UTC+14) reach the time that much before the shop's does.
pub(super) fn local_time_lead(zone: ShopTimeZone, at: Millis) -> i64 {
    (14 * HOUR_MS - zone.offset_ms_at(at)).max(0)
}

/// The time zones of the audience's customers whose `timezone` trait names one other than
/// the shop's.
async fn zones_of(
    store: &dyn Store,
    audience: &RoaringTreemap,
    shop: ShopTimeZone,
) -> StoreResult<HashMap<u64, ShopTimeZone>> {
    let mut zones = HashMap::new();
    let (Some(first), Some(last)) = (audience.min(), audience.max()) else {
        return Ok(zones);
    };
    let mut after = first as i64 - 1;
    while after < last as i64 {
        let up_to = (after + ZONE_WINDOW).min(last as i64);
        for (customer, traits) in store
            .trait_facts_between(CustomerId(after), CustomerId(up_to))
            .await?
        {
            if !audience.contains(customer.0 as u64) {
                continue;
            }
            let named = serde_json::from_str::<serde_json::Value>(&traits)
                .ok()
                .and_then(|t| {
                    t.get("timezone")
                        .and_then(|z| z.as_str())
                        .map(str::to_owned)
                });
            let zone = named.and_then(|z| ShopTimeZone::parse(&z).ok());
            if let Some(zone) = zone.filter(|z| *z != shop) {
                zones.insert(customer.0 as u64, zone);
            }
        }
        after = up_to;
    }
    Ok(zones)
}

/// When a customer's message goes: the campaign's time, or with `local_time` the same time of
/// day on their own clock (never before now).
struct Timing {
    now: Millis,
    send_at: Millis,
    shop: ShopTimeZone,
    zones: HashMap<u64, ShopTimeZone>,
    /// Milliseconds between two messages, with a rate per hour.
    gap_ms: Option<i64>,
}

impl Timing {
    fn base(&self, customer: u64) -> Millis {
        let at = match self.zones.get(&customer) {
            Some(zone) => chrono::NaiveDateTime::parse_from_str(
                &self.shop.format(self.send_at, "%Y-%m-%d %H:%M:%S"),
                "%Y-%m-%d %H:%M:%S",
            )
            .ok()
            .and_then(|wall| zone.instant_of(wall))
            .unwrap_or(self.send_at),
            None => self.send_at,
        };
        at.max(self.now)
    }

    /// The `index`-th message of its kind, paced from `not_before` at the earliest.
    fn at(&self, customer: u64, index: u64, not_before: Millis) -> Millis {
        self.base(customer).max(not_before) + self.gap_ms.map_or(0, |gap| gap * index as i64)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueReport {
    pub audience: u64,
    pub queued: u64,
    pub holdout: u64,
    pub skipped: u64,
}

/// Whether a customer belongs to the holdout of a campaign: a hash of both, so the split is
/// the same on every server and every relaunch.
fn bucket(campaign: i64, customer: u64, buckets: u64) -> u64 {
    let mut h = (campaign as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ customer;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h % buckets
}

async fn members_of(store: &dyn Store, keys: &[String]) -> StoreResult<RoaringTreemap> {
    let mut all = RoaringTreemap::new();
    for key in keys {
        let id = store.segment_id(key).await?;
        let mut after = CustomerId(0);
        loop {
            let page = store.segment_members(id, after, MEMBER_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            all.extend(page.iter().map(|(c, _)| c.0 as u64));
        }
    }
    Ok(all)
}

/// Decides every customer of the audience and writes the deliveries, then marks the
/// campaign sending. Safe to run again: rows already written stay as they are.
pub(super) async fn queue(
    messaging: &Messaging,
    record: &CampaignRecord,
) -> Result<QueueReport, MessagingError> {
    let store = messaging.store.as_ref();
    let spec = spec_of(record)?;
    let started = std::time::Instant::now();
    let mut audience = members_of(store, &spec.audience.segments).await?;
    audience -= members_of(store, &spec.audience.exclude).await?;
    let consented =
        if Refusal::of_consent(record.channel, spec.purpose(), ConsentStatus::Unknown).is_some() {
            let subscribed: RoaringTreemap = store
                .subscribed(record.channel)
                .await?
                .into_iter()
                .map(|c| c.0 as u64)
                .collect();
            Some(subscribed)
        } else {
            None
        };
    let origin = origin_of(record.id);
    let now = messaging.clock.now();
    let shop = messaging.settings.current().time_zone;
    let local = spec.local_time && record.scheduled_at.is_some();
    let timing = Timing {
        now,
        send_at: if local {
            record.scheduled_at.unwrap_or(now)
        } else {
            now
        },
        shop,
        zones: if local {
            zones_of(store, &audience, shop).await?
        } else {
            HashMap::new()
        },
        gap_ms: spec
            .per_hour
            .map(|n| (HOUR_MS / i64::from(n.max(1))).max(1)),
    };
    let marketing = spec.purpose() == Purpose::Marketing;
    // A test's hours count from when its sample goes: with local time, the campaign's time.
    let decide_at = timing.send_at.max(now)
        + spec
            .ab_test
            .as_ref()
            .map_or(0, |ab| i64::from(ab.decide_after_hours) * 3_600_000);
    // Paced positions of messages sent at once and of those waiting for a test's winner.
    let (mut now_index, mut later_index) = (0u64, 0u64);
    let variants: Vec<&str> = spec.variants.iter().map(|v| v.key.as_str()).collect();

    let mut report = QueueReport {
        audience: audience.len(),
        ..QueueReport::default()
    };
    let mut chunk = Vec::with_capacity(QUEUE_CHUNK);
    for customer in audience.iter() {
        let (status, reason) = if consented.as_ref().is_some_and(|c| !c.contains(customer)) {
            report.skipped += 1;
            (
                DeliveryStatus::Skipped,
                Some(Refusal::NoConsent.as_str().to_owned()),
            )
        } else if bucket(record.id, customer, 100) < u64::from(spec.holdout_percent) {
            report.holdout += 1;
            (DeliveryStatus::Holdout, None)
        } else {
            report.queued += 1;
            (DeliveryStatus::Queued, None)
        };
        // A test sample spreads over the variants; the rest waits for the winner.
        let in_sample = spec.ab_test.as_ref().is_none_or(|ab| {
            bucket(record.id ^ 0x0ab7, customer, 100) < u64::from(ab.sample_percent)
        });
        let queued = status == DeliveryStatus::Queued;
        let (variant, run_at) = if in_sample {
            let pick = bucket(record.id ^ 0x5a5a, customer, variants.len() as u64) as usize;
            let at = timing.at(customer, now_index, now);
            now_index += u64::from(queued);
            (variants[pick], at)
        } else {
            let at = timing.at(customer, later_index, decide_at);
            later_index += u64::from(queued);
            (UNDECIDED, at)
        };
        chunk.push(NewDelivery {
            origin: origin.clone(),
            customer: CustomerId(customer as i64),
            channel: record.channel,
            variant: variant.to_owned(),
            status,
            reason,
            run_at,
            marketing,
        });
        if chunk.len() == QUEUE_CHUNK {
            write_chunk(store, &chunk, now).await?;
            chunk.clear();
            // A sign of life, so no other server takes this queuing for stalled.
            store
                .move_campaign(record.id, "queuing", "queuing", messaging.clock.now())
                .await?;
        }
    }
    write_chunk(store, &chunk, now).await?;
    store
        .move_campaign(record.id, "queuing", "sending", messaging.clock.now())
        .await?;
    tracing::info!(
        campaign.id = record.id,
        audience = report.audience,
        queued = report.queued,
        duration_ms = started.elapsed().as_millis() as u64,
        "campaign queued"
    );
    Ok(report)
}

async fn write_chunk(store: &dyn Store, chunk: &[NewDelivery], at: Millis) -> StoreResult<()> {
    if chunk.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    tx.insert_deliveries(chunk, at).await?;
    tx.commit().await
}
