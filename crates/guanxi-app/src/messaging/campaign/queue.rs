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
            let zone = crate::messaging::zone_in_traits(&traits);
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
}

/// Paced times for the messages that go (customer, whether in an A/B test's sample): one
/// after another at least `gap` apart across every time zone, in the order their times come,
/// the sample first and those waiting for the winner from `decide_at` on.
fn paced(
    timing: &Timing,
    going: impl Iterator<Item = (u64, bool)>,
    decide_at: Millis,
    gap: i64,
) -> HashMap<u64, Millis> {
    let (mut sample, mut later) = (Vec::new(), Vec::new());
    for (customer, in_sample) in going {
        let base = timing.base(customer);
        if in_sample {
            sample.push((base, customer));
        } else {
            later.push((base.max(decide_at), customer));
        }
    }
    sample.sort_unstable();
    later.sort_unstable();
    let mut times = HashMap::with_capacity(sample.len() + later.len());
    let mut previous: Option<Millis> = None;
    for (base, customer) in sample.into_iter().chain(later) {
        let at = previous.map_or(base, |p| base.max(p + gap));
        times.insert(customer, at);
        previous = Some(at);
    }
    times
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
    let refused = |customer: u64| consented.as_ref().is_some_and(|c| !c.contains(customer));
    let held_out =
        |customer: u64| bucket(record.id, customer, 100) < u64::from(spec.holdout_percent);
    // A test sample spreads over the variants; the rest waits for the winner.
    let in_sample = |customer: u64| {
        spec.ab_test.as_ref().is_none_or(|ab| {
            bucket(record.id ^ 0x0ab7, customer, 100) < u64::from(ab.sample_percent)
        })
    };
    let paced = match timing.gap_ms {
        Some(gap) => paced(
            &timing,
            audience
                .iter()
                .filter(|c| !refused(*c) && !held_out(*c))
                .map(|c| (c, in_sample(c))),
            decide_at,
            gap,
        ),
        None => HashMap::new(),
    };
    let variants: Vec<&str> = spec.variants.iter().map(|v| v.key.as_str()).collect();

    let mut report = QueueReport {
        audience: audience.len(),
        ..QueueReport::default()
    };
    let mut chunk = Vec::with_capacity(QUEUE_CHUNK);
    for customer in audience.iter() {
        let (status, reason) = if refused(customer) {
            report.skipped += 1;
            (
                DeliveryStatus::Skipped,
                Some(Refusal::NoConsent.as_str().to_owned()),
            )
        } else if held_out(customer) {
            report.holdout += 1;
            (DeliveryStatus::Holdout, None)
        } else {
            report.queued += 1;
            (DeliveryStatus::Queued, None)
        };
        let (variant, not_before) = if in_sample(customer) {
            let pick = bucket(record.id ^ 0x5a5a, customer, variants.len() as u64) as usize;
            (variants[pick], now)
        } else {
            (UNDECIDED, decide_at)
        };
        let run_at = paced
            .get(&customer)
            .copied()
            .unwrap_or_else(|| timing.base(customer).max(not_before));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_keeps_the_rate_across_time_zones_and_after_the_sample() {
        const MIN: i64 = 60_000;
        let shop = ShopTimeZone::CHINA;
        let send_at = 1_800_000_000_000;
        // Customer 2's clock is an hour behind the shop's: their ten comes an hour later.
        let behind = ShopTimeZone::fixed_hours(7).expect("zone");
        let timing = Timing {
            now: send_at - 120 * MIN,
            send_at,
            shop,
            zones: HashMap::from([(2, behind)]),
            gap_ms: Some(30 * MIN),
        };
        let times = paced(
            &timing,
            [(1, true), (2, true), (3, true), (4, false)].into_iter(),
            send_at + 10 * MIN,
            30 * MIN,
        );
        assert_eq!(times[&1], send_at);
        assert_eq!(
            times[&3],
            send_at + 30 * MIN,
            "the rate holds in the shop's zone"
        );
        assert_eq!(times[&2], send_at + 60 * MIN, "an hour behind: its own ten");
        assert_eq!(
            times[&4],
            send_at + 90 * MIN,
            "the winner's share follows the sample, still paced"
        );
    }
}
