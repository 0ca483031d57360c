//! The write transaction on PostgreSQL, over the native driver instead of `Any`.
//!
//! Every operation is one fixed statement text whose rows travel as array parameters
//! (`UNNEST($1::bigint[], …)`), however many rows a batch has. PostgreSQL parses and plans each
//! statement once per connection and sqlx caches it, where generated multi-row `VALUES` lists
//! were a new, huge statement for every batch size. Arrays also lift the bound-parameter limit,
//! so nothing is chunked.

mod customers;
mod orders;

use crate::backend::map_err;
use crate::owner_cache::{Learnt, OwnerCache};
use crate::sealed::seal_properties;
use crate::vault::Vault;
use async_trait::async_trait;
use guanxi_domain::resolution::MergeDecision;
use guanxi_domain::{CustomerId, IdentityKey, Millis, OrderStatus, SourceId};
use guanxi_store::{
    Change, DeliveryUpdate, NewDelivery, NewEvent, NewJob, OrderHead, OrderItemRow, OrderRow,
    ProductRow, RefundRow, SegmentChange, StoreError, StoreResult, Traits, WriteTx,
};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{PgPool, Postgres, Row, Transaction};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The advisory lock key that serialises write transactions ("guanxi" in ASCII). Every writer,
/// on every replica, must use this same key.
pub(crate) const WRITER_LOCK: i64 = 0x6775_616e_7869;

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

pub(crate) struct PgWriteTx {
    tx: Transaction<'static, Postgres>,
    /// This process's identity owners, shared by its write transactions (one at a time).
    owner_cache: Arc<Mutex<OwnerCache>>,
    /// Owners this transaction read or wrote, for the cache once it commits.
    learnt: Learnt,
    vault: Arc<Vault>,
}

/// The cache stays usable even if a thread panicked while holding it: it is only a cache, and
/// at worst it holds owners that a later `validate` drops.
fn lock(owners: &Mutex<OwnerCache>) -> MutexGuard<'_, OwnerCache> {
    owners.lock().unwrap_or_else(PoisonError::into_inner)
}

impl PgWriteTx {
    pub(crate) async fn begin(
        pool: &PgPool,
        owners: &Arc<Mutex<OwnerCache>>,
        vault: Arc<Vault>,
    ) -> StoreResult<Self> {
        let mut tx = pool.begin().await.map_err(map_err)?;
        // One writer at a time across every replica, as on SQLite: identity resolution reads
        // owners before it attaches, and the change feed's seq must commit in order.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITER_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        // Moved by one since this process's last commit unless someone else wrote identities or
        // merges. The row stays locked until this transaction ends, so nobody else moves it
        // meanwhile (other paths that change identities wait, through the triggers).
        let epoch: i64 =
            sqlx::query_scalar("UPDATE writer_epoch SET epoch = epoch + 1 RETURNING epoch")
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
        let others_wrote = lock(owners).validate(epoch - 1);
        if others_wrote {
            let current: Option<i64> = sqlx::query_scalar(crate::vault::CURRENT_DATA_KEY)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
            if let Err(stale) = vault.check_current(current) {
                lock(owners).invalidate();
                return Err(stale);
            }
        }
        Ok(Self {
            tx,
            owner_cache: Arc::clone(owners),
            learnt: Learnt::default(),
            vault,
        })
    }

    /// Runs a statement; answers how many rows it changed.
    async fn execute(&mut self, query: Query<'_>) -> StoreResult<u64> {
        query
            .execute(&mut *self.tx)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err)
    }

    async fn fetch(&mut self, query: Query<'_>) -> StoreResult<Vec<PgRow>> {
        query.fetch_all(&mut *self.tx).await.map_err(map_err)
    }
}

fn get<'r, T>(row: &'r PgRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get::<T, _>(col).map_err(map_err)
}

/// The distinct items of `items`, first occurrences in order.
fn distinct<T: Clone + Eq + std::hash::Hash>(items: &[T]) -> Vec<T> {
    let mut seen = HashSet::new();
    items.iter().filter(|i| seen.insert(*i)).cloned().collect()
}

#[async_trait]
impl WriteTx for PgWriteTx {
    async fn claim_receipts(
        &mut self,
        keys: &[(SourceId, String)],
        at: Millis,
    ) -> StoreResult<HashSet<(SourceId, String)>> {
        self.claim(keys, at).await
    }

    async fn identity_owners(
        &mut self,
        keys: &[IdentityKey],
    ) -> StoreResult<Vec<(IdentityKey, CustomerId)>> {
        let (known, unknown) = lock(&self.owner_cache).split(keys, &self.learnt);
        let unknown: Vec<IdentityKey> = unknown.into_iter().cloned().collect();
        let read = self.owners(&unknown).await?;
        Ok(self.learnt.read(known, read))
    }

    async fn limited_identities(
        &mut self,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, IdentityKey)>> {
        self.limited(customers).await
    }

    async fn create_customers(&mut self, count: usize, at: Millis) -> StoreResult<Vec<CustomerId>> {
        self.create(count, at).await
    }

    async fn merge_customer(&mut self, merge: &MergeDecision, at: Millis) -> StoreResult<()> {
        self.merge(merge, at).await?;
        self.learnt.merge(merge.from, merge.into);
        Ok(())
    }

    async fn attach_identities(
        &mut self,
        identities: &[(IdentityKey, CustomerId, SourceId)],
        at: Millis,
    ) -> StoreResult<()> {
        for (key, owner) in self.attach(identities, at).await? {
            self.learnt.owner(key, owner);
        }
        Ok(())
    }

    async fn customer_traits(
        &mut self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, Traits)>> {
        self.read_traits(ids).await
    }

    async fn set_traits(&mut self, traits: &[(CustomerId, Traits)], at: Millis) -> StoreResult<()> {
        self.write_traits(traits, at).await
    }

    async fn add_tags(&mut self, customer: CustomerId, tags: &[String]) -> StoreResult<u64> {
        if tags.is_empty() {
            return Ok(0);
        }
        self.execute(
            sqlx::query(
                "INSERT INTO customer_tags (customer_id, tag) SELECT $1, t FROM UNNEST($2::text[]) AS t \
                 ON CONFLICT DO NOTHING",
            )
            .bind(customer.0)
            .bind(tags.to_vec()),
        )
        .await
    }

    async fn remove_tags(&mut self, customer: CustomerId, tags: &[String]) -> StoreResult<()> {
        if tags.is_empty() {
            return Ok(());
        }
        self.execute(
            sqlx::query(
                "DELETE FROM customer_tags WHERE customer_id = $1 AND tag = ANY($2::text[])",
            )
            .bind(customer.0)
            .bind(tags.to_vec()),
        )
        .await
        .map(|_| ())
    }

    async fn insert_events(&mut self, events: &[NewEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        // Ordered by position, so event ids (the newest-first order of a customer's events)
        // follow the batch's order.
        let q = sqlx::query(
            "INSERT INTO events (source_id, message_id, customer_id, kind, name, properties, timestamp, received_at) \
             SELECT s, m, c, k, n, p, t, r FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], \
             $5::text[], $6::text[], $7::bigint[], $8::bigint[]) WITH ORDINALITY AS v(s, m, c, k, n, p, t, r, i) \
             ORDER BY i",
        )
        .bind(events.iter().map(|e| e.source.0).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.message_id.clone()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.customer.0).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.name.clone()).collect::<Vec<_>>())
        .bind(
            events
                .iter()
                .map(|e| seal_properties(&self.vault, &e.properties).into_owned())
                .collect::<Vec<_>>(),
        )
        .bind(events.iter().map(|e| e.timestamp).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.received_at).collect::<Vec<_>>());
        self.execute(q).await.map(|_| ())
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

    async fn insert_refunds(&mut self, refunds: &[(i64, RefundRow)]) -> StoreResult<Vec<bool>> {
        self.write_refunds(refunds).await
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

    async fn upsert_products(&mut self, products: &[ProductRow], at: Millis) -> StoreResult<()> {
        self.write_products(products, at).await
    }

    async fn apply_segment_changes(
        &mut self,
        changes: &[SegmentChange],
        at: Millis,
    ) -> StoreResult<Vec<bool>> {
        use crate::segment_changes::{PG_ENTER, PG_LEAVE, runs};
        let mut applied = Vec::with_capacity(changes.len());
        for run in runs(changes) {
            let mut done = HashSet::new();
            for (entered, sql) in [(true, PG_ENTER), (false, PG_LEAVE)] {
                let part: Vec<&SegmentChange> =
                    run.iter().filter(|c| c.entered == entered).collect();
                if part.is_empty() {
                    continue;
                }
                let q = sqlx::query(sql)
                    .bind(part.iter().map(|c| c.segment).collect::<Vec<_>>())
                    .bind(part.iter().map(|c| c.customer.0).collect::<Vec<_>>())
                    .bind(at);
                for row in self.fetch(q).await? {
                    let segment: i64 = row.try_get("segment_id").map_err(map_err)?;
                    let customer: i64 = row.try_get("customer_id").map_err(map_err)?;
                    done.insert((segment, customer));
                }
            }
            applied.extend(
                run.iter()
                    .map(|c| done.contains(&(c.segment, c.customer.0))),
            );
        }
        Ok(applied)
    }

    async fn insert_deliveries(
        &mut self,
        deliveries: &[NewDelivery],
        at: Millis,
    ) -> StoreResult<u64> {
        if deliveries.is_empty() {
            return Ok(0);
        }
        let q = sqlx::query(
            "INSERT INTO deliveries \
             (origin, customer_id, channel, variant, status, run_at, last_error, marketing, queued_at) \
             SELECT o, c, ch, v, s, r, e, m, $9 FROM UNNEST($1::text[], $2::bigint[], $3::text[], \
                 $4::text[], $5::text[], $6::bigint[], $7::text[], $8::boolean[]) AS u(o, c, ch, v, s, r, e, m) \
             ON CONFLICT (origin, customer_id) DO NOTHING",
        )
        .bind(
            deliveries
                .iter()
                .map(|d| d.origin.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(deliveries.iter().map(|d| d.customer.0).collect::<Vec<_>>())
        .bind(
            deliveries
                .iter()
                .map(|d| d.channel.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            deliveries
                .iter()
                .map(|d| d.variant.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            deliveries
                .iter()
                .map(|d| d.status.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(deliveries.iter().map(|d| d.run_at).collect::<Vec<_>>())
        .bind(
            deliveries
                .iter()
                .map(|d| d.reason.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(deliveries.iter().map(|d| d.marketing).collect::<Vec<_>>())
        .bind(at);
        self.execute(q).await
    }

    async fn update_deliveries(
        &mut self,
        updates: &[DeliveryUpdate],
        at: Millis,
    ) -> StoreResult<Vec<i64>> {
        if updates.is_empty() {
            return Ok(Vec::new());
        }
        let q = sqlx::query(crate::messaging::POSTGRES_UPDATE_DELIVERIES)
            .bind(updates.iter().map(|u| u.id).collect::<Vec<_>>())
            .bind(
                updates
                    .iter()
                    .map(|u| u.status.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(updates.iter().map(|u| u.run_at).collect::<Vec<_>>())
            .bind(
                updates
                    .iter()
                    .map(|u| u.error.as_deref())
                    .collect::<Vec<_>>(),
            )
            .bind(updates.iter().map(|u| !u.attempted).collect::<Vec<_>>())
            .bind(
                updates
                    .iter()
                    .map(|u| u.status.reached_channel())
                    .collect::<Vec<_>>(),
            )
            .bind(at)
            .bind(
                updates
                    .iter()
                    .map(|u| i64::from(u.attempt))
                    .collect::<Vec<_>>(),
            );
        self.fetch(q)
            .await?
            .iter()
            .map(|row| get::<i64>(row, "id"))
            .collect()
    }

    async fn append_changes(&mut self, changes: &[Change], at: Millis) -> StoreResult<()> {
        if changes.is_empty() {
            return Ok(());
        }
        // Ordered by position, so the feed's seq follows the order the batch lists changes in.
        let q = sqlx::query(
            "INSERT INTO changes (customer_id, kind, at) \
             SELECT c, k, $3 FROM UNNEST($1::bigint[], $2::text[]) WITH ORDINALITY AS v(c, k, i) ORDER BY i",
        )
        .bind(changes.iter().map(|c| c.customer.0).collect::<Vec<_>>())
        .bind(changes.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>())
        .bind(at);
        self.execute(q).await.map(|_| ())
    }

    async fn enqueue_jobs(&mut self, jobs: &[NewJob]) -> StoreResult<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        // Rows go in array order, so of two jobs with one dedupe key the first wins, as if they
        // were enqueued one by one.
        let q = sqlx::query(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) \
             SELECT k, p, d, r, r FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[]) AS v(k, p, d, r) \
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(jobs.iter().map(|j| j.kind.clone()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|j| j.payload.to_string()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|j| j.dedupe_key.clone()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|j| j.run_at).collect::<Vec<_>>());
        self.execute(q).await.map(|_| ())
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        let Self {
            mut tx,
            owner_cache,
            learnt,
            ..
        } = *self;
        // Where this transaction leaves the epoch: its own bump plus its triggers' bumps.
        let epoch: i64 = sqlx::query_scalar("SELECT epoch FROM writer_epoch")
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(|e| match map_err(e) {
            StoreError::NotFound(_) => StoreError::other("commit failed"),
            other => other,
        })?;
        let mut cache = lock(&owner_cache);
        cache.keep(learnt);
        cache.advance(epoch);
        Ok(())
    }
}
