//! Order writes for a whole batch in a few multi-row statements: heads by key, upserts with
//! their items, refunds and the refunded totals they imply.

use crate::backend::map_err;
use crate::rows::{customer_id, get, source_id, status};
use crate::sql::{self, CHUNK};
use crate::write::SqlWriteTx;
use guanxi_domain::SourceId;
use guanxi_store::{OrderHead, OrderItemRow, OrderRow, RefundRow, StoreError, StoreResult};
use std::collections::{HashMap, HashSet};

const HEAD_COLUMNS: &str = "o.id, o.source_id, o.external_id, o.customer_id, o.status, o.currency, o.total_minor, o.refunded_minor, o.fingerprint";

fn head(r: &sqlx::any::AnyRow) -> StoreResult<OrderHead> {
    Ok(OrderHead {
        id: get(r, "id")?,
        customer: customer_id(r, "customer_id")?,
        status: status(&get::<String>(r, "status")?)?,
        currency: get(r, "currency")?,
        total: get(r, "total_minor")?,
        refunded: get(r, "refunded_minor")?,
        fingerprint: get(r, "fingerprint")?,
    })
}

impl SqlWriteTx {
    pub(crate) async fn heads_by_keys(
        &mut self,
        keys: &[(SourceId, String)],
    ) -> StoreResult<Vec<(SourceId, String, OrderHead)>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT {HEAD_COLUMNS} FROM (VALUES {}) AS v \
                 JOIN orders o ON o.source_id = v.column1 AND o.external_id = v.column2",
                sql::values(self.placeholders(), chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for (source, external_id) in chunk {
                q = q.bind(source.0).bind(external_id.clone());
            }
            for r in q.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                out.push((
                    source_id(&r, "source_id")?,
                    get::<String>(&r, "external_id")?,
                    head(&r)?,
                ));
            }
        }
        Ok(out)
    }

    pub(crate) async fn heads_by_ids(&mut self, ids: &[i64]) -> StoreResult<Vec<OrderHead>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {HEAD_COLUMNS} FROM orders o WHERE o.id IN ({})",
                sql::list(self.placeholders(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                out.push(head(&r)?);
            }
        }
        Ok(out)
    }

    /// Upserts orders with distinct (source, external id) and replaces their items.
    pub(crate) async fn write_orders(
        &mut self,
        orders: &[(OrderRow, Vec<OrderItemRow>)],
    ) -> StoreResult<Vec<i64>> {
        let mut ids: HashMap<(i64, String), i64> = HashMap::new();
        for chunk in orders.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO orders (source_id, external_id, customer_id, status, currency, total_minor, created_at, updated_at, fingerprint) \
                 VALUES {} ON CONFLICT (source_id, external_id) DO UPDATE SET customer_id = excluded.customer_id, \
                 status = excluded.status, currency = excluded.currency, total_minor = excluded.total_minor, \
                 created_at = excluded.created_at, updated_at = excluded.updated_at, fingerprint = excluded.fingerprint \
                 RETURNING id, source_id, external_id",
                sql::values(self.placeholders(), chunk.len(), 9)
            );
            let mut q = sqlx::query(&sql);
            for (o, _) in chunk {
                q = q
                    .bind(o.source.0)
                    .bind(o.external_id.clone())
                    .bind(o.customer.0)
                    .bind(o.status.as_str())
                    .bind(o.currency.clone())
                    .bind(o.total)
                    .bind(o.created_at)
                    .bind(o.updated_at)
                    .bind(o.fingerprint.clone());
            }
            for r in q.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                ids.insert(
                    (get(&r, "source_id")?, get(&r, "external_id")?),
                    get(&r, "id")?,
                );
            }
        }
        let ordered: Vec<i64> = orders
            .iter()
            .map(|(o, _)| {
                ids.get(&(o.source.0, o.external_id.clone()))
                    .copied()
                    .ok_or_else(|| StoreError::other("an order upsert returned no id"))
            })
            .collect::<StoreResult<_>>()?;
        for chunk in ordered.chunks(CHUNK) {
            let sql = format!(
                "DELETE FROM order_items WHERE order_id IN ({})",
                sql::list(self.placeholders(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            self.execute(q).await?;
        }
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
        for chunk in lines.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO order_items (order_id, line, sku, name, category, quantity, price_minor) VALUES {}",
                sql::values(self.placeholders(), chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for (id, line, item) in chunk {
                q = q
                    .bind(*id)
                    .bind(*line)
                    .bind(item.sku.clone())
                    .bind(item.name.clone())
                    .bind(item.category.clone())
                    .bind(item.quantity)
                    .bind(item.price);
            }
            self.execute(q).await?;
        }
        Ok(ordered)
    }

    /// Inserts refunds not recorded yet and recomputes the refunded totals of their orders.
    pub(crate) async fn write_refunds(
        &mut self,
        refunds: &[(i64, RefundRow)],
    ) -> StoreResult<Vec<bool>> {
        let mut fresh: HashSet<(i64, String)> = HashSet::new();
        for chunk in refunds.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO refunds (order_id, external_id, amount_minor, created_at, reason) VALUES {} \
                 ON CONFLICT DO NOTHING RETURNING order_id, external_id",
                sql::values(self.placeholders(), chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for (order, r) in chunk {
                q = q
                    .bind(*order)
                    .bind(r.external_id.clone())
                    .bind(r.amount)
                    .bind(r.created_at)
                    .bind(r.reason.clone());
            }
            for row in q.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                fresh.insert((get(&row, "order_id")?, get(&row, "external_id")?));
            }
        }
        let mut touched: Vec<i64> = fresh.iter().map(|(id, _)| *id).collect();
        touched.sort_unstable();
        touched.dedup();
        for chunk in touched.chunks(CHUNK) {
            let sql = format!(
                "UPDATE orders SET refunded_minor = (SELECT CAST(COALESCE(SUM(r.amount_minor), 0) AS BIGINT) FROM refunds r \
                 WHERE r.order_id = orders.id) WHERE id IN ({})",
                sql::list(self.placeholders(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            self.execute(q).await?;
        }
        // A refund listed twice in one call is new only the first time.
        Ok(refunds
            .iter()
            .map(|(order, r)| fresh.remove(&(*order, r.external_id.clone())))
            .collect())
    }
}
