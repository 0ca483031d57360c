//! Campaigns: a one-off send to an audience of segments minus exclusions, with optional A/B
//! variants and a holdout. `spec.rs` says what a campaign is, `queue.rs` decides its
//! deliveries when it launches, `results.rs` what it earned.

mod queue;
pub mod results;
mod spec;

pub use queue::QueueReport;
pub use spec::{AbTest, Audience, CampaignSpec, UNDECIDED, Variant, origin_of, spec_of};

use super::{Messaging, MessagingError};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_domain::messaging::Channel;
use guanxi_domain::{FieldError, Millis};
use guanxi_store::{CampaignRecord, NewCampaign, Store, StoreError, StoreResult};
use queue::queue;
use serde_json::json;

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
    super::check_name(name)?;
    let channel = Channel::parse(form.channel.trim())?;
    let spec = spec::check(messaging.store.as_ref(), channel, &form.spec).await?;
    if spec.local_time && form.send_at.is_none() {
        return Err(FieldError::new(
            "send_at",
            "a campaign in each customer's local time needs a time to send at",
        )
        .into());
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
    let now = messaging.clock.now();
    // Campaigns in customers' local time start early enough for the zones ahead of the shop.
    let zone = messaging.settings.current().time_zone;
    for record in store.due_campaigns(now + queue::LOCAL_TIME_LEAD_MS).await? {
        let local = spec_of(&record).is_ok_and(|s| s.local_time);
        let starts = record.scheduled_at.map(|at| match local {
            true => at - queue::local_time_lead(zone, at),
            false => at,
        });
        if starts.is_some_and(|at| at > now) {
            continue;
        }
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
    // Queuing that stopped half-way (its server died) is resumed: rows written stay, the
    // rest are added.
    let stalled_before = messaging.clock.now() - queue::STALLED_AFTER_MS;
    for record in store.stalled_campaigns(stalled_before).await? {
        store
            .move_campaign(record.id, "queuing", "queuing", messaging.clock.now())
            .await?;
        tracing::warn!(
            campaign.id = record.id,
            "resuming a campaign whose queuing stopped"
        );
        match queue(messaging, &record).await {
            Ok(_) => launched += 1,
            Err(e) => {
                tracing::error!(campaign.id = record.id, error = %e, "a stalled campaign could not be queued")
            }
        }
    }
    Ok(launched)
}

/// What a campaign earned so far.
pub async fn results(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
) -> Result<results::CampaignResults, MessagingError> {
    principal.require(Resource::Campaigns, Action::View)?;
    let record = messaging.store.campaign(id).await?;
    Ok(results::compute(messaging, &record).await?)
}
