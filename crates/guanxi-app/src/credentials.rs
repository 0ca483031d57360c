//! Staff (in the console) and operators (on the command line) managing machine credentials:
//! registering sources, issuing and revoking API keys. Each is checked against the caller's
//! role and written to the audit log with what it named, never the secret it made.

use crate::audit::{self, Audit, AuditActor};
use crate::keys::{self, CreatedSource, KeyError};
use guanxi_domain::access::{Action, Denied, Grant, Principal, Resource};
use guanxi_store::{ApiKey, Source, Store, StoreError};
use serde_json::json;

/// Who asks.
pub enum By<'a> {
    /// Signed-in staff (or an API key), from this address.
    Principal(&'a Principal, Option<String>),
    /// Someone with the server's shell: `guanxi source create`, `guanxi apikey create`.
    CommandLine,
}

impl By<'_> {
    fn require(&self, resource: Resource, action: Action) -> Result<(), Denied> {
        match self {
            By::Principal(principal, _) => principal.require(resource, action),
            By::CommandLine => Ok(()),
        }
    }

    fn audit<'a>(
        &'a self,
        action: &'static str,
        target: (&'static str, String),
        detail: serde_json::Value,
    ) -> Audit<'a> {
        let (actor, ip) = match self {
            By::Principal(principal, ip) => (AuditActor::Known(&principal.actor), ip.clone()),
            By::CommandLine => (AuditActor::System, None),
        };
        Audit {
            actor,
            action,
            target: Some(target),
            detail,
            ip,
        }
    }
}

/// What a credential action answers when it is not done.
pub use crate::action::ActionError as CredentialError;

impl From<KeyError> for CredentialError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Invalid(field, reason) => Self::Invalid(field, reason),
            KeyError::Store(StoreError::Conflict(_)) => {
                Self::Invalid("name", "is taken by another source".to_owned())
            }
            KeyError::Store(e) => Self::Store(e),
        }
    }
}

/// Registers a channel; answers it with its secret (shown once).
pub async fn register_source(
    store: &dyn Store,
    by: &By<'_>,
    name: &str,
    kind: &str,
) -> Result<CreatedSource, CredentialError> {
    by.require(Resource::Sources, Action::Create)?;
    let created = keys::create_source(store, name, kind).await?;
    let source = &created.source;
    let detail = json!({"name": source.name, "kind": source.kind});
    audit::record(
        store,
        by.audit("source.create", ("source", source.id.0.to_string()), detail),
    )
    .await?;
    Ok(created)
}

/// The source an import writes as: the named one, or a new one of the file's kind, registered
/// (and so permitted and audited) like any other.
pub async fn source_for_import(
    store: &dyn Store,
    by: &By<'_>,
    name: &str,
    kind: &str,
) -> Result<Source, CredentialError> {
    match store.source_by_name(name).await {
        Ok(source) => Ok(source),
        Err(StoreError::NotFound(_)) => Ok(register_source(store, by, name, kind).await?.source),
        Err(e) => Err(e.into()),
    }
}

/// Issues an API key; answers it with its secret (shown once).
pub async fn issue_api_key(
    store: &dyn Store,
    by: &By<'_>,
    name: &str,
    scopes: &[String],
) -> Result<(ApiKey, String), CredentialError> {
    by.require(Resource::ApiKeys, Action::Create)?;
    if let By::Principal(principal, _) = by {
        // An `admin` key from someone who is not an owner would be a way up.
        principal.may_delegate(&Grant::of_api_scopes(scopes.iter().map(String::as_str)))?;
    }
    let (key, secret) = keys::create_api_key(store, name, scopes).await?;
    let detail = json!({"name": key.name, "scopes": key.scopes});
    audit::record(
        store,
        by.audit("apikey.create", ("api_key", key.id.to_string()), detail),
    )
    .await?;
    Ok((key, secret))
}

/// Revokes an API key: it authenticates nothing from then on.
pub async fn revoke_api_key(
    store: &dyn Store,
    by: &By<'_>,
    id: i64,
) -> Result<(), CredentialError> {
    by.require(Resource::ApiKeys, Action::Delete)?;
    store
        .revoke_api_key(id, chrono::Utc::now().timestamp_millis())
        .await?;
    audit::record(
        store,
        by.audit("apikey.revoke", ("api_key", id.to_string()), json!({})),
    )
    .await?;
    Ok(())
}
