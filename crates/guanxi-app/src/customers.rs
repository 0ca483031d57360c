//! Reading customers: the 360 profile, search and look-up. Personal data leaves this module
//! masked unless the caller may see it — the one path every API and page goes through.

use crate::Settings;
pub use crate::privacy::{
    Shown, ShownIdentity, Visibility, show_event, show_identity, show_traits,
};
use guanxi_domain::access::Principal;
use guanxi_domain::{CustomerId, FieldError, IdentityKey, IdentityKind};
use guanxi_store::{
    CustomerQuery, CustomerStats, MergeRecord, Store, StoreError, StoreResult, Traits,
};

/// Everything known about one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: CustomerId,
    pub created_at: i64,
    pub updated_at: i64,
    pub identities: Vec<ShownIdentity>,
    pub traits: Traits,
    pub tags: Vec<String>,
    pub stats: CustomerStats,
    pub currency: String,
    pub merges: Vec<MergeRecord>,
}

pub async fn profile(
    store: &dyn Store,
    settings: &Settings,
    id: CustomerId,
    visibility: Visibility,
) -> StoreResult<Profile> {
    let currency = settings.currency.code().to_owned();
    let parts = store.customer_profile(id, &currency).await?;
    let record = parts.record;
    Ok(Profile {
        id: record.id,
        created_at: record.created_at,
        updated_at: record.updated_at,
        identities: parts
            .identities
            .iter()
            .filter_map(|k| show_identity(k, visibility))
            .collect(),
        traits: show_traits(&record.traits, visibility),
        tags: parts.tags,
        stats: parts.stats,
        currency,
        merges: parts.merges,
    })
}

/// Profiles read at once for a list page: the SQLite store answers from 8 reader connections.
const PROFILES_AT_ONCE: usize = 8;

/// The profiles of `ids`, in their order, several read at once: a list page waits for the
/// slowest few reads, not the sum of fifty.
pub async fn profiles(
    store: &dyn Store,
    settings: &Settings,
    ids: &[CustomerId],
    visibility: Visibility,
) -> StoreResult<Vec<Profile>> {
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(ids.iter().copied())
        .map(|id| profile(store, settings, id, visibility))
        .buffered(PROFILES_AT_ONCE)
        .try_collect()
        .await
}

/// Identity kinds a bare search term may be a value of.
const PLAIN_KINDS: &[IdentityKind] = &[
    IdentityKind::TaobaoBuyer,
    IdentityKind::TaobaoOuid,
    IdentityKind::JdBuyer,
    IdentityKind::ShopifyCustomer,
    IdentityKind::WechatUnionid,
    IdentityKind::WechatOpenid,
    IdentityKind::AnonymousId,
];

/// Turns a search box's text into the identities it could be, plus a name match, within the
/// caller's data scope.
pub fn query_for(q: &str, settings: &Settings, principal: &Principal) -> CustomerQuery {
    let q = q.trim();
    let mut query = CustomerQuery {
        owner: crate::ownership::scope_filter(principal),
        ..CustomerQuery::default()
    };
    if q.is_empty() {
        return query;
    }
    let region = settings.region;
    // Text that is an email, a phone number or `TYPE:VALUE` is looked up as that; anything else
    // may also be a whole name (found by its blind index, like the identities).
    let mut exact = false;
    if let Ok(key) = IdentityKey::parse_lookup(q, region) {
        query.identities.push(key);
        exact = true;
    }
    for kind in [IdentityKind::Email, IdentityKind::Phone] {
        if let Ok(key) = IdentityKey::new(kind, q, region) {
            query.identities.push(key);
            exact = true;
        }
    }
    for kind in PLAIN_KINDS {
        if let Ok(key) = IdentityKey::new(kind.clone(), q, region) {
            query.identities.push(key);
        }
    }
    if !exact {
        query.name = Some(q.to_owned());
    }
    query
}

/// Resolves `email=`, `phone=` or `identity=TYPE:VALUE` to the surviving customer.
pub async fn lookup(
    store: &dyn Store,
    settings: &Settings,
    email: Option<&str>,
    phone: Option<&str>,
    identity: Option<&str>,
) -> Result<CustomerId, LookupError> {
    let key = match (email, phone, identity) {
        (Some(e), None, None) => IdentityKey::new(IdentityKind::Email, e, settings.region),
        (None, Some(p), None) => IdentityKey::new(IdentityKind::Phone, p, settings.region),
        (None, None, Some(i)) => IdentityKey::parse_lookup(i, settings.region),
        _ => Err(FieldError::new(
            "email",
            "give exactly one of email, phone or identity",
        )),
    }?;
    // Merges move identities to the survivor, so the owner is always a surviving customer.
    Ok(store.find_by_identity(&key).await?)
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A request to see personal fields in plain.
pub struct Reveal<'a> {
    pub fields: &'a [guanxi_domain::access::PersonalField],
    /// Why; the console asks for it, the API may give one.
    pub reason: Option<&'a str>,
    /// `console` or `api`.
    pub via: &'static str,
    pub ip: Option<String>,
}

/// How `principal` sees `customers` (one for a profile, several for a list page) with `reveal`:
/// refused outside the caller's data scope; masked by default; revealed fields only if the role
/// may, and then the reveal is in the audit log before anything is shown.
pub async fn visibility(
    store: &dyn Store,
    principal: &guanxi_domain::access::Principal,
    customers: &[CustomerId],
    reveal: Reveal<'_>,
) -> Result<Visibility, AccessError> {
    use guanxi_domain::access::{Action, Resource};
    principal.require(Resource::Customers, Action::View)?;
    crate::ownership::require_reach(store, principal, customers).await?;
    let visibility = Visibility::for_principal(principal, reveal.fields)?;
    if !reveal.fields.is_empty() {
        let fields: Vec<&str> = reveal.fields.iter().map(|f| f.as_str()).collect();
        let ids: Vec<String> = customers.iter().map(|c| c.0.to_string()).collect();
        crate::audit::record(
            store,
            crate::audit::Audit {
                actor: crate::audit::AuditActor::Known(&principal.actor),
                action: "reveal",
                target: Some(("customer", ids.join(","))),
                detail: serde_json::json!({
                    "fields": fields,
                    "reason": reveal.reason.unwrap_or_default(),
                    "via": reveal.via,
                }),
                ip: reveal.ip,
            },
        )
        .await?;
    }
    Ok(visibility)
}

/// A check that failed: not allowed, or the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error(transparent)]
    Denied(#[from] guanxi_domain::access::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}
