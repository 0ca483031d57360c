//! Template use cases: save (checked, audited), list, preview for a chosen customer. A test
//! sent to an address is `test_send.rs`.

use super::template::{Rendered, TemplateContent};
use super::{Messaging, MessagingError};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::CustomerId;
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_domain::messaging::Channel;
use guanxi_store::{NewTemplate, Store, StoreError, TemplateRecord};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub struct TemplateForm {
    /// Only read when creating.
    pub key: String,
    pub name: String,
    /// Only read when creating.
    pub channel: String,
    pub content: Value,
}

fn checked(form: &TemplateForm, channel: Channel) -> Result<NewTemplate, MessagingError> {
    let (key, name) = (form.key.trim(), form.name.trim());
    super::check_key_and_name(key, name)?;
    let content = TemplateContent::parse(channel, &form.content)?;
    Ok(NewTemplate {
        key: key.to_owned(),
        name: name.to_owned(),
        channel,
        content: serde_json::to_string(&content).map_err(StoreError::other)?,
    })
}

async fn audited(
    store: &dyn Store,
    principal: &Principal,
    action: &'static str,
    id: i64,
    key: &str,
) -> Result<(), MessagingError> {
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action,
            target: Some(("template", id.to_string())),
            detail: json!({"key": key}),
            ip: None,
        },
    )
    .await?;
    Ok(())
}

pub async fn create(
    messaging: &Messaging,
    principal: &Principal,
    form: &TemplateForm,
) -> Result<TemplateRecord, MessagingError> {
    principal.require(Resource::Campaigns, Action::Create)?;
    let channel = Channel::parse(form.channel.trim())?;
    let new = checked(form, channel)?;
    let store = messaging.store.as_ref();
    let saved = store.create_template(&new, messaging.clock.now()).await?;
    audited(store, principal, "template.create", saved.id, &saved.key).await?;
    Ok(saved)
}

pub async fn update(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
    form: &TemplateForm,
) -> Result<TemplateRecord, MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    let store = messaging.store.as_ref();
    let current = store.template(id).await?;
    let new = checked(
        &TemplateForm {
            key: current.key.clone(),
            ..form.clone()
        },
        current.channel,
    )?;
    let saved = store
        .update_template(id, &new, messaging.clock.now())
        .await?;
    audited(store, principal, "template.update", id, &saved.key).await?;
    Ok(saved)
}

pub async fn delete(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
) -> Result<(), MessagingError> {
    principal.require(Resource::Campaigns, Action::Delete)?;
    let store = messaging.store.as_ref();
    let current = store.template(id).await?;
    store.delete_template(id).await?;
    audited(store, principal, "template.delete", id, &current.key).await
}

/// The stored content, parsed.
pub fn content_of(record: &TemplateRecord) -> Result<TemplateContent, StoreError> {
    serde_json::from_str(&record.content)
        .map_err(|e| StoreError::other(format!("stored template {} is corrupt: {e}", record.key)))
}

/// What a customer would receive, in every language the template has. Personal values are
/// shown only to those who may see them: the preview masks nothing itself, so it needs the
/// right to reveal customers' data, or a customer-free preview with the defaults alone.
pub async fn preview(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
    customer: Option<CustomerId>,
) -> Result<Vec<(String, Rendered)>, MessagingError> {
    principal.require(Resource::Campaigns, Action::View)?;
    let record = messaging.store.template(id).await?;
    rendered(messaging, principal, &content_of(&record)?, customer).await
}

/// What a template being written would send, before it is saved: the content is checked as a
/// save would check it, then rendered like `preview`.
pub async fn preview_draft(
    messaging: &Messaging,
    principal: &Principal,
    form: &TemplateForm,
    customer: Option<CustomerId>,
) -> Result<Vec<(String, Rendered)>, MessagingError> {
    principal.require(Resource::Campaigns, Action::View)?;
    let channel = Channel::parse(form.channel.trim())?;
    let content = TemplateContent::parse(channel, &form.content)?;
    rendered(messaging, principal, &content, customer).await
}

pub(super) async fn rendered(
    messaging: &Messaging,
    principal: &Principal,
    content: &TemplateContent,
    customer: Option<CustomerId>,
) -> Result<Vec<(String, Rendered)>, MessagingError> {
    let store = messaging.store.as_ref();
    let mut values = match customer {
        Some(customer) => {
            crate::customers::visibility(
                store,
                principal,
                &[customer],
                crate::customers::Reveal {
                    fields: &guanxi_domain::access::PersonalField::ALL,
                    reason: Some("template preview"),
                    via: "template.preview",
                    ip: None,
                },
            )
            .await
            .map_err(|e| match e {
                crate::customers::AccessError::Denied(d) => MessagingError::from(d),
                crate::customers::AccessError::Store(s) => s.into(),
            })?;
            values_for(messaging, content, customer, None).await?
        }
        None => Map::new(),
    };
    // What a code looks like; the real one is each delivery's own.
    values.insert(
        "coupon_code".into(),
        Value::String(super::coupons::code_for(
            0,
            &store.signing_key(super::coupons::COUPON_KEY_PURPOSE),
        )),
    );
    let mut out = Vec::new();
    for language in content.languages.keys() {
        out.push((language.clone(), content.render(language, &values)?));
    }
    Ok(out)
}

/// Products a template's `recommendations` lists.
const RECOMMENDED: usize = 3;

/// A customer's scores as a template reads them: `scores.rfm_class`, `scores.stage`,
/// `scores.clv` (a decimal in the shop currency), `scores.churn_risk` (0 to 1) and
/// `scores.next_order` (a date).
fn scores_value(
    s: &guanxi_engine::scores::CustomerScores,
    currency: guanxi_domain::Currency,
    zone: guanxi_domain::ShopTimeZone,
) -> Value {
    json!({
        "rfm_class": s.rfm.class.key(),
        "rfm_group": s.rfm.group.key(),
        "stage": s.lifecycle.stage.key(),
        "clv": guanxi_domain::money::format_minor(s.clv.prediction.clv.round() as i64, currency),
        "churn_risk": (s.clv.prediction.churn_risk * 100.0).round() / 100.0,
        "next_order": zone.format(s.clv.next_order_at, "%Y-%m-%d"),
    })
}

/// The variables a template sees for one customer: their traits, `name` and `first_name`,
/// the shop's name, their `scores` (once the engine has them), the SKUs of up to three
/// `recommendations`, and the unsubscribe address when a delivery is known.
pub(crate) async fn values_for(
    messaging: &Messaging,
    content: &TemplateContent,
    customer: CustomerId,
    unsubscribe_url: Option<String>,
) -> Result<Map<String, Value>, MessagingError> {
    let record = messaging.store.customer(customer).await?;
    let mut values = Map::new();
    for (key, value) in &record.traits {
        values.insert(key.clone(), value.clone());
    }
    let name = record
        .traits
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let first = record
        .traits
        .get("first_name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            name.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        });
    values.insert("name".into(), Value::String(name));
    values.insert("first_name".into(), Value::String(first));
    values.insert("customer_id".into(), json!(customer.0));
    let settings = messaging.settings.current();
    values.insert(
        "shop_name".into(),
        Value::String(settings.shop_name.clone()),
    );
    // Scores and recommendations cost a read each: only for templates that use them.
    let scores = content
        .mentions("scores")
        .then(|| messaging.intelligence.scores(customer, settings.time_zone))
        .flatten();
    if let Some(scores) = scores {
        values.insert(
            "scores".into(),
            scores_value(&scores, settings.currency, settings.time_zone),
        );
    }
    if content.mentions("recommendations") {
        let offer = messaging
            .intelligence
            .recommendations(messaging.store.as_ref(), customer, RECOMMENDED)
            .await?;
        let skus: Vec<Value> = offer
            .map(|o| o.items.into_iter().map(|r| Value::String(r.sku)).collect())
            .unwrap_or_default();
        values.insert("recommendations".into(), Value::Array(skus));
    }
    if let Some(url) = unsubscribe_url {
        values.insert("unsubscribe_url".into(), Value::String(url));
    }
    Ok(values)
}
