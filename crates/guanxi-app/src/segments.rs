//! Defining segments: a key, a name and a rule (in its JSON or text form), checked against the
//! segments there are (unknown references, cycles) before anything is saved; audited; and
//! installed in this server's engine at once (other servers follow within seconds).

use crate::ShopSettings;
use crate::action::ActionError;
use crate::audit::{self, Audit, AuditActor};
use crate::builtin_segments::{LIFECYCLE_PREFIX, is_builtin};
use crate::intelligence::{Intelligence, SegmentView};
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_engine::segment::{Definition, Rule, RuleError, evaluation_order};
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
    /// A tag members carry while they are members (empty: none).
    pub auto_tag: String,
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

/// The longest tag, in characters (as for tags set through the API).
pub const MAX_TAG: usize = 64;

fn auto_tag(form: &SegmentForm) -> Option<String> {
    Some(form.auto_tag.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Checks a tag: 1 to 64 characters without control characters.
pub fn check_tag(field: &'static str, tag: &str) -> Result<(), ActionError> {
    let tag = tag.trim();
    if tag.is_empty() || tag.chars().count() > MAX_TAG || tag.chars().any(char::is_control) {
        return Err(ActionError::Invalid(
            field,
            format!("must be 1 to {MAX_TAG} characters without control characters"),
        ));
    }
    Ok(())
}

fn check_form(form: &SegmentForm) -> Result<(), SegmentError> {
    if let Some(tag) = auto_tag(form) {
        check_tag("auto_tag", &tag)?;
    }
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
    if is_builtin(key) {
        return Err(invalid(
            "key",
            format!("{LIFECYCLE_PREFIX}… keys belong to the built-in lifecycle segments"),
        ));
    }
    if guanxi_domain::ids::is_key(key) {
        Ok(())
    } else {
        Err(invalid("key", guanxi_domain::ids::KEY_RULE))
    }
}

/// The stored segments' definitions (not the engine's, which may still be building), but
/// the one with `except`.
async fn stored_definitions(store: &dyn Store, except: i64) -> Result<Vec<Definition>, StoreError> {
    Ok(store
        .segments()
        .await?
        .into_iter()
        .filter(|r| r.id != except)
        .map(SegmentView::of)
        .filter_map(|v| {
            Some(Definition {
                id: v.record.id,
                key: v.record.key,
                rule: v.rule.ok()?,
                auto_tag: v.record.auto_tag,
            })
        })
        .collect())
}

/// Checks the rule against the stored segments, replacing the one with `id`: every segment it
/// names exists and no cycle forms.
async fn checked(
    store: &dyn Store,
    id: i64,
    key: &str,
    form: &SegmentForm,
) -> Result<Rule, SegmentError> {
    check_form(form)?;
    let rule = parse_rule(&form.rule)?;
    let mut defs = stored_definitions(store, id).await?;
    defs.push(Definition {
        id,
        key: key.to_owned(),
        rule: rule.clone(),
        auto_tag: auto_tag(form),
    });
    evaluation_order(&defs).map_err(|e| SegmentError::Rule(e.error))?;
    Ok(rule)
}

fn stored(key: &str, form: &SegmentForm, rule: &Rule) -> NewSegment {
    NewSegment {
        key: key.to_owned(),
        name: form.name.trim().to_owned(),
        description: form.description.trim().to_owned(),
        rule: rule.to_json().to_string(),
        auto_tag: auto_tag(form),
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
    let rule = checked(store, 0, &form.key, form).await?;
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
    if is_builtin(&before.record.key) {
        return Err(invalid("key", "built-in segments cannot be changed"));
    }
    let key = before.record.key.clone();
    let rule = checked(store, id, &key, form).await?;
    // Members under the old rule swap the old automatic tag for the new one; the evaluation
    // under the new rule then tags those who enter and untags those who leave.
    let (old_tag, new_tag) = (before.record.auto_tag.clone(), auto_tag(form));
    if old_tag != new_tag {
        let remove: Vec<String> = old_tag.into_iter().collect();
        let add: Vec<String> = new_tag.into_iter().collect();
        retag(store, id, &add, &remove).await?;
    }
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
    if is_builtin(&segment.key) {
        return Err(invalid("key", "built-in segments cannot be deleted"));
    }
    let users: Vec<String> = stored_definitions(store, id)
        .await?
        .into_iter()
        .filter(|d| d.rule.segments().contains(&segment.key.as_str()))
        .map(|d| d.key)
        .collect();
    if !users.is_empty() {
        return Err(invalid(
            "key",
            format!("is used by the rules of {}", users.join(", ")),
        ));
    }
    // Its automatic tag goes with it.
    if let Some(tag) = segment.auto_tag.clone() {
        retag(store, id, &[], &[tag]).await?;
    }
    store.delete_segment(id).await?;
    let detail = json!({ "key": segment.key, "name": segment.name, "members": segment.members });
    audited(store, by, "segment.delete", id, detail, ip).await?;
    install(intelligence, store, settings).await;
    Ok(())
}

/// Members tagged per transaction when a whole segment is tagged.
const TAG_PAGE: u32 = 1_000;

/// Adds and removes tags on every current member of a segment, a page of members per
/// transaction; answers how many members there were.
async fn retag(
    store: &dyn Store,
    id: i64,
    add: &[String],
    remove: &[String],
) -> Result<u64, StoreError> {
    let mut after = guanxi_domain::CustomerId(0);
    let mut tagged = 0;
    loop {
        let page = store.segment_members(id, after, TAG_PAGE).await?;
        let Some((last, _)) = page.last() else {
            return Ok(tagged);
        };
        after = *last;
        let mut tx = store.begin_write().await?;
        let mut feed = Vec::with_capacity(page.len());
        for (customer, _) in &page {
            if !remove.is_empty() {
                tx.remove_tags(*customer, remove).await?;
            }
            if !add.is_empty() {
                tx.add_tags(*customer, add).await?;
            }
            feed.push(guanxi_store::Change {
                customer: *customer,
                kind: guanxi_store::ChangeKind::Tags,
            });
        }
        tx.append_changes(&feed, chrono::Utc::now().timestamp_millis())
            .await?;
        tx.commit().await?;
        tagged += page.len() as u64;
    }
}

/// Tags (or untags) every current member of a segment at once (`customers:edit`), audited as
/// `segment.tag` with the tags and how many customers.
pub async fn tag_members(
    store: &dyn Store,
    by: &Principal,
    id: i64,
    add: &[String],
    remove: &[String],
    ip: Option<String>,
) -> Result<u64, SegmentError> {
    by.require(Resource::Customers, Action::Edit)?;
    by.require(Resource::Segments, Action::View)?;
    if add.is_empty() && remove.is_empty() {
        return Err(invalid("add", "give a tag to add or to remove"));
    }
    for tag in add {
        check_tag("add", tag)?;
    }
    for tag in remove {
        check_tag("remove", tag)?;
    }
    let segment = store.segment(id).await?;
    let trimmed = |tags: &[String]| tags.iter().map(|t| t.trim().to_owned()).collect::<Vec<_>>();
    let customers = retag(store, id, &trimmed(add), &trimmed(remove)).await?;
    let detail =
        json!({ "key": segment.key, "add": add, "remove": remove, "customers": customers });
    audited(store, by, "segment.tag", id, detail, ip).await?;
    Ok(customers)
}
