//! Defining segments: a key, a name and a rule (in its JSON or text form), checked against the
//! segments there are (unknown references, cycles) before anything is saved; audited; and
//! installed in this server's engine at once (other servers follow within seconds).

use crate::ShopSettings;
use crate::action::ActionError;
use crate::audit::{self, Audit, AuditActor};
use crate::intelligence::{Intelligence, SegmentView};
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_engine::segment::{Definition, Rule, RuleError};
use guanxi_store::{NewSegment, Store, StoreError};
use serde_json::{Value, json};
use std::sync::Arc;

/// A rule as a caller writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleInput {
    Json(Value),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentForm {
    /// Only read when creating: keys never change, since rules refer to them.
    pub key: String,
    pub name: String,
    pub description: String,
    pub rule: RuleInput,
}

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error(transparent)]
    Action(#[from] ActionError),
    /// The rule, and which part of it: `rule.all[1].field` for the JSON form, `rule_text`
    /// (with the column in the reason) for the text form.
    #[error(transparent)]
    Rule(RuleError),
}

impl From<StoreError> for SegmentError {
    fn from(e: StoreError) -> Self {
        Self::Action(e.into())
    }
}

impl From<guanxi_domain::access::Denied> for SegmentError {
    fn from(e: guanxi_domain::access::Denied) -> Self {
        Self::Action(e.into())
    }
}

const MAX_KEY: usize = 64;
const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 1_000;

fn invalid(field: &'static str, reason: impl Into<String>) -> SegmentError {
    SegmentError::Action(ActionError::Invalid(field, reason.into()))
}

/// Parses a rule in either form, naming the part that is wrong.
pub fn parse_rule(input: &RuleInput) -> Result<Rule, SegmentError> {
    match input {
        RuleInput::Json(value) => Rule::from_json(value).map_err(SegmentError::Rule),
        RuleInput::Text(text) => Rule::from_text(text).map_err(|e| {
            SegmentError::Rule(RuleError::new(
                "rule_text",
                format!("{}: {}", e.at, e.reason),
            ))
        }),
    }
}

fn check_form(form: &SegmentForm) -> Result<(), SegmentError> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            format!("must be 1 to {MAX_NAME} characters without control characters"),
        ));
    }
    if form.description.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), SegmentError> {
    let fine = key.chars().count() <= MAX_KEY
        && key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if fine {
        Ok(())
    } else {
        Err(invalid(
            "key",
            format!(
                "must be 1 to {MAX_KEY} lower-case letters, digits, - or _, starting with a letter or digit"
            ),
        ))
    }
}

/// Checks the rule against the segments there are, replacing the one with `id`.
fn checked(
    intelligence: &Intelligence,
    id: i64,
    key: &str,
    form: &SegmentForm,
) -> Result<Rule, SegmentError> {
    check_form(form)?;
    let rule = parse_rule(&form.rule)?;
    let candidate = Definition {
        id,
        key: key.to_owned(),
        rule: rule.clone(),
    };
    intelligence
        .check(&candidate)
        .map_err(|e| SegmentError::Rule(e.error))?;
    Ok(rule)
}

fn stored(key: &str, form: &SegmentForm, rule: &Rule) -> NewSegment {
    NewSegment {
        key: key.to_owned(),
        name: form.name.trim().to_owned(),
        description: form.description.trim().to_owned(),
        rule: rule.to_json().to_string(),
    }
}

async fn audited(
    store: &dyn Store,
    by: &Principal,
    action: &'static str,
    id: i64,
    detail: Value,
    ip: Option<String>,
) -> Result<(), SegmentError> {
    let audit = Audit {
        actor: AuditActor::Known(&by.actor),
        action,
        target: Some(("segment", id.to_string())),
        detail,
        ip,
    };
    audit::record(store, audit).await?;
    Ok(())
}

/// Installs the saved definitions in this server's engine. Saved is saved: should the engine
/// fail to read them now, it follows within its next check.
async fn install(intelligence: &Arc<Intelligence>, store: &dyn Store, settings: &ShopSettings) {
    if let Err(e) = intelligence.redefine(store, settings).await {
        tracing::warn!(error = %e, "segments saved; the engine reads them on its next check");
    }
}

/// Creates a segment (`segments:create`), audited as `segment.create`.
pub async fn create(
    store: &dyn Store,
    intelligence: &Arc<Intelligence>,
    settings: &ShopSettings,
    by: &Principal,
    form: &SegmentForm,
    ip: Option<String>,
) -> Result<SegmentView, SegmentError> {
    by.require(Resource::Segments, Action::Create)?;
    check_key(&form.key)?;
    let rule = checked(intelligence, 0, &form.key, form)?;
    let record = match store
        .create_segment(
            &stored(&form.key, form, &rule),
            chrono::Utc::now().timestamp_millis(),
        )
        .await
    {
        Err(StoreError::Conflict(_)) => return Err(invalid("key", "is taken by another segment")),
        other => other?,
    };
    let detail = json!({ "key": record.key, "name": record.name, "rule": rule.to_string() });
    audited(store, by, "segment.create", record.id, detail, ip).await?;
    install(intelligence, store, settings).await;
    Ok(SegmentView::of(store.segment(record.id).await?))
}

/// Changes a segment's name, description and rule (`segments:edit`), audited as
/// `segment.update` with the rule before and after.
pub async fn update(
    store: &dyn Store,
    intelligence: &Arc<Intelligence>,
    settings: &ShopSettings,
    by: &Principal,
    id: i64,
    form: &SegmentForm,
    ip: Option<String>,
) -> Result<SegmentView, SegmentError> {
    by.require(Resource::Segments, Action::Edit)?;
    let before = SegmentView::of(store.segment(id).await?);
    let key = before.record.key.clone();
    let rule = checked(intelligence, id, &key, form)?;
    let record = store
        .update_segment(
            id,
            &stored(&key, form, &rule),
            chrono::Utc::now().timestamp_millis(),
        )
        .await?;
    let detail = json!({
        "name": record.name,
        "rule_before": before.rule.map(|r| r.to_string()).unwrap_or(before.record.rule),
        "rule": rule.to_string(),
    });
    audited(store, by, "segment.update", id, detail, ip).await?;
    install(intelligence, store, settings).await;
    Ok(SegmentView::of(store.segment(id).await?))
}

/// Deletes a segment with its members and history (`segments:delete`), unless another
/// segment's rule refers to it. Audited as `segment.delete`.
pub async fn delete(
    store: &dyn Store,
    intelligence: &Arc<Intelligence>,
    settings: &ShopSettings,
    by: &Principal,
    id: i64,
    ip: Option<String>,
) -> Result<(), SegmentError> {
    by.require(Resource::Segments, Action::Delete)?;
    let segment = store.segment(id).await?;
    let users = intelligence.used_by(&segment.key);
    if !users.is_empty() {
        return Err(invalid(
            "key",
            format!("is used by the rules of {}", users.join(", ")),
        ));
    }
    store.delete_segment(id).await?;
    let detail = json!({ "key": segment.key, "name": segment.name, "members": segment.members });
    audited(store, by, "segment.delete", id, detail, ip).await?;
    install(intelligence, store, settings).await;
    Ok(())
}
