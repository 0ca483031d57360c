//! What customers bought, product by product, for the recommender.

use crate::SqlStore;
use crate::backend::map_err;
use crate::order_rules::counted_order;
use crate::rows::{customer_id, get};
use guanxi_domain::CustomerId;
use guanxi_store::{ProductLine, StoreResult};

impl SqlStore {
    pub(crate) async fn product_lines(
        &self,
        after: CustomerId,
        up_to: CustomerId,
    ) -> StoreResult<Vec<ProductLine>> {
        let sql = format!(
            "SELECT o.customer_id, i.sku, o.created_at FROM orders o \
             JOIN order_items i ON i.order_id = o.id \
             WHERE o.customer_id > $1 AND o.customer_id <= $2 AND {} \
             ORDER BY o.customer_id, o.created_at DESC",
            counted_order!()
        );
        if let Some(readers) = &self.readers {
            return readers
                .read(move |conn| {
                    let mut stmt = conn.prepare_cached(&sql)?;
                    let rows = stmt.query_map(
                        rusqlite::named_params! { "$1": after.0, "$2": up_to.0 },
                        |r| {
                            Ok(ProductLine {
                                customer: CustomerId(r.get(0)?),
                                sku: r.get(1)?,
                                at: r.get(2)?,
                            })
                        },
                    )?;
                    rows.collect()
                })
                .await;
        }
        let rows = sqlx::query(&sql)
            .bind(after.0)
            .bind(up_to.0)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(ProductLine {
                    customer: customer_id(r, "customer_id")?,
                    sku: get(r, "sku")?,
                    at: get(r, "created_at")?,
                })
            })
            .collect()
    }

    pub(crate) async fn products_of(&self, customer: CustomerId) -> StoreResult<Vec<String>> {
        let sql = format!(
            "SELECT i.sku, MAX(o.created_at) AS last_at FROM orders o \
             JOIN order_items i ON i.order_id = o.id \
             WHERE o.customer_id = $1 AND {} GROUP BY i.sku ORDER BY last_at DESC, i.sku",
            counted_order!()
        );
        let rows = sqlx::query(&sql)
            .bind(customer.0)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| get(r, "sku")).collect()
    }
}
