//! Writing the audit log. Entries name who did what to which record, never the personal values
//! involved: a reveal records the field and the reason, not the phone number.

use guanxi_domain::access::Actor;
use guanxi_store::{NewAuditEntry, Store, StoreResult};
use serde_json::Value;

/// Who an entry is about when nobody is signed in yet (a failed log-in for an unknown account).
pub enum AuditActor<'a> {
    Known(&'a Actor),
    Anonymous,
    /// The command line or a background job.
    System,
}

/// One audited action.
pub struct Audit<'a> {
    pub actor: AuditActor<'a>,
    /// `login`, `reveal`, `user.create`, …
    pub action: &'static str,
    /// (`customer`, `42`), (`user`, `7`), …
    pub target: Option<(&'static str, String)>,
    pub detail: Value,
    pub ip: Option<String>,
}

pub async fn record(store: &dyn Store, audit: Audit<'_>) -> StoreResult<i64> {
    let (actor_kind, actor_id) = match audit.actor {
        AuditActor::Known(actor) => (actor.kind(), Some(actor.id())),
        AuditActor::Anonymous => ("anonymous", None),
        AuditActor::System => ("system", None),
    };
    let (target_kind, target_id) = match audit.target {
        Some((kind, id)) => (Some(kind.to_owned()), Some(id)),
        None => (None, None),
    };
    store
        .append_audit(&NewAuditEntry {
            at: chrono::Utc::now().timestamp_millis(),
            actor_kind: actor_kind.to_owned(),
            actor_id,
            action: audit.action.to_owned(),
            target_kind,
            target_id,
            detail: audit.detail,
            ip: audit.ip,
        })
        .await
}
