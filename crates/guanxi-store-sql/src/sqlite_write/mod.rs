//! SQLite write transactions, natively through rusqlite on the writer's own thread.
//!
//! The ingest writer is the only hot writer, and SQLite has one write lock anyway, so the
//! transaction runs in-process and synchronously: one cached prepared statement per row kind,
//! executed row by row. Through sqlx every statement and every returned row was a hand-off to a
//! connection thread, which cost more than SQLite's own work. The `async` methods below never
//! wait; the caller runs them on a thread that may block (see `guanxi_app::ingest`).

mod checkpoint;
mod customers;
mod deliveries;
mod multi_row;
mod orders;

use crate::owner_cache::{Learnt, OwnerCache};
use crate::sealed::{identity_lookup_value, open_identity, seal_identity, seal_properties};
pub(crate) use crate::sqlite_native::map_err;
use crate::vault::Vault;
use guanxi_domain::{CustomerId, IdentityKey, Millis, SourceId};
use guanxi_store::{
    Change, DeliveryUpdate, NewDelivery, NewEvent, NewJob, OrderHead, OrderItemRow, OrderRow,
    ProductRow, RefundRow, SegmentChange, StoreError, StoreResult, Traits, WriteTx,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Prepared statements kept per connection: every statement of the write path stays cached
/// (with up to six chunk sizes per multi-row insert).
const STATEMENT_CACHE: usize = 128;

/// This process's one SQLite writer: its connection and the thread that checkpoints for it.
pub(crate) struct SqliteWriter {
    conn: Connection,
    checkpointer: checkpoint::Checkpointer,
    owners: OwnerCache,
    vault: Arc<Vault>,
}

impl SqliteWriter {
    /// Opens the database file with the pool's settings.
    pub(crate) fn open(path: &Path, vault: Arc<Vault>) -> StoreResult<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = crate::sqlite_native::open(path, flags, crate::connect::SQLITE_PRAGMAS)?;
        conn.pragma_update(
            None,
            "wal_autocheckpoint",
            checkpoint::WRITER_BACKSTOP_PAGES,
        )
        .map_err(map_err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(Self {
            conn,
            checkpointer: checkpoint::Checkpointer::start(path)?,
            owners: OwnerCache::default(),
            vault,
        })
    }
}

pub(crate) struct SqliteWriteTx {
    /// Holding the guard is holding this process's one writer connection.
    writer: OwnedMutexGuard<Option<SqliteWriter>>,
    /// Still open: dropping the transaction rolls it back.
    open: bool,
    /// Owners this transaction read or wrote, for the cache once it commits.
    learnt: Learnt,
}

impl SqliteWriteTx {
    /// `BEGIN IMMEDIATE` takes SQLite's write lock up front, so a writer in another process
    /// waits (busy timeout) and then fails as `Busy`, never half-way through a batch.
    pub(crate) async fn begin(slot: Arc<Mutex<Option<SqliteWriter>>>) -> StoreResult<Self> {
        let guard = slot.lock_owned().await;
        let mut tx = Self {
            writer: guard,
            open: false,
            learnt: Learnt::default(),
        };
        let conn = tx.conn()?;
        if !conn.is_autocommit() {
            // An earlier transaction's rollback failed and left it open: end it now, or no
            // batch could begin again until the process restarts.
            conn.execute_batch("ROLLBACK").map_err(map_err)?;
        }
        conn.execute_batch("BEGIN IMMEDIATE").map_err(map_err)?;
        tx.open = true;
        let writer = tx.writer_mut()?;
        // Changes when another connection commits, never with this one's own commits.
        let version = writer
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(map_err)?;
        if writer.owners.validate(version) {
            let current = writer
                .conn
                .query_row(crate::vault::CURRENT_DATA_KEY, [], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            if let Err(stale) = writer.vault.check_current(current) {
                writer.owners.invalidate();
                return Err(stale);
            }
        }
        Ok(tx)
    }

    fn writer(&self) -> StoreResult<&SqliteWriter> {
        self.writer
            .as_ref()
            .ok_or_else(|| StoreError::other("the store is closed"))
    }

    fn writer_mut(&mut self) -> StoreResult<&mut SqliteWriter> {
        self.writer
            .as_mut()
            .ok_or_else(|| StoreError::other("the store is closed"))
    }

    pub(crate) fn conn(&self) -> StoreResult<&Connection> {
        self.writer().map(|w| &w.conn)
    }

    pub(crate) fn vault(&self) -> StoreResult<&Vault> {
        self.writer().map(|w| w.vault.as_ref())
    }

    /// The largest id in `table` (0 when empty). New rows take the ids after it, in order:
    /// safe without a sequence, as this transaction holds SQLite's only write lock.
    pub(crate) fn largest_id(&self, table: &'static str) -> StoreResult<i64> {
        self.conn()?
            .prepare_cached(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(map_err)
    }

    /// Runs a cached statement once; answers the rows it changed.
    pub(crate) fn run(&self, sql: &str, params: impl rusqlite::Params) -> StoreResult<usize> {
        self.conn()?
            .prepare_cached(sql)
            .and_then(|mut s| s.execute(params))
            .map_err(map_err)
    }
}

impl Drop for SqliteWriteTx {
    fn drop(&mut self) {
        // Nothing of an uncommitted batch may remain. Should the rollback fail, the next
        // `begin` finds the transaction still open and ends it before starting its own.
        if let (true, Some(writer)) = (self.open, self.writer.as_ref())
            && let Err(e) = writer.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "rolling back a failed SQLite batch failed");
        }
    }
}

#[async_trait::async_trait]
impl WriteTx for SqliteWriteTx {
    async fn claim_receipts(
        &mut self,
        keys: &[(SourceId, String)],
        at: Millis,
    ) -> StoreResult<HashSet<(SourceId, String)>> {
        let mut fresh = HashSet::new();
        for key in keys {
            if fresh.contains(key) {
                continue;
            }
            let new = self.run(
                "INSERT INTO receipts (source_id, key, at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![key.0.0, key.1, at],
            )?;
            if new == 1 {
                fresh.insert(key.clone());
            }
        }
        Ok(fresh)
    }

    async fn identity_owners(
        &mut self,
        keys: &[IdentityKey],
    ) -> StoreResult<Vec<(IdentityKey, CustomerId)>> {
        let writer = self.writer()?;
        let (known, unknown) = writer.owners.split(keys, &self.learnt);
        let mut stmt = writer
            .conn
            .prepare_cached("SELECT customer_id FROM identities WHERE kind = ?1 AND value = ?2")
            .map_err(map_err)?;
        let mut read = Vec::new();
        for key in unknown {
            let value = identity_lookup_value(&writer.vault, key);
            let owner: Option<i64> = stmt
                .query_row(params![key.kind().name(), value], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            if let Some(owner) = owner {
                read.push((key.clone(), CustomerId(owner)));
            }
        }
        drop(stmt);
        Ok(self.learnt.read(known, read))
    }

    async fn limited_identities(
        &mut self,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, IdentityKey)>> {
        let mut stmt = self
            .conn()?
            .prepare_cached(
                "SELECT kind, value, sealed_value FROM identities \
                 WHERE customer_id = ?1 AND kind <> 'anonymous_id'",
            )
            .map_err(map_err)?;
        let vault = self.vault()?;
        let mut held = Vec::new();
        for customer in customers {
            let rows = stmt
                .query_map([customer.0], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                })
                .map_err(map_err)?;
            for row in rows {
                let (kind, value, sealed) = row.map_err(map_err)?;
                let key = open_identity(vault, &kind, &value, sealed.as_deref())?;
                if key.kind().limit().is_some() {
                    held.push((*customer, key));
                }
            }
        }
        Ok(held)
    }

    async fn create_customers(&mut self, count: usize, at: Millis) -> StoreResult<Vec<CustomerId>> {
        self.insert_customers(count, at)
    }

    async fn merge_customer(
        &mut self,
        merge: &guanxi_domain::resolution::MergeDecision,
        at: Millis,
    ) -> StoreResult<()> {
        self.merge(merge, at)?;
        self.learnt.merge(merge.from, merge.into);
        Ok(())
    }

    async fn attach_identities(
        &mut self,
        identities: &[(IdentityKey, CustomerId, SourceId)],
        at: Millis,
    ) -> StoreResult<()> {
        for (key, customer, source) in identities {
            let (value, sealed) = seal_identity(self.vault()?, key);
            let attached = self.run(
                "INSERT INTO identities (kind, value, sealed_value, customer_id, source_id, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![key.kind().name(), value, sealed, customer.0, source.0, at],
            )? == 1;
            if attached {
                self.learnt.owner(key.clone(), *customer);
            }
        }
        Ok(())
    }

    async fn customer_traits(
        &mut self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, Traits)>> {
        self.traits_of(ids)
    }

    async fn set_traits(&mut self, all: &[(CustomerId, Traits)], at: Millis) -> StoreResult<()> {
        self.write_traits(all, at)
    }

    async fn add_tags(&mut self, customer: CustomerId, tags: &[String]) -> StoreResult<u64> {
        let mut added = 0;
        for tag in tags {
            added += self.run(
                "INSERT INTO customer_tags (customer_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![customer.0, tag],
            )? as u64;
        }
        Ok(added)
    }

    async fn remove_tags(&mut self, customer: CustomerId, tags: &[String]) -> StoreResult<()> {
        for tag in tags {
            self.run(
                "DELETE FROM customer_tags WHERE customer_id = ?1 AND tag = ?2",
                params![customer.0, tag],
            )?;
        }
        Ok(())
    }

    async fn apply_segment_changes(
        &mut self,
        changes: &[SegmentChange],
        at: Millis,
    ) -> StoreResult<Vec<bool>> {
        use crate::segment_changes::{
            SQLITE_CLOSE_SPELL, SQLITE_ENTER, SQLITE_LEAVE, SQLITE_OPEN_SPELL,
        };
        let mut applied = Vec::with_capacity(changes.len());
        for c in changes {
            let (pair, spell) = (
                params![c.segment, c.customer.0],
                params![c.segment, c.customer.0, at],
            );
            let changed = if c.entered {
                self.run(SQLITE_ENTER, spell)? == 1
            } else {
                self.run(SQLITE_LEAVE, pair)? == 1
            };
            if changed {
                let then = if c.entered {
                    SQLITE_OPEN_SPELL
                } else {
                    SQLITE_CLOSE_SPELL
                };
                self.run(then, spell)?;
            }
            applied.push(changed);
        }
        Ok(applied)
    }

    async fn insert_events(&mut self, events: &[NewEvent]) -> StoreResult<()> {
        let vault = self.vault()?;
        multi_row::insert(
            self.conn()?,
            "INSERT INTO events (source_id, message_id, customer_id, kind, name, properties, \
             timestamp, received_at)",
            8,
            events,
            |s, at, e| {
                s.raw_bind_parameter(at, e.source.0)?;
                s.raw_bind_parameter(at + 1, &e.message_id)?;
                s.raw_bind_parameter(at + 2, e.customer.0)?;
                s.raw_bind_parameter(at + 3, e.kind.as_str())?;
                s.raw_bind_parameter(at + 4, &e.name)?;
                s.raw_bind_parameter(at + 5, seal_properties(vault, &e.properties).as_ref())?;
                s.raw_bind_parameter(at + 6, e.timestamp)?;
                s.raw_bind_parameter(at + 7, e.received_at)
            },
        )
        .map_err(map_err)
    }

    async fn order_heads(
        &mut self,
        keys: &[(SourceId, String)],
    ) -> StoreResult<Vec<(SourceId, String, OrderHead)>> {
        self.heads_by_keys(keys)
    }

    async fn order_heads_by_id(&mut self, ids: &[i64]) -> StoreResult<Vec<OrderHead>> {
        self.heads_by_ids(ids)
    }

    async fn upsert_orders(
        &mut self,
        orders: &[(OrderRow, Vec<OrderItemRow>)],
    ) -> StoreResult<Vec<i64>> {
        self.write_orders(orders)
    }

    async fn insert_refunds(&mut self, refunds: &[(i64, RefundRow)]) -> StoreResult<Vec<bool>> {
        self.write_refunds(refunds)
    }

    async fn set_order_status(
        &mut self,
        order_id: i64,
        status: guanxi_domain::OrderStatus,
        at: Millis,
    ) -> StoreResult<()> {
        self.run(
            "UPDATE orders SET status = ?1, updated_at = ?2 WHERE id = ?3",
            params![status.as_str(), at, order_id],
        )
        .map(|_| ())
    }

    async fn upsert_products(&mut self, products: &[ProductRow], at: Millis) -> StoreResult<()> {
        for p in crate::write_rules::last_per_sku(products) {
            self.run(
                "INSERT INTO products (sku, name, category, price_minor, currency, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (sku) DO UPDATE SET name = excluded.name, \
                 category = COALESCE(excluded.category, products.category), \
                 price_minor = COALESCE(excluded.price_minor, products.price_minor), \
                 currency = excluded.currency, updated_at = excluded.updated_at",
                params![p.sku, p.name, p.category, p.price, p.currency, at],
            )?;
        }
        Ok(())
    }

    async fn insert_deliveries(
        &mut self,
        deliveries: &[NewDelivery],
        at: Millis,
    ) -> StoreResult<u64> {
        self.write_deliveries(deliveries, at)
    }

    async fn update_deliveries(
        &mut self,
        updates: &[DeliveryUpdate],
        at: Millis,
    ) -> StoreResult<Vec<i64>> {
        self.record_outcomes(updates, at)
    }

    async fn append_changes(&mut self, changes: &[Change], at: Millis) -> StoreResult<()> {
        multi_row::insert(
            self.conn()?,
            "INSERT INTO changes (customer_id, kind, at)",
            3,
            changes,
            |s, i, c| {
                s.raw_bind_parameter(i, c.customer.0)?;
                s.raw_bind_parameter(i + 1, c.kind.as_str())?;
                s.raw_bind_parameter(i + 2, at)
            },
        )
        .map_err(map_err)
    }

    async fn enqueue_jobs(&mut self, jobs: &[NewJob]) -> StoreResult<()> {
        for job in jobs {
            self.run(
                "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (dedupe_key) DO NOTHING",
                params![
                    job.kind,
                    job.payload.to_string(),
                    job.dedupe_key,
                    job.run_at
                ],
            )?;
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        let learnt = std::mem::take(&mut self.learnt);
        let writer = self.writer_mut()?;
        writer.conn.execute_batch("COMMIT").map_err(map_err)?;
        writer.checkpointer.nudge();
        writer.owners.keep(learnt);
        self.open = false;
        Ok(())
    }
}
