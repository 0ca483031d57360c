//! Behaviour events of the names rules read ("did "Product Added" twice within 7 days"), by
//! customer window (through `events_customer`) or by customer.

use crate::SqlStore;
use crate::backend::map_err;
use crate::person_facts::Which;
use crate::rows::{customer_id, get};
use crate::sql::{self, Placeholders};
use guanxi_domain::CustomerId;
use guanxi_store::{EventFact, StoreResult};

impl SqlStore {
    pub(crate) async fn event_facts(
        &self,
        which: Which<'_>,
        names: &[String],
    ) -> StoreResult<Vec<EventFact>> {
        if names.is_empty() || matches!(which, Which::Of(ids) if ids.is_empty()) {
            return Ok(Vec::new());
        }
        let (condition, ids) = which.condition("customer_id");
        let first = ids.len() + 1;
        // SQLite numbers `$n` parameters in the order they appear, so they appear in order.
        let sql = format!(
            "SELECT customer_id, timestamp, name, properties FROM events \
             WHERE {condition} AND name IN ({}) ORDER BY customer_id, timestamp",
            sql::list(Placeholders::Numbered { first }, names.len())
        );
        if let Some(readers) = &self.readers {
            let names = names.to_vec();
            return readers
                .read(move |conn| {
                    let values: Vec<rusqlite::types::Value> = ids
                        .into_iter()
                        .map(rusqlite::types::Value::from)
                        .chain(names.into_iter().map(rusqlite::types::Value::from))
                        .collect();
                    let mut stmt = conn.prepare_cached(&sql)?;
                    let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
                        Ok(EventFact {
                            customer: CustomerId(r.get(0)?),
                            at: r.get(1)?,
                            name: r.get(2)?,
                            properties: r.get(3)?,
                        })
                    })?;
                    rows.collect()
                })
                .await;
        }
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id);
        }
        for name in names {
            q = q.bind(name.as_str());
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(EventFact {
                    customer: customer_id(r, "customer_id")?,
                    at: get(r, "timestamp")?,
                    name: get(r, "name")?,
                    properties: get(r, "properties")?,
                })
            })
            .collect()
    }
}
