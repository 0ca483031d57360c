//! Lines of counted orders that hold the products or categories rules name, for the engine's
//! purchase conditions ("bought category "silk" twice within 90 days").

use crate::SqlStore;
use crate::backend::map_err;
use crate::order_rules::counted_order;
use crate::person_facts::Which;
use crate::rows::{customer_id, get};
use crate::sql::{self, Placeholders};
use guanxi_domain::CustomerId;
use guanxi_store::{ItemFact, ItemFilter, StoreResult};

/// A bound value of the statement: ids and text.
#[derive(Clone)]
enum Param {
    Id(i64),
    Text(String),
}

impl SqlStore {
    pub(crate) async fn item_facts(
        &self,
        which: Which<'_>,
        items: &ItemFilter,
        currency: &str,
    ) -> StoreResult<Vec<ItemFact>> {
        if items.is_empty() || matches!(which, Which::Of(ids) if ids.is_empty()) {
            return Ok(Vec::new());
        }
        let (condition, ids) = which.condition("o.customer_id");
        let mut params: Vec<Param> = ids.into_iter().map(Param::Id).collect();
        let mut next = params.len() + 1;
        let mut matches = Vec::new();
        for (column, values) in [("i.sku", &items.skus), ("i.category", &items.categories)] {
            if values.is_empty() {
                continue;
            }
            matches.push(format!(
                "{column} IN ({})",
                sql::list(Placeholders::Numbered { first: next }, values.len())
            ));
            next += values.len();
            params.extend(values.iter().cloned().map(Param::Text));
        }
        // SQLite numbers `$n` parameters in the order they appear, so they appear in order.
        params.push(Param::Text(currency.to_owned()));
        let sql = format!(
            "SELECT o.customer_id, o.id, o.created_at, i.sku, i.category FROM orders o \
             JOIN order_items i ON i.order_id = o.id \
             WHERE {condition} AND ({}) AND o.currency = ${next} AND {} \
             ORDER BY o.customer_id, o.created_at, o.id",
            matches.join(" OR "),
            counted_order!()
        );
        if let Some(readers) = &self.readers {
            return readers
                .read(move |conn| {
                    let values: Vec<rusqlite::types::Value> = params
                        .into_iter()
                        .map(|p| match p {
                            Param::Id(id) => id.into(),
                            Param::Text(t) => t.into(),
                        })
                        .collect();
                    let mut stmt = conn.prepare_cached(&sql)?;
                    let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
                        Ok(ItemFact {
                            customer: CustomerId(r.get(0)?),
                            order: r.get(1)?,
                            at: r.get(2)?,
                            sku: r.get(3)?,
                            category: r.get(4)?,
                        })
                    })?;
                    rows.collect()
                })
                .await;
        }
        let mut q = sqlx::query(&sql);
        for p in params {
            q = match p {
                Param::Id(id) => q.bind(id),
                Param::Text(t) => q.bind(t),
            };
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(ItemFact {
                    customer: customer_id(r, "customer_id")?,
                    order: get(r, "id")?,
                    at: get(r, "created_at")?,
                    sku: get(r, "sku")?,
                    category: get(r, "category")?,
                })
            })
            .collect()
    }
}
