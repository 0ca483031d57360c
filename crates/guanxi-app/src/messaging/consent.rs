//! Consent per channel: read combined over merged records, changed by staff and integrators
//! (audited), by customers through the unsubscribe link, or by an SMS opt-out reply.

use super::{Messaging, MessagingError};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::access::{Action, PersonalField, Principal, Resource};
use guanxi_domain::messaging::{Channel, Consent, ConsentStatus, combined_status};
use guanxi_domain::{CustomerId, FieldError, Millis};
use guanxi_store::Store;
use serde_json::json;
use std::collections::HashMap;

/// A customer's standing on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConsent {
    pub channel: Channel,
    pub status: ConsentStatus,
    /// The latest decision behind it, if any.
    pub source: Option<String>,
    pub at: Option<Millis>,
}

/// The customer's consent on every channel that needs one.
pub async fn of_customer(
    store: &dyn Store,
    customer: CustomerId,
) -> Result<Vec<ChannelConsent>, MessagingError> {
    let rows = store.consent_rows(customer).await?;
    Ok(standing(rows.iter().map(|r| &r.consent)))
}

/// The status on `channel` of each of `customers` (one read for them all): what the
/// dispatcher asks of a batch.
pub(crate) async fn statuses_of(
    store: &dyn Store,
    customers: &[CustomerId],
    channel: Channel,
) -> Result<HashMap<CustomerId, ConsentStatus>, MessagingError> {
    let mut rows: HashMap<CustomerId, Vec<Consent>> = HashMap::new();
    for (owner, row) in store.consent_rows_of(customers).await? {
        if row.consent.channel == channel {
            rows.entry(owner).or_default().push(row.consent);
        }
    }
    Ok(rows
        .into_iter()
        .map(|(customer, consents)| (customer, combined_status(consents.iter().map(|c| c.status))))
        .collect())
}

/// Each channel's standing from a customer's decisions (their own and their merged records').
fn standing<'a>(decisions: impl Iterator<Item = &'a Consent> + Clone) -> Vec<ChannelConsent> {
    Channel::ALL
        .into_iter()
        .filter(|c| c.needs_consent())
        .map(|channel| {
            let of_channel: Vec<&Consent> =
                decisions.clone().filter(|c| c.channel == channel).collect();
            let status = combined_status(of_channel.iter().map(|c| c.status));
            // The decision that set the status: the newest of that status.
            let behind = of_channel
                .iter()
                .filter(|c| c.status == status)
                .max_by_key(|c| c.at);
            ChannelConsent {
                channel,
                status,
                source: behind.map(|c| c.source.clone()),
                at: behind.map(|c| c.at),
            }
        })
        .collect()
}

/// A decision made by staff or an integrator: `source` says where the customer gave it
/// (`checkout`, `store_visit`, `api`).
pub async fn set(
    messaging: &Messaging,
    principal: &Principal,
    customer: CustomerId,
    channel: Channel,
    status: ConsentStatus,
    source: &str,
) -> Result<Vec<ChannelConsent>, MessagingError> {
    principal.require(Resource::Customers, Action::Edit)?;
    if !channel.needs_consent() {
        return Err(
            FieldError::new("channel", "needs no consent: use email, sms or in_app").into(),
        );
    }
    let source = source.trim();
    if source.is_empty() || source.len() > 64 {
        return Err(FieldError::new("source", "must be 1 to 64 characters").into());
    }
    let store = messaging.store.as_ref();
    crate::ownership::require_reach(store, principal, &[customer])
        .await
        .map_err(|e| match e {
            crate::customers::AccessError::Denied(d) => MessagingError::from(d),
            crate::customers::AccessError::Store(s) => s.into(),
        })?;
    let survivor = store.customer(customer).await?.id;
    let consent = Consent {
        channel,
        status,
        source: source.to_owned(),
        at: messaging.clock.now(),
    };
    store.set_consent(survivor, &consent).await?;
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action: "consent.change",
            target: Some(("customer", survivor.0.to_string())),
            detail: json!({"channel": channel.as_str(), "status": status.as_str(), "source": source}),
            ip: None,
        },
    )
    .await?;
    of_customer(store, survivor).await
}

/// The customer said no through a message or a reply: recorded on the survivor.
pub(crate) async fn withdraw(
    messaging: &Messaging,
    customer: CustomerId,
    channel: Channel,
    source: &str,
) -> Result<(), MessagingError> {
    let store = messaging.store.as_ref();
    let survivor = store.customer(customer).await?.id;
    let consent = Consent {
        channel,
        status: ConsentStatus::Unsubscribed,
        source: source.to_owned(),
        at: messaging.clock.now(),
    };
    store.set_consent(survivor, &consent).await?;
    Ok(())
}

/// An SMS the customer sent back. An opt-out reply ("T", "TD", "退订", "STOP") withdraws their
/// SMS consent; answers whether it did. A number nobody has is ignored.
pub async fn sms_reply(
    messaging: &Messaging,
    phone: &str,
    text: &str,
) -> Result<bool, MessagingError> {
    if !guanxi_domain::messaging::is_opt_out(text) {
        return Ok(false);
    }
    let region = messaging.settings.current().region;
    let key = guanxi_domain::IdentityKey::new(guanxi_domain::IdentityKind::Phone, phone, region)
        .map_err(|e| FieldError::new("phone", e.reason))?;
    let customer = match messaging.store.find_by_identity(&key).await {
        Ok(c) => c,
        Err(guanxi_store::StoreError::NotFound(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    withdraw(messaging, customer, Channel::Sms, "sms_reply").await?;
    Ok(true)
}

/// Adds an address to a channel's suppression list (audited): no message of any kind reaches
/// it again until it is removed.
pub async fn suppress(
    messaging: &Messaging,
    principal: &Principal,
    channel: Channel,
    address: &str,
    reason: &str,
) -> Result<String, MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    let address = normalised_address(messaging, channel, address)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.len() > 64 {
        return Err(FieldError::new("reason", "must be 1 to 64 characters").into());
    }
    let store = messaging.store.as_ref();
    store
        .suppress(channel, &address, reason, messaging.clock.now())
        .await?;
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action: "suppression.add",
            target: None,
            detail: json!({"channel": channel.as_str(), "reason": reason}),
            ip: None,
        },
    )
    .await?;
    Ok(address)
}

/// Takes an address off a channel's suppression list (audited).
pub async fn unsuppress(
    messaging: &Messaging,
    principal: &Principal,
    channel: Channel,
    address: &str,
) -> Result<(), MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    let address = normalised_address(messaging, channel, address)?;
    let store = messaging.store.as_ref();
    store.unsuppress(channel, &address).await?;
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action: "suppression.remove",
            target: None,
            detail: json!({"channel": channel.as_str()}),
            ip: None,
        },
    )
    .await?;
    Ok(())
}

/// An e-mail address or phone number as identities store it (lower-cased, E.164).
pub(crate) fn normalised_address(
    messaging: &Messaging,
    channel: Channel,
    raw: &str,
) -> Result<String, MessagingError> {
    let kind = match channel {
        Channel::Email => guanxi_domain::IdentityKind::Email,
        Channel::Sms => guanxi_domain::IdentityKind::Phone,
        _ => {
            return Err(
                FieldError::new("channel", "only email and sms have suppression lists").into(),
            );
        }
    };
    let region = messaging.settings.current().region;
    let key = guanxi_domain::IdentityKey::new(kind, raw, region)
        .map_err(|e| FieldError::new("address", e.reason))?;
    Ok(key.value().to_owned())
}

/// One address on a suppression list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// In plain text when revealed, masked otherwise.
    pub address: String,
    pub reason: String,
    pub since: Millis,
}

/// A channel's suppression list, newest first, at most `limit`. With `reveal` (`Some(via)`,
/// where the reveal happened) the addresses are shown in plain text, which needs the right to
/// reveal the channel's field and is audited; without it they are masked.
pub async fn suppression_list(
    messaging: &Messaging,
    principal: &Principal,
    channel: Channel,
    reveal: Option<&str>,
    limit: u32,
) -> Result<Vec<Suppression>, MessagingError> {
    principal.require(Resource::Campaigns, Action::View)?;
    let field = match channel {
        Channel::Email => PersonalField::Email,
        Channel::Sms => PersonalField::Phone,
        _ => {
            return Err(
                FieldError::new("channel", "only email and sms have suppression lists").into(),
            );
        }
    };
    if reveal.is_some() {
        principal.require_reveal(field)?;
    }
    let store = messaging.store.as_ref();
    let rows = store.suppressions(channel, limit).await?;
    if let Some(via) = reveal {
        audit::record(
            store,
            Audit {
                actor: AuditActor::Known(&principal.actor),
                action: "reveal",
                target: None,
                detail: json!({"fields": [field.as_str()], "reason": "suppression list",
                    "via": via, "count": rows.len()}),
                ip: None,
            },
        )
        .await?;
    }
    Ok(rows
        .into_iter()
        .map(|(address, reason, since)| Suppression {
            address: match (reveal, field) {
                (Some(_), _) => address,
                (None, PersonalField::Email) => guanxi_domain::masking::mask_email(&address),
                (None, _) => guanxi_domain::masking::mask_phone(&address),
            },
            reason,
            since,
        })
        .collect())
}
