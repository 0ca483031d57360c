//! The dashboard's figures: a few aggregate queries over one period of orders and customers.
//! The order queries read only the covering `orders_created_at` index, so a month of a large
//! shop reads a month of index entries and no order rows. Every value is bound; the SQL is
//! fixed text.

use crate::SqlStore;
use crate::backend::map_err;
use crate::order_rules::{counted_order, order_value};
use crate::rows::get;
use async_trait::async_trait;
use guanxi_store::{
    ChannelFigures, DayFigures, FiguresQuery, FiguresStore, KeyStore, ShopFigures, StoreResult,
};
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;

/// Orders in the period that moved money, in the query's currency (`o` is `orders`).
const IN_PERIOD: &str = concat!(
    "o.created_at >= $1 AND o.created_at < $2 AND o.currency = $3 AND ",
    counted_order!()
);

/// What the period's orders brought in.
const REVENUE: &str = concat!("CAST(COALESCE(SUM(", order_value!(), "), 0) AS BIGINT)");

#[async_trait]
impl FiguresStore for SqlStore {
    async fn shop_figures(&self, q: &FiguresQuery) -> StoreResult<ShopFigures> {
        let names: BTreeMap<i64, String> = self
            .list_sources()
            .await?
            .into_iter()
            .map(|s| (s.id.0, s.name))
            .collect();
        let mut days: BTreeMap<i64, DayFigures> = BTreeMap::new();
        let mut channels: BTreeMap<i64, ChannelFigures> = BTreeMap::new();
        // One pass over the period's orders gives both the days and the channels.
        let by_day_and_source = sqlx::query(&format!(
            "SELECT CAST((o.created_at + $4) / {DAY_MS} AS BIGINT) AS day, o.source_id, \
             COUNT(*) AS orders, {REVENUE} AS revenue FROM orders o WHERE {IN_PERIOD} \
             GROUP BY 1, 2"
        ))
        .bind(q.from)
        .bind(q.to)
        .bind(q.currency.clone())
        .bind(q.utc_offset_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        for row in &by_day_and_source {
            let (day, source): (i64, i64) = (get(row, "day")?, get(row, "source_id")?);
            let (orders, revenue): (i64, i64) = (get(row, "orders")?, get(row, "revenue")?);
            let d = days.entry(day).or_insert_with(|| DayFigures {
                day,
                ..DayFigures::default()
            });
            d.orders += orders;
            d.revenue += revenue;
            let ch = channels.entry(source).or_insert_with(|| ChannelFigures {
                source: names
                    .get(&source)
                    .cloned()
                    .unwrap_or_else(|| format!("#{source}")),
                orders: 0,
                revenue: 0,
            });
            ch.orders += orders;
            ch.revenue += revenue;
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
        let customers: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE merged_into IS NULL")
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?;
        let days: Vec<DayFigures> = days.into_values().collect();
        let mut channels: Vec<ChannelFigures> = channels.into_values().collect();
        channels.sort_by(|a, b| b.revenue.cmp(&a.revenue).then(a.source.cmp(&b.source)));
        Ok(ShopFigures {
            customers,
            new_customers: days.iter().map(|d| d.new_customers).sum(),
            buyers: get(&buyers, "buyers")?,
            repeat_buyers: get(&buyers, "repeat_buyers")?,
            orders: days.iter().map(|d| d.orders).sum(),
            revenue: days.iter().map(|d| d.revenue).sum(),
            days,
            channels,
        })
    }
}
