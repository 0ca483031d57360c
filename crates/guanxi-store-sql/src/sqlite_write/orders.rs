//! Order writes: heads by key or id, upserts with their items, refunds and the refunded totals
//! they imply.

use super::{SqliteWriteTx, map_err};
use guanxi_domain::SourceId;
use guanxi_store::{OrderHead, OrderItemRow, OrderRow, RefundRow, StoreResult};
use rusqlite::{OptionalExtension, params};
use std::collections::BTreeSet;

const HEAD_COLUMNS: &str =
    "id, customer_id, status, currency, total_minor, refunded_minor, fingerprint";

fn head(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, i64, String, String, i64, i64, String)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn decode(
    (id, customer, status, currency, total, refunded, fingerprint): (
        i64,
        i64,
        String,
        String,
        i64,
        i64,
        String,
    ),
) -> StoreResult<OrderHead> {
    Ok(OrderHead {
        id,
        customer: guanxi_domain::CustomerId(customer),
        status: crate::rows::status(&status)?,
        currency,
        total,
        refunded,
        fingerprint,
    })
}

impl SqliteWriteTx {
    pub(super) fn heads_by_keys(
        &self,
        keys: &[(SourceId, String)],
    ) -> StoreResult<Vec<(SourceId, String, OrderHead)>> {
        let mut stmt = self
            .conn()?
            .prepare_cached(&format!(
                "SELECT {HEAD_COLUMNS} FROM orders WHERE source_id = ?1 AND external_id = ?2"
            ))
            .map_err(map_err)?;
        let mut out = Vec::new();
        for (source, external_id) in keys {
            let found = stmt
                .query_row(params![source.0, external_id], head)
                .optional()
                .map_err(map_err)?;
            if let Some(found) = found {
                out.push((*source, external_id.clone(), decode(found)?));
            }
        }
        Ok(out)
    }

    pub(super) fn heads_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<OrderHead>> {
        let mut stmt = self
            .conn()?
            .prepare_cached(&format!("SELECT {HEAD_COLUMNS} FROM orders WHERE id = ?1"))
            .map_err(map_err)?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(found) = stmt.query_row([id], head).optional().map_err(map_err)? {
                out.push(decode(found)?);
            }
        }
        Ok(out)
    }

    /// Upserts orders and replaces their items; ids in input order.
    pub(super) fn write_orders(
        &self,
        orders: &[(OrderRow, Vec<OrderItemRow>)],
    ) -> StoreResult<Vec<i64>> {
        let conn = self.conn()?;
        let mut upsert = conn
            .prepare_cached(
                "INSERT INTO orders (source_id, external_id, customer_id, status, currency, total_minor, \
                 created_at, updated_at, fingerprint) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (source_id, external_id) DO UPDATE SET customer_id = excluded.customer_id, \
                 status = excluded.status, currency = excluded.currency, total_minor = excluded.total_minor, \
                 created_at = excluded.created_at, updated_at = excluded.updated_at, \
                 fingerprint = excluded.fingerprint RETURNING id",
            )
            .map_err(map_err)?;
        let mut clear = conn
            .prepare_cached("DELETE FROM order_items WHERE order_id = ?1")
            .map_err(map_err)?;
        let mut add_item = conn
            .prepare_cached(
                "INSERT INTO order_items (order_id, line, sku, name, category, quantity, price_minor) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(map_err)?;
        let mut ids = Vec::with_capacity(orders.len());
        for (o, items) in orders {
            let id: i64 = upsert
                .query_row(
                    params![
                        o.source.0,
                        o.external_id,
                        o.customer.0,
                        o.status.as_str(),
                        o.currency,
                        o.total,
                        o.created_at,
                        o.updated_at,
                        o.fingerprint
                    ],
                    |r| r.get(0),
                )
                .map_err(map_err)?;
            clear.execute([id]).map_err(map_err)?;
            for (line, item) in items.iter().enumerate() {
                add_item
                    .execute(params![
                        id,
                        line as i64,
                        item.sku,
                        item.name,
                        item.category,
                        item.quantity,
                        item.price
                    ])
                    .map_err(map_err)?;
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// Inserts refunds not recorded yet and recomputes the refunded totals of their orders.
    /// A refund listed twice is new only the first time.
    pub(super) fn write_refunds(&self, refunds: &[(i64, RefundRow)]) -> StoreResult<Vec<bool>> {
        let mut new = Vec::with_capacity(refunds.len());
        let mut touched = BTreeSet::new();
        for (order, r) in refunds {
            let inserted = self.run(
                "INSERT INTO refunds (order_id, external_id, amount_minor, created_at, reason) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                params![order, r.external_id, r.amount, r.created_at, r.reason],
            )? == 1;
            if inserted {
                touched.insert(*order);
            }
            new.push(inserted);
        }
        for order in touched {
            self.run(
                "UPDATE orders SET refunded_minor = (SELECT COALESCE(SUM(amount_minor), 0) \
                 FROM refunds WHERE order_id = ?1) WHERE id = ?1",
                [order],
            )?;
        }
        Ok(new)
    }
}
