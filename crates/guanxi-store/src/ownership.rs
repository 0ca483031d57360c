//! Who works each customer: an owner among the staff, or nobody (the shared pool). Roles with
//! an `own` or `team` data scope reach only the customers they or their team own.

use crate::StoreResult;
use async_trait::async_trait;
use guanxi_domain::{CustomerId, Millis};

/// A customer's owner, with the owner's team as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerOwner {
    pub customer: CustomerId,
    /// The owning user; `None` while the customer is in the shared pool.
    pub owner: Option<i64>,
    pub team: Option<i64>,
    /// When the current owner took the customer on.
    pub since: Option<Millis>,
}

/// Whose customers a search may return: a data scope, as the store applies it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OwnerFilter {
    #[default]
    Anyone,
    /// Those this user owns.
    User(i64),
    /// Those this user or anyone in their team owns.
    UserOrTeam { user: i64, team: i64 },
    /// None at all.
    Nobody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: i64,
    pub name: String,
}

#[async_trait]
pub trait OwnershipStore {
    /// The owners of the customers asked about, in no particular order; ids that are no
    /// customer are left out. A merged-away id answers with its own (stale) row: ask with
    /// surviving ids.
    async fn customer_owners(&self, ids: &[CustomerId]) -> StoreResult<Vec<CustomerOwner>>;
    /// Makes `owner` the owner of `customer` from `at` on, or returns it to the pool (`None`).
    /// `NotFound` unless `customer` is a surviving customer and `owner` a user.
    async fn assign_customer(
        &self,
        customer: CustomerId,
        owner: Option<i64>,
        at: Millis,
    ) -> StoreResult<()>;
    async fn create_team(&self, name: &str, at: Millis) -> StoreResult<Team>;
    /// Teams by name.
    async fn teams(&self) -> StoreResult<Vec<Team>>;
    /// Puts a user in `team`, or in none. `NotFound` if either does not exist.
    async fn set_team(&self, user_id: i64, team: Option<i64>) -> StoreResult<()>;
}
