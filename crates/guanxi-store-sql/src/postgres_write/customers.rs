//! Receipts, identities, customers, merges and traits: the writes identity resolution makes.

use super::{PgWriteTx, distinct, get};
use crate::rows::{identity, traits};
use crate::write_rules::{merged_traits, name_search};
use guanxi_domain::resolution::MergeDecision;
use guanxi_domain::{CustomerId, IdentityKey, Millis, SourceId};
use guanxi_store::{StoreResult, Traits};
use sqlx::postgres::PgRow;
use std::collections::{HashMap, HashSet};

impl PgWriteTx {
    /// Records idempotency keys; answers which were new.
    pub(super) async fn claim(
        &mut self,
        keys: &[(SourceId, String)],
        at: Millis,
    ) -> StoreResult<HashSet<(SourceId, String)>> {
        // Listed twice, a key is still claimed once and answered as new once.
        let keys = distinct(keys);
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        // RETURNING lists exactly the rows this statement inserted, i.e. the fresh keys: one
        // round trip, where asking first and inserting after took two.
        let q = sqlx::query(
            "INSERT INTO receipts (source_id, key, at) \
             SELECT s, k, $3 FROM UNNEST($1::bigint[], $2::text[]) AS v(s, k) \
             ON CONFLICT DO NOTHING RETURNING source_id, key",
        )
        .bind(keys.iter().map(|(s, _)| s.0).collect::<Vec<_>>())
        .bind(keys.into_iter().map(|(_, k)| k).collect::<Vec<_>>())
        .bind(at);
        self.fetch(q)
            .await?
            .iter()
            .map(|r| Ok((SourceId(get(r, "source_id")?), get(r, "key")?)))
            .collect()
    }

    /// Stored owners of these identifiers.
    pub(super) async fn owners(
        &mut self,
        keys: &[IdentityKey],
    ) -> StoreResult<Vec<(IdentityKey, CustomerId)>> {
        // Distinct first: the join would answer a key listed twice twice.
        let keys = distinct(keys);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let q = sqlx::query(
            "SELECT i.kind, i.value, i.customer_id \
             FROM UNNEST($1::text[], $2::text[]) AS v(kind, value) \
             JOIN identities i ON i.kind = v.kind AND i.value = v.value",
        )
        .bind(keys.iter().map(|k| k.kind().name()).collect::<Vec<_>>())
        .bind(
            keys.iter()
                .map(|k| k.value().to_owned())
                .collect::<Vec<_>>(),
        );
        self.fetch(q).await?.iter().map(owned_identity).collect()
    }

    /// Identifiers of kinds with a per-customer limit held by these customers.
    pub(super) async fn limited(
        &mut self,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, IdentityKey)>> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        // Anonymous ids pile up (one per device) and never have a limit: leave them in the
        // database; the limit itself is the domain's to decide.
        let q = sqlx::query(
            "SELECT customer_id, kind, value FROM identities \
             WHERE customer_id = ANY($1::bigint[]) AND kind <> 'anonymous_id'",
        )
        .bind(customers.iter().map(|c| c.0).collect::<Vec<_>>());
        let mut held = Vec::new();
        for r in self.fetch(q).await? {
            let key = identity(&get::<String>(&r, "kind")?, &get::<String>(&r, "value")?)?;
            if key.kind().limit().is_some() {
                held.push((CustomerId(get(&r, "customer_id")?), key));
            }
        }
        Ok(held)
    }

    pub(super) async fn create(
        &mut self,
        count: usize,
        at: Millis,
    ) -> StoreResult<Vec<CustomerId>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let q = sqlx::query(
            "INSERT INTO customers (created_at, updated_at) \
             SELECT $1, $1 FROM generate_series(1, $2::bigint) RETURNING id",
        )
        .bind(at)
        .bind(count as i64);
        let mut ids = self
            .fetch(q)
            .await?
            .iter()
            .map(|r| get::<i64>(r, "id"))
            .collect::<StoreResult<Vec<_>>>()?;
        // RETURNING promises no order; the sequence hands ids out ascending.
        ids.sort_unstable();
        Ok(ids.into_iter().map(CustomerId).collect())
    }

    /// Moves everything of `merge.from` to `merge.into` in one statement, after one read of
    /// both customers' traits.
    pub(super) async fn merge(&mut self, merge: &MergeDecision, at: Millis) -> StoreResult<()> {
        let both = self.read_traits(&[merge.from, merge.into]).await?;
        let merged = merged_traits(&both, merge.from, merge.into);
        let name = name_search(&merged);
        // Every sub-statement sees the same snapshot and touches different rows (the survivor,
        // the merged customer, the customers redirected to it, and other tables), so none
        // depends on another's effect. Path compression: whatever pointed at `from` now points
        // at the survivor.
        let q = sqlx::query(
            "WITH identities_moved AS (UPDATE identities SET customer_id = $1 WHERE customer_id = $2), \
             events_moved AS (UPDATE events SET customer_id = $1 WHERE customer_id = $2), \
             orders_moved AS (UPDATE orders SET customer_id = $1 WHERE customer_id = $2), \
             tags_copied AS (INSERT INTO customer_tags (customer_id, tag) \
                 SELECT $1, tag FROM customer_tags WHERE customer_id = $2 ON CONFLICT DO NOTHING), \
             tags_dropped AS (DELETE FROM customer_tags WHERE customer_id = $2), \
             redirected AS (UPDATE customers SET merged_into = $1 WHERE merged_into = $2), \
             survivor AS (UPDATE customers SET traits = $3, name_search = $4, updated_at = $5 WHERE id = $1), \
             retired AS (UPDATE customers SET merged_into = $1, updated_at = $5 WHERE id = $2) \
             INSERT INTO merges (from_id, into_id, reason, at) VALUES ($2, $1, $6, $5)",
        )
        .bind(merge.into.0)
        .bind(merge.from.0)
        .bind(serde_json::Value::Object(merged).to_string())
        .bind(name)
        .bind(at)
        .bind(merge.reason.clone());
        self.execute(q).await.map(|_| ())
    }

    /// Attaches identifiers not owned yet; answers those it attached, with their owners.
    pub(super) async fn attach(
        &mut self,
        identities: &[(IdentityKey, CustomerId, SourceId)],
        at: Millis,
    ) -> StoreResult<Vec<(IdentityKey, CustomerId)>> {
        if identities.is_empty() {
            return Ok(Vec::new());
        }
        let q = sqlx::query(
            "INSERT INTO identities (kind, value, customer_id, source_id, created_at) \
             SELECT k, v, c, s, $5 FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS u(k, v, c, s) \
             ON CONFLICT DO NOTHING RETURNING kind, value, customer_id",
        )
        .bind(identities.iter().map(|(k, _, _)| k.kind().name()).collect::<Vec<_>>())
        .bind(
            identities
                .iter()
                .map(|(k, _, _)| k.value().to_owned())
                .collect::<Vec<_>>(),
        )
        .bind(identities.iter().map(|(_, c, _)| c.0).collect::<Vec<_>>())
        .bind(identities.iter().map(|(_, _, s)| s.0).collect::<Vec<_>>())
        .bind(at);
        self.fetch(q).await?.iter().map(owned_identity).collect()
    }

    pub(super) async fn read_traits(
        &mut self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, Traits)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let q = sqlx::query("SELECT id, traits FROM customers WHERE id = ANY($1::bigint[])")
            .bind(ids.iter().map(|c| c.0).collect::<Vec<_>>());
        self.fetch(q)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    CustomerId(get(r, "id")?),
                    traits(&get::<String>(r, "traits")?)?,
                ))
            })
            .collect()
    }

    pub(super) async fn write_traits(
        &mut self,
        all: &[(CustomerId, Traits)],
        at: Millis,
    ) -> StoreResult<()> {
        // One row per customer: joined twice, UPDATE … FROM would apply an arbitrary one. The
        // last one listed wins, as when they were written one after another.
        let mut last: HashMap<CustomerId, &Traits> = HashMap::new();
        let mut order = Vec::new();
        for (id, t) in all {
            if last.insert(*id, t).is_none() {
                order.push(*id);
            }
        }
        if order.is_empty() {
            return Ok(());
        }
        let q = sqlx::query(
            "UPDATE customers SET traits = v.traits, name_search = v.name_search, updated_at = $4 \
             FROM UNNEST($1::bigint[], $2::text[], $3::text[]) AS v(id, traits, name_search) \
             WHERE customers.id = v.id",
        )
        .bind(order.iter().map(|id| id.0).collect::<Vec<_>>())
        .bind(
            order
                .iter()
                .map(|id| serde_json::Value::Object(last[id].clone()).to_string())
                .collect::<Vec<_>>(),
        )
        .bind(
            order
                .iter()
                .map(|id| name_search(last[id]))
                .collect::<Vec<_>>(),
        )
        .bind(at);
        self.execute(q).await.map(|_| ())
    }
}

/// A row of `kind`, `value` and `customer_id`: an identifier and who owns it.
fn owned_identity(r: &PgRow) -> StoreResult<(IdentityKey, CustomerId)> {
    let key = identity(&get::<String>(r, "kind")?, &get::<String>(r, "value")?)?;
    Ok((key, CustomerId(get(r, "customer_id")?)))
}
