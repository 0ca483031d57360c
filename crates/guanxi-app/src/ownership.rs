//! Data scopes on customers: who owns a customer, who may reach it, handing it over, and the
//! teams that `team` scopes stand on. `customers::visibility` calls `require_reach` before any
//! customer is shown, so the API and the console are held to the same scope.

use crate::audit::{self, Audit, AuditActor};
use crate::customers::AccessError;
use guanxi_domain::CustomerId;
use guanxi_domain::access::{Action, Actor, DataScope, Denied, Principal, Resource};
use guanxi_store::{OwnerFilter, Store, StoreError, Team};
use serde_json::json;

/// What an ownership action answers when it is not done.
pub use crate::action::ActionError as OwnershipError;

/// The customers a search by `principal` may return.
pub fn scope_filter(principal: &Principal) -> OwnerFilter {
    match (principal.grant.scope, &principal.actor) {
        (DataScope::All, _) => OwnerFilter::Anyone,
        (DataScope::Team, Actor::Staff { user_id, team_id }) => match team_id {
            Some(team) => OwnerFilter::UserOrTeam {
                user: *user_id,
                team: *team,
            },
            None => OwnerFilter::User(*user_id),
        },
        (DataScope::Own, Actor::Staff { user_id, .. }) => OwnerFilter::User(*user_id),
        // Keys always reach everything (`Grant::of_api_scopes`); a narrower one reaches nothing.
        (_, Actor::ApiKey { .. }) => OwnerFilter::Nobody,
    }
}

/// Fails with `Denied::Scope` unless `principal` reaches every one of `customers`. Ids that are
/// no customer pass: the caller's read answers "not found" for them.
pub async fn require_reach(
    store: &dyn Store,
    principal: &Principal,
    customers: &[CustomerId],
) -> Result<(), AccessError> {
    if principal.grant.scope == DataScope::All || customers.is_empty() {
        return Ok(());
    }
    let owners = store.customer_owners(customers).await?;
    match owners.iter().all(|o| principal.reaches(o.owner, o.team)) {
        true => Ok(()),
        false => Err(Denied::Scope.into()),
    }
}

/// Makes `owner` the owner of `customer`, or returns the customer to the shared pool (`None`).
/// Takes `customers:edit` and a customer within the caller's scope (so a sales rep may hand
/// their own customer on); the new owner must be an active member of staff. Audited as
/// `customer.assign` with the owners before and after.
pub async fn assign(
    store: &dyn Store,
    by: &Principal,
    customer: CustomerId,
    owner: Option<i64>,
    ip: Option<String>,
) -> Result<(), OwnershipError> {
    by.require(Resource::Customers, Action::Edit)?;
    let customer = store.customer(customer).await?.id;
    require_reach(store, by, &[customer]).await?;
    if let Some(user_id) = owner {
        match store.user(user_id).await {
            Ok(user) if user.disabled_at.is_none() => {}
            Ok(_) => {
                return Err(OwnershipError::Invalid(
                    "owner",
                    "is a disabled account".into(),
                ));
            }
            Err(StoreError::NotFound(_)) => {
                return Err(OwnershipError::Invalid(
                    "owner",
                    "is no member of staff".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let before = store
        .customer_owners(&[customer])
        .await?
        .first()
        .and_then(|o| o.owner);
    if before == owner {
        return Ok(());
    }
    store
        .assign_customer(customer, owner, chrono::Utc::now().timestamp_millis())
        .await?;
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&by.actor),
            action: "customer.assign",
            target: Some(("customer", customer.0.to_string())),
            detail: json!({ "from": before, "to": owner }),
            ip,
        },
    )
    .await?;
    Ok(())
}

/// The longest team name kept, in characters.
const MAX_TEAM_NAME: usize = 60;

/// Creates a team (`users:edit`), audited as `team.create`.
pub async fn create_team(
    store: &dyn Store,
    by: &Principal,
    name: &str,
    ip: Option<String>,
) -> Result<Team, OwnershipError> {
    by.require(Resource::Users, Action::Edit)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_TEAM_NAME {
        return Err(OwnershipError::Invalid(
            "team",
            format!("must be 1 to {MAX_TEAM_NAME} characters"),
        ));
    }
    let team = match store
        .create_team(name, chrono::Utc::now().timestamp_millis())
        .await
    {
        Err(StoreError::Conflict(_)) => {
            return Err(OwnershipError::Invalid("team", "exists already".into()));
        }
        other => other?,
    };
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&by.actor),
            action: "team.create",
            target: Some(("team", team.id.to_string())),
            detail: json!({ "name": team.name }),
            ip,
        },
    )
    .await?;
    Ok(team)
}

/// Puts a member of staff in a team, or in none (`users:edit`), audited as `user.team`. Takes
/// effect on their next request.
pub async fn set_team(
    store: &dyn Store,
    by: &Principal,
    user_id: i64,
    team: Option<i64>,
    ip: Option<String>,
) -> Result<(), OwnershipError> {
    by.require(Resource::Users, Action::Edit)?;
    let before = store.user(user_id).await?.team_id;
    if before == team {
        return Ok(());
    }
    match store.set_team(user_id, team).await {
        Err(StoreError::NotFound("team")) => {
            return Err(OwnershipError::Invalid("team", "does not exist".into()));
        }
        other => other?,
    }
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&by.actor),
            action: "user.team",
            target: Some(("user", user_id.to_string())),
            detail: json!({ "from": before, "to": team }),
            ip,
        },
    )
    .await?;
    Ok(())
}
