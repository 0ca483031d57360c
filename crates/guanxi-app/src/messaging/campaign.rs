//! Campaigns: a one-off send to an audience of segments minus exclusions. Launching decides,
//! for every customer of the audience, one delivery row: queued (with its A/B variant), kept
//! back as holdout, or skipped with the reason (no consent). Rows go in through the writer's
//! transactions, thousands at a time; the unique (origin, customer) makes a relaunch after a
//! crash add only what is missing.

use super::{Messaging, MessagingError};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_domain::messaging::{Channel, DeliveryStatus, Purpose, Refusal};
use guanxi_domain::{CustomerId, FieldError, Millis};
use guanxi_store::{
    CampaignRecord, DeliveryCount, NewCampaign, NewDelivery, Store, StoreError, StoreResult,
};
use roaring::RoaringTreemap;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Deliveries per write transaction when queuing.
const QUEUE_CHUNK: usize = 5_000;
/// Members read per page of a segment.
const MEMBER_PAGE: u32 = 50_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Customers in any of these segments (by key)…
    pub segments: Vec<String>,
    /// …and in none of these.
    #[serde(default)]
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// `a`, `b`, …
    pub key: String,
    /// The template's key.
    pub template: String,
}

/// A campaign as its author defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    pub audience: Audience,
    /// One variant, or several to test against each other.
    pub variants: Vec<Variant>,
    /// `transactional` messages ignore marketing consent (and are marked as such).
    #[serde(default)]
    pub transactional: bool,
    /// Percent of the audience kept back as the control group (0 to 50).
    #[serde(default)]
    pub holdout_percent: u8,
}

impl CampaignSpec {
    pub fn purpose(&self) -> Purpose {
        if self.transactional {
            Purpose::Transactional
        } else {
            Purpose::Marketing
        }
    }

    pub fn template_of(&self, variant: &str) -> Option<&str> {
        self.variants
            .iter()
            .find(|v| v.key == variant)
            .or_else(|| self.variants.first())
            .map(|v| v.template.as_str())
    }
}

pub fn origin_of(campaign: i64) -> String {
    format!("campaign:{campaign}")
}

pub fn spec_of(record: &CampaignRecord) -> StoreResult<CampaignSpec> {
    serde_json::from_str(&record.spec)
        .map_err(|e| StoreError::other(format!("stored campaign {} is corrupt: {e}", record.id)))
}

#[derive(Debug, Clone)]
pub struct CampaignForm {
    pub name: String,
    pub channel: String,
    pub spec: serde_json::Value,
    /// When to send; `None` keeps it a draft until launched.
    pub send_at: Option<Millis>,
}

async fn checked(
    messaging: &Messaging,
    form: &CampaignForm,
) -> Result<NewCampaign, MessagingError> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(FieldError::new("name", "must be 1 to 120 characters").into());
    }
    let channel = Channel::parse(form.channel.trim())?;
    let spec: CampaignSpec = serde_json::from_value(form.spec.clone())
        .map_err(|e| FieldError::new("spec", e.to_string()))?;
    if spec.audience.segments.is_empty() {
        return Err(
            FieldError::new("spec.audience.segments", "must name at least one segment").into(),
        );
    }
    let store = messaging.store.as_ref();
    for (list, keys) in [
        ("segments", &spec.audience.segments),
        ("exclude", &spec.audience.exclude),
    ] {
        for (i, key) in keys.iter().enumerate() {
            match store.segment_id(key).await {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => {
                    return Err(FieldError::new(
                        format!("spec.audience.{list}[{i}]"),
                        format!("no segment has the key {key:?}"),
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    if spec.variants.is_empty() || spec.variants.len() > 5 {
        return Err(FieldError::new("spec.variants", "must hold 1 to 5 variants").into());
    }
    for (i, variant) in spec.variants.iter().enumerate() {
        if variant.key.is_empty()
            || spec
                .variants
                .iter()
                .filter(|v| v.key == variant.key)
                .count()
                > 1
        {
            return Err(FieldError::new(
                format!("spec.variants[{i}].key"),
                "must be set and unique",
            )
            .into());
        }
        match store.template_by_key(&variant.template).await {
            Ok(t) if t.channel == channel => {}
            Ok(t) => {
                return Err(FieldError::new(
                    format!("spec.variants[{i}].template"),
                    format!(
                        "is a {} template, not {}",
                        t.channel.as_str(),
                        channel.as_str()
                    ),
                )
                .into());
            }
            Err(StoreError::NotFound(_)) => {
                return Err(FieldError::new(
                    format!("spec.variants[{i}].template"),
                    format!("no template has the key {:?}", variant.template),
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    if spec.holdout_percent > 50 {
        return Err(FieldError::new("spec.holdout_percent", "must be 0 to 50").into());
    }
    Ok(NewCampaign {
        name: name.to_owned(),
        channel,
        spec: serde_json::to_string(&spec).map_err(StoreError::other)?,
        status: if form.send_at.is_some() {
            "scheduled"
        } else {
            "draft"
        }
        .to_owned(),
        scheduled_at: form.send_at,
    })
}

async fn audited(
    store: &dyn Store,
    principal: &Principal,
    action: &'static str,
    id: i64,
    detail: serde_json::Value,
) -> Result<(), MessagingError> {
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action,
            target: Some(("campaign", id.to_string())),
            detail,
            ip: None,
        },
    )
    .await?;
    Ok(())
}

pub async fn create(
    messaging: &Messaging,
    principal: &Principal,
    form: &CampaignForm,
) -> Result<CampaignRecord, MessagingError> {
    principal.require(Resource::Campaigns, Action::Create)?;
    let new = checked(messaging, form).await?;
    let store = messaging.store.as_ref();
    let saved = store.create_campaign(&new, messaging.clock.now()).await?;
    audited(
        store,
        principal,
        "campaign.create",
        saved.id,
        json!({"status": saved.status}),
    )
    .await?;
    Ok(saved)
}

pub async fn update(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
    form: &CampaignForm,
) -> Result<CampaignRecord, MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    let new = checked(messaging, form).await?;
    let store = messaging.store.as_ref();
    let saved = store
        .update_campaign(id, &new, messaging.clock.now())
        .await?;
    audited(
        store,
        principal,
        "campaign.update",
        id,
        json!({"status": saved.status}),
    )
    .await?;
    Ok(saved)
}

/// Launches a draft now: queues its deliveries and answers how many of each kind.
pub async fn launch(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
) -> Result<QueueReport, MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    let store = messaging.store.as_ref();
    let record = store.campaign(id).await?;
    if !matches!(record.status.as_str(), "draft" | "scheduled") {
        return Err(StoreError::Conflict("launch").into());
    }
    store
        .move_campaign(id, &record.status, "queuing", messaging.clock.now())
        .await?;
    let report = queue(messaging, &record).await?;
    audited(
        store,
        principal,
        "campaign.launch",
        id,
        json!({"queued": report.queued, "holdout": report.holdout, "skipped": report.skipped}),
    )
    .await?;
    Ok(report)
}

/// Scheduled campaigns whose time has come are launched by whichever server gets there first.
pub async fn launch_due(messaging: &Messaging) -> StoreResult<usize> {
    let store = messaging.store.as_ref();
    let mut launched = 0;
    for record in store.due_campaigns(messaging.clock.now()).await? {
        match store
            .move_campaign(record.id, "scheduled", "queuing", messaging.clock.now())
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
        match queue(messaging, &record).await {
            Ok(_) => launched += 1,
            Err(e) => {
                tracing::error!(campaign.id = record.id, error = %e, "a scheduled campaign could not be queued")
            }
        }
    }
    Ok(launched)
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
pub(crate) async fn queue(
    messaging: &Messaging,
    record: &CampaignRecord,
) -> Result<QueueReport, MessagingError> {
    let store = messaging.store.as_ref();
    let spec = spec_of(record)?;
    let started = std::time::Instant::now();
    let mut audience = members_of(store, &spec.audience.segments).await?;
    audience -= members_of(store, &spec.audience.exclude).await?;
    let consented = if Refusal::of_consent(
        record.channel,
        spec.purpose(),
        guanxi_domain::messaging::ConsentStatus::Unknown,
    )
    .is_some()
    {
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
    let variants: Vec<&str> = spec.variants.iter().map(|v| v.key.as_str()).collect();
    let mut report = QueueReport {
        audience: audience.len(),
        ..QueueReport::default()
    };
    let mut chunk = Vec::with_capacity(QUEUE_CHUNK);
    for customer in audience.iter() {
        let (status, reason) = if bucket(record.id, customer, 100) < u64::from(spec.holdout_percent)
        {
            report.holdout += 1;
            (DeliveryStatus::Holdout, None)
        } else if consented.as_ref().is_some_and(|c| !c.contains(customer)) {
            report.skipped += 1;
            (
                DeliveryStatus::Skipped,
                Some(Refusal::NoConsent.as_str().to_owned()),
            )
        } else {
            report.queued += 1;
            (DeliveryStatus::Queued, None)
        };
        let variant =
            variants[(bucket(record.id ^ 0x5a5a, customer, variants.len() as u64)) as usize];
        chunk.push(NewDelivery {
            origin: origin.clone(),
            customer: CustomerId(customer as i64),
            channel: record.channel,
            variant: variant.to_owned(),
            status,
            reason,
            run_at: now,
        });
        if chunk.len() == QUEUE_CHUNK {
            write_chunk(store, &chunk, now).await?;
            chunk.clear();
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

/// A campaign's deliveries by variant and status.
pub async fn results(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
) -> Result<Vec<DeliveryCount>, MessagingError> {
    principal.require(Resource::Campaigns, Action::View)?;
    messaging.store.campaign(id).await?;
    Ok(messaging.store.delivery_counts(&origin_of(id)).await?)
}
