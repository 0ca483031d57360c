//! Receipts, identities, customers, merges and traits: the writes identity resolution makes.

use super::{PgWriteTx, distinct, get};
use crate::sealed::{
    identity_lookup_value, open_identity, open_traits, seal_identity, seal_traits,
};
use crate::vault::Vault;
use crate::write_rules::merged_traits;
use guanxi_domain::resolution::MergeDecision;
use guanxi_domain::{CustomerId, IdentityKey, Millis, SourceId};
use guanxi_store::{StoreError, StoreResult, Traits};
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
        let stored = StoredKeys::to_look_up(&self.vault, &keys);
        let q = sqlx::query(
            "SELECT i.kind, i.value, i.customer_id \
             FROM UNNEST($1::text[], $2::text[]) AS v(kind, value) \
             JOIN identities i ON i.kind = v.kind AND i.value = v.value",
        )
        .bind(stored.kinds())
        .bind(stored.values());
        let rows = self.fetch(q).await?;
        stored.owners_in_asked_order(&rows)
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
            "SELECT customer_id, kind, value, sealed_value FROM identities \
             WHERE customer_id = ANY($1::bigint[]) AND kind <> 'anonymous_id'",
        )
        .bind(customers.iter().map(|c| c.0).collect::<Vec<_>>());
        let mut held = Vec::new();
        for r in self.fetch(q).await? {
            let key = open_identity(
                &self.vault,
                &get::<String>(&r, "kind")?,
                &get::<String>(&r, "value")?,
                get::<Option<String>>(&r, "sealed_value")?.as_deref(),
            )?;
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
        let merged = seal_traits(&self.vault, &merged_traits(&both, merge.from, merge.into));
        // Every sub-statement sees the same snapshot and touches different rows (the survivor,
        // the merged customer, the customers redirected to it, and other tables), so none
        // depends on another's effect. Path compression: whatever pointed at `from` now points
        // at the survivor. A survivor nobody owned takes the merged customer's owner.
        let q = sqlx::query(
            "WITH identities_moved AS (UPDATE identities SET customer_id = $1 WHERE customer_id = $2), \
             events_moved AS (UPDATE events SET customer_id = $1 WHERE customer_id = $2), \
             orders_moved AS (UPDATE orders SET customer_id = $1 WHERE customer_id = $2), \
             tags_copied AS (INSERT INTO customer_tags (customer_id, tag) \
                 SELECT $1, tag FROM customer_tags WHERE customer_id = $2 ON CONFLICT DO NOTHING), \
             tags_dropped AS (DELETE FROM customer_tags WHERE customer_id = $2), \
             redirected AS (UPDATE customers SET merged_into = $1 WHERE merged_into = $2), \
             survivor AS (UPDATE customers s SET traits = $3, name_index = $4, updated_at = $5, \
                 owner_user_id = COALESCE(s.owner_user_id, f.owner_user_id), \
                 owner_since = CASE WHEN s.owner_user_id IS NULL THEN f.owner_since ELSE s.owner_since END \
                 FROM customers f WHERE s.id = $1 AND f.id = $2), \
             retired AS (UPDATE customers SET merged_into = $1, updated_at = $5 WHERE id = $2) \
             INSERT INTO merges (from_id, into_id, reason, at) VALUES ($2, $1, $6, $5)",
        )
        .bind(merge.into.0)
        .bind(merge.from.0)
        .bind(merged.json)
        .bind(merged.name_index)
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
        let keys: Vec<IdentityKey> = identities.iter().map(|(k, _, _)| k.clone()).collect();
        let stored = StoredKeys::to_insert(&self.vault, &keys);
        let q = sqlx::query(
            "INSERT INTO identities (kind, value, sealed_value, customer_id, source_id, created_at) \
             SELECT k, v, z, c, s, $6 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) \
             AS u(k, v, z, c, s) ON CONFLICT DO NOTHING RETURNING kind, value, customer_id",
        )
        .bind(stored.kinds())
        .bind(stored.values())
        .bind(stored.sealed())
        .bind(identities.iter().map(|(_, c, _)| c.0).collect::<Vec<_>>())
        .bind(identities.iter().map(|(_, _, s)| s.0).collect::<Vec<_>>())
        .bind(at);
        let rows = self.fetch(q).await?;
        stored.owners_in_asked_order(&rows)
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
                    open_traits(&self.vault, &get::<String>(r, "traits")?)?,
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
        let (json, name_index): (Vec<String>, Vec<Option<String>>) = order
            .iter()
            .map(|id| {
                let stored = seal_traits(&self.vault, last[id]);
                (stored.json, stored.name_index)
            })
            .unzip();
        let q = sqlx::query(
            "UPDATE customers SET traits = v.traits, name_index = v.name_index, updated_at = $4 \
             FROM UNNEST($1::bigint[], $2::text[], $3::text[]) AS v(id, traits, name_index) \
             WHERE customers.id = v.id",
        )
        .bind(order.iter().map(|id| id.0).collect::<Vec<_>>())
        .bind(json)
        .bind(name_index)
        .bind(at);
        self.execute(q).await.map(|_| ())
    }
}

/// Identifiers as stored (blind indexes for emails and phones), and the way back from a
/// returned row to the identifier it stores.
struct StoredKeys<'a> {
    keys: &'a [IdentityKey],
    /// `identities.value` of each key, in the keys' order.
    values: Vec<String>,
    /// `identities.sealed_value` of each key; only made for keys about to be inserted.
    sealed: Vec<Option<String>>,
    /// (kind, stored value) → position in `keys`.
    position: HashMap<(String, String), usize>,
}

impl<'a> StoredKeys<'a> {
    /// Keys to find: their blind indexes, nothing sealed.
    fn to_look_up(vault: &Vault, keys: &'a [IdentityKey]) -> Self {
        let values = keys
            .iter()
            .map(|k| identity_lookup_value(vault, k).into_owned())
            .collect();
        Self::of(keys, values, Vec::new())
    }

    /// Keys to insert: their blind indexes and their sealed values.
    fn to_insert(vault: &Vault, keys: &'a [IdentityKey]) -> Self {
        let (values, sealed) = keys.iter().map(|k| seal_identity(vault, k)).unzip();
        Self::of(keys, values, sealed)
    }

    fn of(keys: &'a [IdentityKey], values: Vec<String>, sealed: Vec<Option<String>>) -> Self {
        let position = keys
            .iter()
            .zip(&values)
            .enumerate()
            .map(|(i, (key, value))| ((key.kind().name(), value.clone()), i))
            .collect();
        Self {
            keys,
            values,
            sealed,
            position,
        }
    }

    fn kinds(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.kind().name()).collect()
    }

    fn values(&self) -> &[String] {
        &self.values
    }

    fn sealed(&self) -> &[Option<String>] {
        &self.sealed
    }

    /// Rows of `kind`, `value` and `customer_id`: which of the keys each is and who owns it, in
    /// the order the keys were asked for (blind indexes come back in no useful order, and both
    /// backends answer alike).
    fn owners_in_asked_order(&self, rows: &[PgRow]) -> StoreResult<Vec<(IdentityKey, CustomerId)>> {
        let mut found = rows
            .iter()
            .map(|r| {
                let stored = (get::<String>(r, "kind")?, get::<String>(r, "value")?);
                let i = *self.position.get(&stored).ok_or_else(|| {
                    StoreError::other("the database answered an identifier not asked for")
                })?;
                Ok((i, CustomerId(get(r, "customer_id")?)))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        found.sort_by_key(|(i, _)| *i);
        Ok(found
            .into_iter()
            .map(|(i, owner)| (self.keys[i].clone(), owner))
            .collect())
    }
}
