//! The dashboard's figures: a few aggregate queries over one period of orders and customers,
//! read through the `orders_created_at` index, so a month of a large shop reads a month of
//! rows. Every value is bound; the SQL is fixed text.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::get;
use async_trait::async_trait;
use guanxi_store::{
    ChannelFigures, DayFigures, FiguresQuery, FiguresStore, ShopFigures, StoreResult,
};
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;

/// Orders in the period that moved money, in the query's currency (`o` is `orders`).
const IN_PERIOD: &str = "o.created_at >= $1 AND o.created_at < $2 AND o.currency = $3 \
     AND o.status IN ('paid', 'shipped', 'completed', 'refunded', 'partially_refunded')";

/// What an order brought in: paid less refunded, nothing for a wholly refunded one.
const REVENUE: &str = "CAST(COALESCE(SUM(CASE WHEN o.status = 'refunded' THEN 0 \
     WHEN o.total_minor > o.refunded_minor THEN o.total_minor - o.refunded_minor ELSE 0 END), 0) \
     AS BIGINT)";

#[async_trait]
impl FiguresStore for SqlStore {
    async fn shop_figures(&self, q: &FiguresQuery) -> StoreResult<ShopFigures> {
        let mut days: BTreeMap<i64, DayFigures> = BTreeMap::new();
        let by_day = sqlx::query(&format!(
            "SELECT CAST((o.created_at + $4) / {DAY_MS} AS BIGINT) AS day, COUNT(*) AS orders, \
             {REVENUE} AS revenue FROM orders o WHERE {IN_PERIOD} GROUP BY 1"
        ))
        .bind(q.from)
        .bind(q.to)
        .bind(q.currency.clone())
        .bind(q.utc_offset_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        for row in &by_day {
            let day: i64 = get(row, "day")?;
            let entry = days.entry(day).or_insert_with(|| DayFigures {
                day,
                ..DayFigures::default()
            });
            entry.orders = get(row, "orders")?;
            entry.revenue = get(row, "revenue")?;
        }
        let new_by_day = sqlx::query(&format!(
            "SELECT CAST((created_at + $3) / {DAY_MS} AS BIGINT) AS day, COUNT(*) AS n \
             FROM customers WHERE created_at >= $1 AND created_at < $2 AND merged_into IS NULL \
             GROUP BY 1"
        ))
        .bind(q.from)
        .bind(q.to)
        .bind(q.utc_offset_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        for row in &new_by_day {
            let day: i64 = get(row, "day")?;
            days.entry(day)
                .or_insert_with(|| DayFigures {
                    day,
                    ..DayFigures::default()
                })
                .new_customers = get(row, "n")?;
        }
        let buyers = sqlx::query(&format!(
            "SELECT COUNT(*) AS buyers, \
             CAST(COALESCE(SUM(CASE WHEN n > 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS repeat_buyers \
             FROM (SELECT o.customer_id, COUNT(*) AS n FROM orders o WHERE {IN_PERIOD} \
             GROUP BY o.customer_id) b"
        ))
        .bind(q.from)
        .bind(q.to)
        .bind(q.currency.clone())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        let channels = sqlx::query(&format!(
            "SELECT s.name AS source, COUNT(*) AS orders, {REVENUE} AS revenue, \
             COUNT(DISTINCT o.customer_id) AS buyers \
             FROM orders o JOIN sources s ON s.id = o.source_id WHERE {IN_PERIOD} \
             GROUP BY s.name ORDER BY 3 DESC, 1"
        ))
        .bind(q.from)
        .bind(q.to)
        .bind(q.currency.clone())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let customers: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE merged_into IS NULL")
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?;
        let days: Vec<DayFigures> = days.into_values().collect();
        Ok(ShopFigures {
            customers,
            new_customers: days.iter().map(|d| d.new_customers).sum(),
            buyers: get(&buyers, "buyers")?,
            repeat_buyers: get(&buyers, "repeat_buyers")?,
            orders: days.iter().map(|d| d.orders).sum(),
            revenue: days.iter().map(|d| d.revenue).sum(),
            channels: channels
                .iter()
                .map(|r| {
                    Ok(ChannelFigures {
                        source: get(r, "source")?,
                        orders: get(r, "orders")?,
                        revenue: get(r, "revenue")?,
                        buyers: get(r, "buyers")?,
                    })
                })
                .collect::<StoreResult<_>>()?,
            days,
        })
    }
}
