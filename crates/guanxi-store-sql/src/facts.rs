//! Order facts for the engine, read through `orders_customer` in windows of customer ids.

use crate::SqlStore;
use crate::backend::map_err;
use crate::order_rules::{counted_order, order_value};
use crate::person_facts::Which;
use crate::rows::{customer_id, get};
use crate::sql::{self, Placeholders};
use async_trait::async_trait;
use guanxi_domain::CustomerId;
use guanxi_store::{
    EventFact, FactStore, ItemFact, ItemFilter, OrderFact, PersonFact, ProductLine, StoreResult,
    Traits,
};
use sqlx::any::AnyRow;

const FACT_COLUMNS: &str = concat!(
    "SELECT o.customer_id, o.created_at, CAST(",
    order_value!(),
    " AS BIGINT) AS value FROM orders o"
);

/// Facts by customer, each customer's in time order.
fn in_time_order(mut facts: Vec<OrderFact>) -> Vec<OrderFact> {
    for one in facts.chunk_by_mut(|a, b| a.customer == b.customer) {
        one.sort_by_key(|f| f.at);
    }
    facts
}

fn fact(row: &AnyRow) -> StoreResult<OrderFact> {
    Ok(OrderFact {
        customer: customer_id(row, "customer_id")?,
        at: get(row, "created_at")?,
        value: get(row, "value")?,
    })
}

#[async_trait]
impl FactStore for SqlStore {
    async fn last_change_seq(&self) -> StoreResult<i64> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM changes")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(last.unwrap_or(0))
    }

    async fn max_customer_id(&self) -> StoreResult<i64> {
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM customers")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(max.unwrap_or(0))
    }

    async fn order_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
        currency: &str,
    ) -> StoreResult<Vec<OrderFact>> {
        // Merged-away customers own no orders: a merge moves them to the survivor. The index
        // gives them by customer; each customer's few are put in time order here, which is
        // cheaper than the database sorting the whole window.
        let sql = format!(
            "{FACT_COLUMNS} WHERE o.customer_id > $1 AND o.customer_id <= $2 \
             AND o.currency = $3 AND {} ORDER BY o.customer_id",
            counted_order!()
        );
        // A build reads every order: on SQLite, natively, without the Any driver's per-value
        // decoding.
        if let Some(readers) = &self.readers {
            let currency = currency.to_owned();
            return readers
                .read(move |conn| {
                    let mut stmt = conn.prepare_cached(&sql)?;
                    let rows = stmt.query_map(
                        rusqlite::named_params! { "$1": after.0, "$2": up_to.0, "$3": currency },
                        |r| {
                            Ok(OrderFact {
                                customer: CustomerId(r.get(0)?),
                                at: r.get(1)?,
                                value: r.get(2)?,
                            })
                        },
                    )?;
                    rows.collect()
                })
                .await
                .map(in_time_order);
        }
        let rows = sqlx::query(&sql)
            .bind(after.0)
            .bind(up_to.0)
            .bind(currency.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(fact)
            .collect::<StoreResult<_>>()
            .map(in_time_order)
    }

    async fn order_facts_of(
        &self,
        customers: &[CustomerId],
        currency: &str,
    ) -> StoreResult<Vec<OrderFact>> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{FACT_COLUMNS} WHERE o.customer_id IN ({}) AND o.currency = ${} AND {} \
             ORDER BY o.customer_id, o.created_at",
            sql::list(Placeholders::Numbered { first: 1 }, customers.len()),
            customers.len() + 1,
            counted_order!()
        );
        let mut q = sqlx::query(&sql);
        for c in customers {
            q = q.bind(c.0);
        }
        let rows = q
            .bind(currency.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(fact).collect()
    }

    async fn person_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
    ) -> StoreResult<Vec<PersonFact>> {
        self.person_facts(Which::Between(after, up_to)).await
    }

    async fn person_facts_of(&self, customers: &[CustomerId]) -> StoreResult<Vec<PersonFact>> {
        self.person_facts(Which::Of(customers)).await
    }

    async fn item_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
        items: &ItemFilter,
        currency: &str,
    ) -> StoreResult<Vec<ItemFact>> {
        self.item_facts(Which::Between(after, up_to), items, currency)
            .await
    }

    async fn item_facts_of(
        &self,
        customers: &[CustomerId],
        items: &ItemFilter,
        currency: &str,
    ) -> StoreResult<Vec<ItemFact>> {
        self.item_facts(Which::Of(customers), items, currency).await
    }

    async fn product_lines_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
    ) -> StoreResult<Vec<ProductLine>> {
        self.product_lines(after, up_to).await
    }

    async fn customer_products(&self, customer: CustomerId) -> StoreResult<Vec<String>> {
        self.products_of(customer).await
    }

    async fn event_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
        names: &[String],
    ) -> StoreResult<Vec<EventFact>> {
        self.event_facts(Which::Between(after, up_to), names).await
    }

    async fn event_facts_of(
        &self,
        customers: &[CustomerId],
        names: &[String],
    ) -> StoreResult<Vec<EventFact>> {
        self.event_facts(Which::Of(customers), names).await
    }

    async fn trait_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
    ) -> StoreResult<Vec<(CustomerId, String)>> {
        self.trait_facts(Which::Between(after, up_to)).await
    }

    async fn opened_traits_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
    ) -> StoreResult<Vec<(CustomerId, Traits)>> {
        self.trait_facts(Which::Between(after, up_to))
            .await?
            .into_iter()
            .map(|(id, json)| Ok((id, crate::sealed::open_traits(&self.vault, &json)?)))
            .collect()
    }

    async fn trait_facts_of(
        &self,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, String)>> {
        self.trait_facts(Which::Of(customers)).await
    }
}
