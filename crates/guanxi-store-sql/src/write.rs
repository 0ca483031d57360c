//! The write transaction every ingest batch commits in. Multi-row statements keep a batch of
//! hundreds of messages to a handful of round trips.

use crate::SqlStore;
use crate::backend::{Backend, map_err};
use crate::rows::{customer_id, get, identity, traits};
use crate::sql::{self, CHUNK};
use async_trait::async_trait;
use guanxi_domain::resolution::MergeDecision;
use guanxi_domain::{CustomerId, IdentityKey, Millis, OrderStatus, SourceId};
use guanxi_store::{
    Change, NewEvent, NewJob, OrderHead, OrderItemRow, OrderRow, ProductRow, RefundRow, StoreError,
    StoreResult, Traits, WriteTx,
};
use sqlx::{Any, Transaction};
use std::collections::HashSet;

/// The PostgreSQL advisory lock key that serialises write transactions ("guanxi" in ASCII).
const WRITER_LOCK: i64 = 0x6775_616e_7869;

pub(crate) struct SqlWriteTx {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) backend: Backend,
}

impl SqlWriteTx {
    pub(crate) fn placeholders(&self) -> sql::Placeholders {
        sql::Placeholders::for_backend(self.backend)
    }

    pub(crate) async fn begin(store: &SqlStore) -> StoreResult<Self> {
        // SQLite: take the write lock up front so a concurrent writer waits (busy_timeout)
        // instead of failing mid-transaction.
        let mut tx = match store.backend {
            Backend::Sqlite => store.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => store.pool.begin().await,
        }
        .map_err(map_err)?;
        if store.backend == Backend::Postgres {
            // One writer at a time across every replica, as on SQLite: identity resolution reads
            // owners before it attaches, and the change feed's seq must commit in order.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITER_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        Ok(Self {
            tx,
            backend: store.backend,
        })
    }

    pub(crate) async fn execute<'q>(
        &mut self,
        query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> StoreResult<u64> {
        query
            .execute(&mut *self.tx)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err)
    }
}

/// Name as stored for case-insensitive search.
fn name_search(traits: &Traits) -> Option<String> {
    traits
        .get("name")
        .and_then(|v| v.as_str())
        .map(str::to_lowercase)
}

#[async_trait]
impl WriteTx for SqlWriteTx {
    async fn claim_receipts(
        &mut self,
        keys: &[(SourceId, String)],
        at: Millis,
    ) -> StoreResult<HashSet<(SourceId, String)>> {
        // Retries are rare, so ask which keys exist (usually none come back) and insert the rest
        // without RETURNING: every returned row is a hand-off from SQLite's connection thread.
        // Write transactions are serialised, so nothing claims a key in between.
        let mut fresh = HashSet::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT r.source_id, r.key FROM (VALUES {}) AS v \
                 JOIN receipts r ON r.source_id = v.column1 AND r.key = v.column2",
                sql::values(self.placeholders(), chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for (source, key) in chunk {
                q = q.bind(source.0).bind(key.clone());
            }
            let mut seen = HashSet::new();
            for row in q.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                seen.insert((
                    SourceId(get(&row, "source_id")?),
                    get::<String>(&row, "key")?,
                ));
            }
            let new: Vec<&(SourceId, String)> = chunk
                .iter()
                .filter(|k| !seen.contains(*k) && !fresh.contains(*k))
                .collect();
            let new: Vec<&(SourceId, String)> = {
                let mut once = HashSet::new();
                new.into_iter().filter(|k| once.insert(*k)).collect()
            };
            if new.is_empty() {
                continue;
            }
            let sql = format!(
                "INSERT INTO receipts (source_id, key, at) VALUES {} ON CONFLICT DO NOTHING",
                sql::values(self.placeholders(), new.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for (source, key) in &new {
                q = q.bind(source.0).bind(key.clone()).bind(at);
            }
            self.execute(q).await?;
            fresh.extend(new.into_iter().cloned());
        }
        Ok(fresh)
    }

    async fn identity_owners(
        &mut self,
        keys: &[IdentityKey],
    ) -> StoreResult<Vec<(IdentityKey, CustomerId)>> {
        let mut owners = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT i.kind, i.value, i.customer_id FROM (VALUES {}) AS v \
                 JOIN identities i ON i.kind = v.column1 AND i.value = v.column2",
                sql::values(self.placeholders(), chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for key in chunk {
                q = q.bind(key.kind().name()).bind(key.value().to_owned());
            }
            for row in q.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                let key = identity(
                    &get::<String>(&row, "kind")?,
                    &get::<String>(&row, "value")?,
                )?;
                owners.push((key, customer_id(&row, "customer_id")?));
            }
        }
        Ok(owners)
    }

    async fn limited_identities(
        &mut self,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, IdentityKey)>> {
        let mut held = Vec::new();
        for chunk in customers.chunks(CHUNK) {
            let sql = format!(
                "SELECT customer_id, kind, value FROM identities WHERE customer_id IN ({}) AND kind <> 'anonymous_id'",
                sql::list(self.placeholders(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q.bind(c.0);
            }
            for row in q.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                let key = identity(
                    &get::<String>(&row, "kind")?,
                    &get::<String>(&row, "value")?,
                )?;
                if key.kind().limit().is_some() {
                    held.push((customer_id(&row, "customer_id")?, key));
                }
            }
        }
        Ok(held)
    }

    async fn create_customers(&mut self, count: usize, at: Millis) -> StoreResult<Vec<CustomerId>> {
        self.insert_customers(count, at).await
    }

    async fn merge_customer(&mut self, merge: &MergeDecision, at: Millis) -> StoreResult<()> {
        self.merge_customers(merge, at).await
    }

    async fn attach_identities(
        &mut self,
        identities: &[(IdentityKey, CustomerId, SourceId)],
        at: Millis,
    ) -> StoreResult<()> {
        for chunk in identities.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO identities (kind, value, customer_id, source_id, created_at) VALUES {} ON CONFLICT DO NOTHING",
                sql::values(self.placeholders(), chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for (key, customer, source) in chunk {
                q = q
                    .bind(key.kind().name())
                    .bind(key.value().to_owned())
                    .bind(customer.0)
                    .bind(source.0)
                    .bind(at);
            }
            self.execute(q).await?;
        }
        Ok(())
    }

    async fn customer_traits(
        &mut self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, Traits)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, traits FROM customers WHERE id IN ({})",
                sql::list(self.placeholders(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.0);
            }
            for row in q.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                out.push((
                    customer_id(&row, "id")?,
                    traits(&get::<String>(&row, "traits")?)?,
                ));
            }
        }
        Ok(out)
    }

    async fn set_traits(&mut self, all: &[(CustomerId, Traits)], at: Millis) -> StoreResult<()> {
        // One statement per chunk: VALUES columns are named column1… on both backends.
        for chunk in all.chunks(CHUNK) {
            let sql = format!(
                "UPDATE customers SET traits = v.column2, name_search = v.column3, updated_at = v.column4 \
                 FROM (VALUES {}) AS v WHERE customers.id = v.column1",
                sql::values(self.placeholders(), chunk.len(), 4)
            );
            let mut q = sqlx::query(&sql);
            for (id, t) in chunk {
                q = q
                    .bind(id.0)
                    .bind(serde_json::Value::Object(t.clone()).to_string())
                    .bind(name_search(t))
                    .bind(at);
            }
            self.execute(q).await?;
        }
        Ok(())
    }

    async fn add_tags(&mut self, customer: CustomerId, tags: &[String]) -> StoreResult<u64> {
        if tags.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "INSERT INTO customer_tags (customer_id, tag) VALUES {} ON CONFLICT DO NOTHING",
            sql::values(self.placeholders(), tags.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for tag in tags {
            q = q.bind(customer.0).bind(tag.clone());
        }
        self.execute(q).await
    }

    async fn remove_tags(&mut self, customer: CustomerId, tags: &[String]) -> StoreResult<()> {
        for tag in tags {
            self.execute(
                sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1 AND tag = $2")
                    .bind(customer.0)
                    .bind(tag.clone()),
            )
            .await?;
        }
        Ok(())
    }

    async fn insert_events(&mut self, events: &[NewEvent]) -> StoreResult<()> {
        for chunk in events.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO events (source_id, message_id, customer_id, kind, name, properties, timestamp, received_at) VALUES {}",
                sql::values(self.placeholders(), chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.source.0)
                    .bind(e.message_id.clone())
                    .bind(e.customer.0)
                    .bind(e.kind.as_str())
                    .bind(e.name.clone())
                    .bind(e.properties.to_string())
                    .bind(e.timestamp)
                    .bind(e.received_at);
            }
            self.execute(q).await?;
        }
        Ok(())
    }

    async fn order_heads(
        &mut self,
        keys: &[(SourceId, String)],
    ) -> StoreResult<Vec<(SourceId, String, OrderHead)>> {
        self.heads_by_keys(keys).await
    }

    async fn order_heads_by_id(&mut self, ids: &[i64]) -> StoreResult<Vec<OrderHead>> {
        self.heads_by_ids(ids).await
    }

    async fn upsert_orders(
        &mut self,
        orders: &[(OrderRow, Vec<OrderItemRow>)],
    ) -> StoreResult<Vec<i64>> {
        self.write_orders(orders).await
    }

    async fn set_order_status(
        &mut self,
        order_id: i64,
        status: OrderStatus,
        at: Millis,
    ) -> StoreResult<()> {
        let q = sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(at)
            .bind(order_id);
        self.execute(q).await.map(|_| ())
    }

    async fn insert_refunds(&mut self, refunds: &[(i64, RefundRow)]) -> StoreResult<Vec<bool>> {
        self.write_refunds(refunds).await
    }

    async fn upsert_products(&mut self, products: &[ProductRow], at: Millis) -> StoreResult<()> {
        // One row per SKU per statement: PostgreSQL refuses to update one row twice in one INSERT.
        let mut seen = HashSet::new();
        let unique: Vec<&ProductRow> = products
            .iter()
            .rev()
            .filter(|p| seen.insert(p.sku.clone()))
            .collect();
        for chunk in unique.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO products (sku, name, category, price_minor, currency, updated_at) VALUES {} \
                 ON CONFLICT (sku) DO UPDATE SET name = excluded.name, category = COALESCE(excluded.category, products.category), \
                 price_minor = COALESCE(excluded.price_minor, products.price_minor), currency = excluded.currency, updated_at = excluded.updated_at",
                sql::values(self.placeholders(), chunk.len(), 6)
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q
                    .bind(p.sku.clone())
                    .bind(p.name.clone())
                    .bind(p.category.clone())
                    .bind(p.price)
                    .bind(p.currency.clone())
                    .bind(at);
            }
            self.execute(q).await?;
        }
        Ok(())
    }

    async fn append_changes(&mut self, changes: &[Change], at: Millis) -> StoreResult<()> {
        for chunk in changes.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO changes (customer_id, kind, at) VALUES {}",
                sql::values(self.placeholders(), chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q.bind(c.customer.0).bind(c.kind.as_str()).bind(at);
            }
            self.execute(q).await?;
        }
        Ok(())
    }

    async fn enqueue_jobs(&mut self, jobs: &[NewJob]) -> StoreResult<()> {
        for job in jobs {
            self.execute(
                sqlx::query(
                    "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (dedupe_key) DO NOTHING",
                )
                .bind(job.kind.clone())
                .bind(job.payload.to_string())
                .bind(job.dedupe_key.clone())
                .bind(job.run_at)
                .bind(job.run_at),
            )
            .await?;
        }
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(|e| match map_err(e) {
            StoreError::NotFound(_) => StoreError::other("commit failed"),
            other => other,
        })
    }
}
