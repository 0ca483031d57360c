//! Order writes: heads by key or id, upserts with their items, refunds and the refunded totals
//! they imply.

use super::{SqliteWriteTx, map_err, multi_row};
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

    /// Upserts orders (distinct keys, as PostgreSQL requires too) and replaces their items;
    /// ids in input order.
    ///
    /// New orders, all of a first import, go in with multi-row inserts and ids taken in input
    /// order after the largest; stored ones are updated and get their items anew.
    pub(super) fn write_orders(
        &self,
        orders: &[(OrderRow, Vec<OrderItemRow>)],
    ) -> StoreResult<Vec<i64>> {
        let conn = self.conn()?;
        let mut find = conn
            .prepare_cached("SELECT id FROM orders WHERE source_id = ?1 AND external_id = ?2")
            .map_err(map_err)?;
        let mut next = self.largest_id("orders")?;
        // Per order: its id and whether it is stored already.
        let mut written: Vec<(usize, i64, bool)> = Vec::with_capacity(orders.len());
        for (i, (o, _)) in orders.iter().enumerate() {
            let stored: Option<i64> = find
                .query_row(params![o.source.0, o.external_id], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            let id = stored.unwrap_or_else(|| {
                next += 1;
                next
            });
            written.push((i, id, stored.is_some()));
        }
        let new: Vec<(i64, &OrderRow)> = written
            .iter()
            .filter(|(_, _, stored)| !stored)
            .map(|(i, id, _)| (*id, &orders[*i].0))
            .collect();
        multi_row::insert(
            conn,
            "INSERT INTO orders (id, source_id, external_id, customer_id, status, currency, \
             total_minor, created_at, updated_at, fingerprint)",
            10,
            &new,
            |s, at, (id, o)| {
                s.raw_bind_parameter(at, id)?;
                s.raw_bind_parameter(at + 1, o.source.0)?;
                s.raw_bind_parameter(at + 2, &o.external_id)?;
                s.raw_bind_parameter(at + 3, o.customer.0)?;
                s.raw_bind_parameter(at + 4, o.status.as_str())?;
                s.raw_bind_parameter(at + 5, &o.currency)?;
                s.raw_bind_parameter(at + 6, o.total)?;
                s.raw_bind_parameter(at + 7, o.created_at)?;
                s.raw_bind_parameter(at + 8, o.updated_at)?;
                s.raw_bind_parameter(at + 9, &o.fingerprint)
            },
        )
        .map_err(map_err)?;
        let mut update = conn
            .prepare_cached(
                "UPDATE orders SET customer_id = ?2, status = ?3, currency = ?4, total_minor = ?5, \
                 created_at = ?6, updated_at = ?7, fingerprint = ?8 WHERE id = ?1",
            )
            .map_err(map_err)?;
        let mut clear = conn
            .prepare_cached("DELETE FROM order_items WHERE order_id = ?1")
            .map_err(map_err)?;
        for (i, id, _) in written.iter().filter(|(_, _, stored)| *stored) {
            let o = &orders[*i].0;
            update
                .execute(params![
                    id,
                    o.customer.0,
                    o.status.as_str(),
                    o.currency,
                    o.total,
                    o.created_at,
                    o.updated_at,
                    o.fingerprint
                ])
                .map_err(map_err)?;
            clear.execute([id]).map_err(map_err)?;
        }
        let items: Vec<(i64, usize, &OrderItemRow)> = written
            .iter()
            .flat_map(|(i, id, _)| {
                let items = orders[*i].1.iter().enumerate();
                items.map(move |(line, item)| (*id, line, item))
            })
            .collect();
        multi_row::insert(
            conn,
            "INSERT INTO order_items (order_id, line, sku, name, category, quantity, price_minor)",
            7,
            &items,
            |s, at, (id, line, item)| {
                s.raw_bind_parameter(at, id)?;
                s.raw_bind_parameter(at + 1, *line as i64)?;
                s.raw_bind_parameter(at + 2, &item.sku)?;
                s.raw_bind_parameter(at + 3, &item.name)?;
                s.raw_bind_parameter(at + 4, &item.category)?;
                s.raw_bind_parameter(at + 5, item.quantity)?;
                s.raw_bind_parameter(at + 6, item.price)
            },
        )
        .map_err(map_err)?;
        Ok(written.iter().map(|(_, id, _)| *id).collect())
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
