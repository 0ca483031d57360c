//! Orders, their items and refunds, and products: a whole batch per statement.

use super::{PgWriteTx, distinct, get};
use crate::rows::status;
use guanxi_domain::{CustomerId, Millis, SourceId};
use guanxi_store::{
    OrderHead, OrderItemRow, OrderRow, ProductRow, RefundRow, StoreError, StoreResult,
};
use sqlx::postgres::PgRow;
use std::collections::{HashMap, HashSet};

fn head(r: &PgRow) -> StoreResult<OrderHead> {
    Ok(OrderHead {
        id: get(r, "id")?,
        customer: CustomerId(get(r, "customer_id")?),
        status: status(&get::<String>(r, "status")?)?,
        currency: get(r, "currency")?,
        total: get(r, "total_minor")?,
        refunded: get(r, "refunded_minor")?,
        fingerprint: get(r, "fingerprint")?,
    })
}

impl PgWriteTx {
    pub(super) async fn heads_by_keys(
        &mut self,
        keys: &[(SourceId, String)],
    ) -> StoreResult<Vec<(SourceId, String, OrderHead)>> {
        // Distinct first: the join would answer a key listed twice twice.
        let keys = distinct(keys);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let q = sqlx::query(
            "SELECT o.id, o.source_id, o.external_id, o.customer_id, o.status, o.currency, \
             o.total_minor, o.refunded_minor, o.fingerprint \
             FROM UNNEST($1::bigint[], $2::text[]) AS v(source_id, external_id) \
             JOIN orders o ON o.source_id = v.source_id AND o.external_id = v.external_id",
        )
        .bind(keys.iter().map(|(s, _)| s.0).collect::<Vec<_>>())
        .bind(keys.into_iter().map(|(_, e)| e).collect::<Vec<_>>());
        self.fetch(q)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    SourceId(get(r, "source_id")?),
                    get(r, "external_id")?,
                    head(r)?,
                ))
            })
            .collect()
    }

    pub(super) async fn heads_by_ids(&mut self, ids: &[i64]) -> StoreResult<Vec<OrderHead>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let q = sqlx::query(
            "SELECT id, customer_id, status, currency, total_minor, refunded_minor, fingerprint \
             FROM orders WHERE id = ANY($1::bigint[])",
        )
        .bind(ids.to_vec());
        self.fetch(q).await?.iter().map(head).collect()
    }

    /// Upserts orders with distinct (source, external id) and replaces their items: two round
    /// trips, whatever the number of orders.
    pub(super) async fn write_orders(
        &mut self,
        orders: &[(OrderRow, Vec<OrderItemRow>)],
    ) -> StoreResult<Vec<i64>> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        // The old items go in the same statement: the DELETE sees the items as they were before
        // it (one snapshot), which is exactly the replaced orders' old lines. `= ANY(ARRAY(…))`
        // keeps it on the primary key; `IN (SELECT …)` plans as a scan of every order's items.
        let q = sqlx::query(
            "WITH upserted AS (\
                 INSERT INTO orders (source_id, external_id, customer_id, status, currency, total_minor, \
                     created_at, updated_at, fingerprint) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], \
                     $6::bigint[], $7::bigint[], $8::bigint[], $9::text[]) \
                 ON CONFLICT (source_id, external_id) DO UPDATE SET customer_id = excluded.customer_id, \
                     status = excluded.status, currency = excluded.currency, total_minor = excluded.total_minor, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at, \
                     fingerprint = excluded.fingerprint \
                 RETURNING id, source_id, external_id), \
             old_items AS (DELETE FROM order_items WHERE order_id = ANY(ARRAY(SELECT id FROM upserted))) \
             SELECT id, source_id, external_id FROM upserted",
        )
        .bind(orders.iter().map(|(o, _)| o.source.0).collect::<Vec<_>>())
        .bind(orders.iter().map(|(o, _)| o.external_id.clone()).collect::<Vec<_>>())
        .bind(orders.iter().map(|(o, _)| o.customer.0).collect::<Vec<_>>())
        .bind(orders.iter().map(|(o, _)| o.status.as_str()).collect::<Vec<_>>())
        .bind(orders.iter().map(|(o, _)| o.currency.clone()).collect::<Vec<_>>())
        .bind(orders.iter().map(|(o, _)| o.total).collect::<Vec<_>>())
        .bind(orders.iter().map(|(o, _)| o.created_at).collect::<Vec<_>>())
        .bind(orders.iter().map(|(o, _)| o.updated_at).collect::<Vec<_>>())
        .bind(orders.iter().map(|(o, _)| o.fingerprint.clone()).collect::<Vec<_>>());
        // RETURNING promises no order: match ids back to their orders by key.
        let mut ids: HashMap<(i64, String), i64> = HashMap::new();
        for r in self.fetch(q).await? {
            ids.insert(
                (get(&r, "source_id")?, get(&r, "external_id")?),
                get(&r, "id")?,
            );
        }
        let ordered: Vec<i64> = orders
            .iter()
            .map(|(o, _)| {
                ids.get(&(o.source.0, o.external_id.clone()))
                    .copied()
                    .ok_or_else(|| StoreError::other("an order upsert returned no id"))
            })
            .collect::<StoreResult<_>>()?;
        let lines: Vec<(i64, i64, &OrderItemRow)> = orders
            .iter()
            .zip(&ordered)
            .flat_map(|((_, items), id)| {
                items
                    .iter()
                    .enumerate()
                    .map(move |(line, item)| (*id, line as i64, item))
            })
            .collect();
        if !lines.is_empty() {
            let q = sqlx::query(
                "INSERT INTO order_items (order_id, line, sku, name, category, quantity, price_minor) \
                 SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], \
                 $6::bigint[], $7::bigint[])",
            )
            .bind(lines.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
            .bind(lines.iter().map(|(_, line, _)| *line).collect::<Vec<_>>())
            .bind(lines.iter().map(|(_, _, i)| i.sku.clone()).collect::<Vec<_>>())
            .bind(lines.iter().map(|(_, _, i)| i.name.clone()).collect::<Vec<_>>())
            .bind(lines.iter().map(|(_, _, i)| i.category.clone()).collect::<Vec<_>>())
            .bind(lines.iter().map(|(_, _, i)| i.quantity).collect::<Vec<_>>())
            .bind(lines.iter().map(|(_, _, i)| i.price).collect::<Vec<_>>());
            self.execute(q).await?;
        }
        Ok(ordered)
    }

    /// Inserts refunds not recorded yet and recomputes the refunded totals of their orders, in
    /// one statement.
    pub(super) async fn write_refunds(
        &mut self,
        refunds: &[(i64, RefundRow)],
    ) -> StoreResult<Vec<bool>> {
        if refunds.is_empty() {
            return Ok(Vec::new());
        }
        // The UPDATE sees refunds as they were before this statement (one snapshot), so a total
        // is the stored refunds plus the ones just inserted: the same sum as recounting after.
        let q = sqlx::query(
            "WITH inserted AS (\
                 INSERT INTO refunds (order_id, external_id, amount_minor, created_at, reason) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) \
                 ON CONFLICT DO NOTHING RETURNING order_id, external_id, amount_minor), \
             added AS (SELECT order_id, SUM(amount_minor) AS amount FROM inserted GROUP BY order_id), \
             totals AS (\
                 UPDATE orders SET refunded_minor = CAST(added.amount + \
                     (SELECT COALESCE(SUM(r.amount_minor), 0) FROM refunds r WHERE r.order_id = orders.id) \
                     AS BIGINT) \
                 FROM added WHERE orders.id = added.order_id) \
             SELECT order_id, external_id FROM inserted",
        )
        .bind(refunds.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(refunds.iter().map(|(_, r)| r.external_id.clone()).collect::<Vec<_>>())
        .bind(refunds.iter().map(|(_, r)| r.amount).collect::<Vec<_>>())
        .bind(refunds.iter().map(|(_, r)| r.created_at).collect::<Vec<_>>())
        .bind(refunds.iter().map(|(_, r)| r.reason.clone()).collect::<Vec<_>>());
        let mut fresh: HashSet<(i64, String)> = HashSet::new();
        for r in self.fetch(q).await? {
            fresh.insert((get(&r, "order_id")?, get(&r, "external_id")?));
        }
        // A refund listed twice in one call is new only the first time.
        Ok(refunds
            .iter()
            .map(|(order, r)| fresh.remove(&(*order, r.external_id.clone())))
            .collect())
    }

    pub(super) async fn write_products(
        &mut self,
        products: &[ProductRow],
        at: Millis,
    ) -> StoreResult<()> {
        let unique = crate::write_rules::last_per_sku(products);
        if unique.is_empty() {
            return Ok(());
        }
        let q = sqlx::query(
            "INSERT INTO products (sku, name, category, price_minor, currency, updated_at) \
             SELECT s, n, c, p, cur, $6 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) \
                 AS v(s, n, c, p, cur) \
             ON CONFLICT (sku) DO UPDATE SET name = excluded.name, \
                 category = COALESCE(excluded.category, products.category), \
                 price_minor = COALESCE(excluded.price_minor, products.price_minor), \
                 currency = excluded.currency, updated_at = excluded.updated_at",
        )
        .bind(unique.iter().map(|p| p.sku.clone()).collect::<Vec<_>>())
        .bind(unique.iter().map(|p| p.name.clone()).collect::<Vec<_>>())
        .bind(unique.iter().map(|p| p.category.clone()).collect::<Vec<_>>())
        .bind(unique.iter().map(|p| p.price).collect::<Vec<_>>())
        .bind(unique.iter().map(|p| p.currency.clone()).collect::<Vec<_>>())
        .bind(at);
        self.execute(q).await.map(|_| ())
    }
}
