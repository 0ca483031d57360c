//! Reading customers: the 360 parts, look-ups that follow merges, search, and the change feed.

use crate::SqlStore;
use crate::backend::map_err;
use crate::connect::WriterConnection;
use crate::profile::STATS_SELECT;
use crate::rows::{customer_id, event_kind, get, source_id, status};
use crate::sealed::{
    identity_lookup_value, name_search_index, open_identity, open_properties, open_traits,
};
use crate::sql;
use async_trait::async_trait;
use guanxi_domain::{CustomerId, IdentityKey};
use guanxi_store::{
    ChangeRecord, CustomerProfile, CustomerQuery, CustomerRecord, CustomerStats, CustomerStore,
    EventRecord, MergeRecord, OrderItemRow, OrderRecord, OwnerFilter, RefundRow, Store, StoreError,
    StoreResult, WriteTx,
};
use std::collections::HashMap;
use std::sync::Arc;

const ORDER_COLUMNS: &str = "id, source_id, customer_id, external_id, status, currency, total_minor, refunded_minor, created_at, updated_at";

fn order_record(r: &sqlx::any::AnyRow) -> StoreResult<OrderRecord> {
    Ok(OrderRecord {
        id: get(r, "id")?,
        source: source_id(r, "source_id")?,
        customer: customer_id(r, "customer_id")?,
        external_id: get(r, "external_id")?,
        status: status(&get::<String>(r, "status")?)?,
        currency: get(r, "currency")?,
        total: get(r, "total_minor")?,
        refunded: get(r, "refunded_minor")?,
        created_at: get(r, "created_at")?,
        updated_at: get(r, "updated_at")?,
        items: Vec::new(),
        refunds: Vec::new(),
    })
}

impl SqlStore {
    /// Loads the items and refunds of these orders in two queries.
    async fn attach_lines(&self, orders: &mut [OrderRecord]) -> StoreResult<()> {
        if orders.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
        let index: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let items = "SELECT order_id, sku, name, category, quantity, price_minor FROM order_items";
        for r in self.rows_of_orders(items, "line", &ids).await? {
            if let Some(i) = index.get(&get::<i64>(&r, "order_id")?) {
                orders[*i].items.push(OrderItemRow {
                    sku: get(&r, "sku")?,
                    name: get(&r, "name")?,
                    category: get(&r, "category")?,
                    quantity: get(&r, "quantity")?,
                    price: get(&r, "price_minor")?,
                });
            }
        }
        let refunds = "SELECT order_id, external_id, amount_minor, created_at, reason FROM refunds";
        for r in self.rows_of_orders(refunds, "created_at", &ids).await? {
            if let Some(i) = index.get(&get::<i64>(&r, "order_id")?) {
                orders[*i].refunds.push(RefundRow {
                    external_id: get(&r, "external_id")?,
                    amount: get(&r, "amount_minor")?,
                    created_at: get(&r, "created_at")?,
                    reason: get(&r, "reason")?,
                });
            }
        }
        Ok(())
    }

    /// Rows of a per-order table (`select` is a fixed statement prefix) for these orders.
    async fn rows_of_orders(
        &self,
        select: &str,
        then_by: &str,
        ids: &[i64],
    ) -> StoreResult<Vec<sqlx::any::AnyRow>> {
        let sql = format!(
            "{select} WHERE order_id IN ({}) ORDER BY order_id, {then_by}",
            sql::list(self.placeholders(), ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(&self.pool).await.map_err(map_err)
    }
}

#[async_trait]
impl CustomerStore for SqlStore {
    async fn customer(&self, id: CustomerId) -> StoreResult<CustomerRecord> {
        // Merges compress paths (every merged id points at its final survivor), so one hop is enough.
        let mut id = id;
        for _ in 0..2 {
            let row = sqlx::query(
                "SELECT id, created_at, updated_at, merged_into, traits FROM customers WHERE id = $1",
            )
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound("customer"))?;
            if let Some(survivor) = get::<Option<i64>>(&row, "merged_into")? {
                id = CustomerId(survivor);
                continue;
            }
            return Ok(CustomerRecord {
                id: customer_id(&row, "id")?,
                created_at: get(&row, "created_at")?,
                updated_at: get(&row, "updated_at")?,
                traits: open_traits(&self.vault, &get::<String>(&row, "traits")?)?,
            });
        }
        Err(StoreError::other("customer merge chain is not compressed"))
    }

    async fn customer_identities(&self, id: CustomerId) -> StoreResult<Vec<IdentityKey>> {
        let rows = sqlx::query(
            "SELECT kind, value, sealed_value, created_at FROM identities WHERE customer_id = $1",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut keys = rows
            .iter()
            .map(|r| {
                let key = open_identity(
                    &self.vault,
                    &get::<String>(r, "kind")?,
                    &get::<String>(r, "value")?,
                    get::<Option<String>>(r, "sealed_value")?.as_deref(),
                )?;
                Ok((get::<i64>(r, "created_at")?, key))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        // In the order they were learnt; sealed values are compared opened, not by their index.
        keys.sort_by(|(a_at, a), (b_at, b)| {
            (a_at, a.kind().name(), a.value()).cmp(&(b_at, b.kind().name(), b.value()))
        });
        let keys = keys.into_iter().map(|(_, key)| key).collect();
        Ok(keys)
    }

    async fn customer_tags(&self, id: CustomerId) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT tag FROM customer_tags WHERE customer_id = $1 ORDER BY tag")
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| get(r, "tag")).collect()
    }

    async fn customer_profile(
        &self,
        id: CustomerId,
        currency: &str,
    ) -> StoreResult<CustomerProfile> {
        self.read_profile(id, currency).await
    }

    async fn customer_stats(&self, id: CustomerId, currency: &str) -> StoreResult<CustomerStats> {
        let row = sqlx::query(STATS_SELECT)
            .bind(id.0)
            .bind(currency.to_owned())
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(CustomerStats {
            orders_count: get(&row, "n")?,
            total_spent: get(&row, "spent")?,
            first_order_at: get(&row, "first_at")?,
            last_order_at: get(&row, "last_at")?,
        })
    }

    async fn customer_events(
        &self,
        id: CustomerId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        let rows = sqlx::query(
            "SELECT id, source_id, message_id, kind, name, properties, timestamp, received_at \
             FROM events WHERE customer_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(id.0)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(EventRecord {
                    id: get(r, "id")?,
                    source: source_id(r, "source_id")?,
                    message_id: get(r, "message_id")?,
                    kind: event_kind(&get::<String>(r, "kind")?)?,
                    name: get(r, "name")?,
                    properties: open_properties(&self.vault, &get::<String>(r, "properties")?)?,
                    timestamp: get(r, "timestamp")?,
                    received_at: get(r, "received_at")?,
                })
            })
            .collect()
    }

    async fn customer_orders(
        &self,
        id: CustomerId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<OrderRecord>> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE customer_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(id.0)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let mut orders = rows
            .iter()
            .map(order_record)
            .collect::<StoreResult<Vec<_>>>()?;
        self.attach_lines(&mut orders).await?;
        Ok(orders)
    }

    async fn order(&self, id: i64) -> StoreResult<OrderRecord> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound("order"))?;
        let mut orders = vec![order_record(&row)?];
        self.attach_lines(&mut orders).await?;
        Ok(orders.remove(0))
    }

    async fn customer_merges(&self, id: CustomerId) -> StoreResult<Vec<MergeRecord>> {
        // Path compression points every customer folded into a survivor straight at it, so its
        // whole history is the merges of those customers as well as its own.
        let rows = sqlx::query(
            "SELECT from_id, into_id, reason, at FROM merges WHERE into_id = $1 OR from_id = $1 \
             OR from_id IN (SELECT id FROM customers WHERE merged_into = $1) ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(MergeRecord {
                    from: customer_id(r, "from_id")?,
                    into: customer_id(r, "into_id")?,
                    reason: get(r, "reason")?,
                    at: get(r, "at")?,
                })
            })
            .collect()
    }

    async fn find_by_identity(&self, key: &IdentityKey) -> StoreResult<CustomerId> {
        let row = sqlx::query("SELECT customer_id FROM identities WHERE kind = $1 AND value = $2")
            .bind(key.kind().name())
            .bind(identity_lookup_value(&self.vault, key).into_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound("customer"))?;
        customer_id(&row, "customer_id")
    }

    async fn search_customers(&self, query: &CustomerQuery) -> StoreResult<Vec<CustomerId>> {
        // Fixed fragments only; every value is bound in the order the fragments number them.
        let mut conditions = vec!["c.merged_into IS NULL".to_owned(), "c.id < $1".to_owned()];
        let mut next = 2;
        let mut any_of = Vec::new();
        if !query.identities.is_empty() {
            any_of.push(format!(
                "c.id IN (SELECT i.customer_id FROM (VALUES {}) AS v \
                 JOIN identities i ON i.kind = v.column1 AND i.value = v.column2)",
                sql::values(
                    sql::Placeholders::Numbered { first: next },
                    query.identities.len(),
                    2
                )
            ));
            next += query.identities.len() * 2;
        }
        let name_index = query
            .name
            .as_deref()
            .map(|name| name_search_index(&self.vault, name));
        match &name_index {
            Some(Some(_)) => {
                any_of.push(format!("c.name_index = ${next}"));
                next += 1;
            }
            // A blank name is no one's.
            Some(None) => any_of.push("1 = 0".to_owned()),
            None => {}
        }
        if !any_of.is_empty() {
            conditions.push(format!("({})", any_of.join(" OR ")));
        }
        if query.tag.is_some() {
            conditions.push(format!(
                "c.id IN (SELECT customer_id FROM customer_tags WHERE tag = ${next})"
            ));
            next += 1;
        }
        if query.segment.is_some() {
            conditions.push(format!(
                "c.id IN (SELECT customer_id FROM segment_members WHERE segment_id = ${next})"
            ));
            next += 1;
        }
        // Listing reads a scope off `customers_owner`. A search finds its few customers by
        // identity or name first: the unary plus keeps SQLite from walking the owner's whole
        // book instead (PostgreSQL plans by cost either way).
        let owner_column = if any_of.is_empty() {
            "c.owner_user_id"
        } else {
            "+c.owner_user_id"
        };
        match query.owner {
            OwnerFilter::Anyone => {}
            OwnerFilter::Nobody => conditions.push("1 = 0".to_owned()),
            OwnerFilter::User(_) => {
                conditions.push(format!("{owner_column} = ${next}"));
                next += 1;
            }
            OwnerFilter::UserOrTeam { .. } => {
                // One IN list, so both databases read it off `customers_owner`.
                conditions.push(format!(
                    "{owner_column} IN (SELECT id FROM users WHERE id = ${next} OR team_id = ${})",
                    next + 1
                ));
                next += 2;
            }
        }
        let sql = format!(
            "SELECT c.id FROM customers c WHERE {} ORDER BY c.id DESC LIMIT ${next}",
            conditions.join(" AND ")
        );
        let mut q = sqlx::query(&sql).bind(query.before.map_or(i64::MAX, |c| c.0));
        for key in &query.identities {
            q = q
                .bind(key.kind().name())
                .bind(identity_lookup_value(&self.vault, key).into_owned());
        }
        if let Some(Some(index)) = name_index {
            q = q.bind(index);
        }
        if let Some(tag) = &query.tag {
            q = q.bind(tag.clone());
        }
        if let Some(segment) = query.segment {
            q = q.bind(segment);
        }
        match query.owner {
            OwnerFilter::Anyone | OwnerFilter::Nobody => {}
            OwnerFilter::User(user) => q = q.bind(user),
            OwnerFilter::UserOrTeam { user, team } => q = q.bind(user).bind(team),
        }
        let rows = q
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| customer_id(r, "id")).collect()
    }
}

#[async_trait]
impl Store for SqlStore {
    fn signing_key(&self, purpose: &str) -> [u8; 32] {
        self.vault.derived_key(purpose)
    }

    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    async fn begin_write(&self) -> StoreResult<Box<dyn WriteTx>> {
        match &self.writer {
            WriterConnection::Sqlite(slot) => Ok(Box::new(
                crate::sqlite_write::SqliteWriteTx::begin(Arc::clone(slot)).await?,
            )),
            WriterConnection::Postgres { pool, owners } => Ok(Box::new(
                crate::postgres_write::PgWriteTx::begin(pool, owners, Arc::clone(&self.vault))
                    .await?,
            )),
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn refresh_statistics(&self) -> StoreResult<()> {
        let sql = match self.backend {
            crate::Backend::Postgres => "ANALYZE identities, customers, orders, receipts",
            crate::Backend::Sqlite => "PRAGMA optimize",
        };
        sqlx::query(sql)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn changes_after(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<ChangeRecord>> {
        let rows = sqlx::query(
            "SELECT seq, customer_id, kind, at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(ChangeRecord {
                    seq: get(r, "seq")?,
                    customer: customer_id(r, "customer_id")?,
                    kind: get(r, "kind")?,
                    at: get(r, "at")?,
                })
            })
            .collect()
    }

    async fn table_counts(&self) -> StoreResult<Vec<(&'static str, i64)>> {
        let mut counts = Vec::new();
        for (name, sql) in [
            (
                "customers",
                "SELECT COUNT(*) AS n FROM customers WHERE merged_into IS NULL",
            ),
            ("identities", "SELECT COUNT(*) AS n FROM identities"),
            ("merges", "SELECT COUNT(*) AS n FROM merges"),
            ("orders", "SELECT COUNT(*) AS n FROM orders"),
            ("events", "SELECT COUNT(*) AS n FROM events"),
            ("sources", "SELECT COUNT(*) AS n FROM sources"),
        ] {
            let row = sqlx::query(sql)
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?;
            counts.push((name, get::<i64>(&row, "n")?));
        }
        Ok(counts)
    }
}
