//! Customer owners and staff teams, for data scopes.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{customer_id, get};
use crate::sql::{self, Placeholders};
use async_trait::async_trait;
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{CustomerOwner, OwnershipStore, StoreError, StoreResult, Team};

#[async_trait]
impl OwnershipStore for SqlStore {
    async fn customer_owners(&self, ids: &[CustomerId]) -> StoreResult<Vec<CustomerOwner>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT c.id, c.owner_user_id, c.owner_since, u.team_id FROM customers c \
             LEFT JOIN users u ON u.id = c.owner_user_id WHERE c.id IN ({})",
            sql::list(Placeholders::Numbered { first: 1 }, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id.0);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(CustomerOwner {
                    customer: customer_id(row, "id")?,
                    owner: get(row, "owner_user_id")?,
                    team: get(row, "team_id")?,
                    since: get(row, "owner_since")?,
                })
            })
            .collect()
    }

    async fn assign_customer(
        &self,
        customer: CustomerId,
        owner: Option<i64>,
        at: Millis,
    ) -> StoreResult<()> {
        self.change_one(
            "customer",
            sqlx::query(
                "UPDATE customers SET owner_user_id = $1, owner_since = $2 \
                 WHERE id = $3 AND merged_into IS NULL",
            )
            .bind(owner)
            .bind(owner.map(|_| at))
            .bind(customer.0),
        )
        .await
    }

    async fn create_team(&self, name: &str, at: Millis) -> StoreResult<Team> {
        let id: i64 =
            sqlx::query_scalar("INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id")
                .bind(name.to_owned())
                .bind(at)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| match map_err(e) {
                    StoreError::Conflict(_) => StoreError::Conflict("team"),
                    other => other,
                })?;
        Ok(Team {
            id,
            name: name.to_owned(),
        })
    }

    async fn teams(&self) -> StoreResult<Vec<Team>> {
        let rows = sqlx::query("SELECT id, name FROM teams ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(Team {
                    id: get(row, "id")?,
                    name: get(row, "name")?,
                })
            })
            .collect()
    }

    async fn set_team(&self, user_id: i64, team: Option<i64>) -> StoreResult<()> {
        if let Some(team) = team {
            let known: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
                .bind(team)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
            if known.is_none() {
                return Err(StoreError::NotFound("team"));
            }
        }
        self.change_one(
            "user",
            sqlx::query("UPDATE users SET team_id = $1 WHERE id = $2")
                .bind(team)
                .bind(user_id),
        )
        .await
    }
}
