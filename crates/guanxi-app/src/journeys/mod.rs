//! Journeys: multi-step flows a trigger starts for each customer (an abandoned checkout, a
//! segment entry), defined once and published in versions; each customer's run is durable in
//! the store (`runner.rs` follows the event feed and wakes due runs, `machine.rs` moves a run
//! through its steps).

mod calendar;
pub mod examples;
mod machine;
pub mod results;
pub mod runner;

pub use runner::JourneyRunner;

use crate::audit::{self, Audit, AuditActor};
use crate::messaging::{Messaging, MessagingError};
use guanxi_domain::FieldError;
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_domain::journey::{Definition, StepKind};
use guanxi_domain::messaging::Channel;
use guanxi_store::{JourneyRecord, Store, StoreError, StoreResult};
use serde_json::{Value, json};

/// The feed position journeys follow.
pub(crate) const FEED_CURSOR: &str = "journeys";

pub fn definition_of(record: &JourneyRecord) -> StoreResult<Definition> {
    serde_json::from_str(&record.definition)
        .map_err(|e| StoreError::other(format!("stored journey {} is corrupt: {e}", record.key)))
}

/// Parses a definition and checks what it names exists: segments, templates of the channel.
async fn checked(
    messaging: &Messaging,
    value: &Value,
) -> Result<(Definition, String), MessagingError> {
    let store = messaging.store.as_ref();
    let definition = Definition::parse(value)?;
    for (i, step) in definition.steps.iter().enumerate() {
        if let StepKind::Webhook { url: Some(url), .. } = &step.kind
            && !messaging.config.webhook_allowed(url)
        {
            return Err(FieldError::new(
                format!("steps[{i}].url"),
                "its host is neither webhook_url's nor listed in webhook_hosts",
            )
            .into());
        }
    }
    for key in definition.segments() {
        match store.segment_id(key).await {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => {
                return Err(FieldError::new(
                    "definition",
                    format!("no segment has the key {key:?}"),
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    for (i, channel, template) in definition.templates() {
        let channel = Channel::parse(channel)?;
        match store.template_by_key(template).await {
            Ok(t) if t.channel == channel => {}
            Ok(t) => {
                return Err(FieldError::new(
                    format!("steps[{i}].template"),
                    format!("is a {} template", t.channel.as_str()),
                )
                .into());
            }
            Err(StoreError::NotFound(_)) => {
                return Err(FieldError::new(
                    format!("steps[{i}].template"),
                    format!("no template has the key {template:?}"),
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let text = serde_json::to_string(&definition).map_err(StoreError::other)?;
    Ok((definition, text))
}

async fn audited(
    store: &dyn Store,
    principal: &Principal,
    action: &'static str,
    record: &JourneyRecord,
) -> Result<(), MessagingError> {
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action,
            target: Some(("journey", record.id.to_string())),
            detail: json!({"key": record.key, "version": record.version, "status": record.status}),
            ip: None,
        },
    )
    .await?;
    Ok(())
}

/// A new journey, a draft at version 1.
pub async fn create(
    messaging: &Messaging,
    principal: &Principal,
    key: &str,
    name: &str,
    definition: &Value,
) -> Result<JourneyRecord, MessagingError> {
    principal.require(Resource::Campaigns, Action::Create)?;
    crate::messaging::check_key_and_name(key.trim(), name)?;
    let store = messaging.store.as_ref();
    let (_, text) = checked(messaging, definition).await?;
    let saved = store
        .create_journey(key.trim(), name.trim(), &text, messaging.clock.now())
        .await?;
    audited(store, principal, "journey.create", &saved).await?;
    Ok(saved)
}

/// Publishes an edit as a new version: new entries follow it, customers under way finish the
/// version they started.
pub async fn publish(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
    name: &str,
    definition: &Value,
) -> Result<JourneyRecord, MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    let store = messaging.store.as_ref();
    crate::messaging::check_name(name)?;
    let (_, text) = checked(messaging, definition).await?;
    let saved = store
        .publish_journey(id, name.trim(), &text, messaging.clock.now())
        .await?;
    audited(store, principal, "journey.publish", &saved).await?;
    Ok(saved)
}

/// `active` (customers enter) or `paused` (nobody enters; runs under way go on).
pub async fn set_status(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
    status: &str,
) -> Result<JourneyRecord, MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    if !matches!(status, "active" | "paused") {
        return Err(FieldError::new("status", "must be active or paused").into());
    }
    let store = messaging.store.as_ref();
    if status == "active" && store.cursor(FEED_CURSOR).await?.is_none() {
        // The first journey to go live starts the feed here: older events start nothing.
        store
            .save_cursor(FEED_CURSOR, store.newest_event_id().await?)
            .await?;
    }
    store
        .set_journey_status(id, status, messaging.clock.now())
        .await?;
    let saved = store.journey(id).await?;
    let action = if status == "active" {
        "journey.activate"
    } else {
        "journey.pause"
    };
    audited(store, principal, action, &saved).await?;
    Ok(saved)
}
