//! Analytics reads: order histories of a period's buyers, event reach, segment moves.

use crate::SqlStore;
use crate::backend::map_err;
use crate::order_rules::counted_order;
use crate::rows::{customer_id, get};
use crate::sql::{self, Placeholders};
use async_trait::async_trait;
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{AnalyticsStore, Period, StoreResult};

#[async_trait]
impl AnalyticsStore for SqlStore {
    async fn period_orders(&self, period: &Period) -> StoreResult<Vec<(CustomerId, Millis)>> {
        let channel = match period.source {
            Some(_) => "AND o.source_id = $4",
            None => "",
        };
        // Read off the covering `orders_created_at` index in time order; sorted by customer
        // here, which is cheaper than the database sorting millions of rows.
        let sql = format!(
            "SELECT o.customer_id, o.created_at FROM orders o \
             WHERE o.created_at >= $1 AND o.created_at < $2 AND o.currency = $3 AND {} {channel}",
            counted_order!()
        );
        let mut rows: Vec<(CustomerId, Millis)> = match &self.readers {
            Some(readers) => {
                let (from, to) = (period.from, period.to);
                let (currency, source) = (period.currency.clone(), period.source.map(|s| s.0));
                readers
                    .read(move |conn| {
                        let mut stmt = conn.prepare_cached(&sql)?;
                        let map = |r: &rusqlite::Row<'_>| Ok((CustomerId(r.get(0)?), r.get(1)?));
                        match source {
                            Some(source) => stmt
                                .query_map(
                                    rusqlite::named_params! {
                                        "$1": from, "$2": to, "$3": currency, "$4": source
                                    },
                                    map,
                                )?
                                .collect(),
                            None => stmt
                                .query_map(
                                    rusqlite::named_params! { "$1": from, "$2": to, "$3": currency },
                                    map,
                                )?
                                .collect(),
                        }
                    })
                    .await?
            }
            None => {
                let mut q = sqlx::query(&sql)
                    .bind(period.from)
                    .bind(period.to)
                    .bind(period.currency.as_str());
                if let Some(source) = period.source {
                    q = q.bind(source.0);
                }
                let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
                rows.iter()
                    .map(|r| Ok((customer_id(r, "customer_id")?, get(r, "created_at")?)))
                    .collect::<StoreResult<_>>()?
            }
        };
        rows.sort_unstable();
        Ok(rows)
    }

    async fn event_reach(
        &self,
        names: &[&str],
        period: &Period,
    ) -> StoreResult<Vec<(String, CustomerId)>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut next = 3;
        let list = sql::list(Placeholders::Numbered { first: next }, names.len());
        next += names.len();
        let channel = match period.source {
            Some(_) => format!("AND source_id = ${next}"),
            None => String::new(),
        };
        let sql = format!(
            "SELECT DISTINCT name, customer_id FROM events \
             WHERE timestamp >= $1 AND timestamp < $2 AND name IN ({list}) {channel}"
        );
        let mut q = sqlx::query(&sql).bind(period.from).bind(period.to);
        for name in names {
            q = q.bind(*name);
        }
        if let Some(source) = period.source {
            q = q.bind(source.0);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((get(r, "name")?, customer_id(r, "customer_id")?)))
            .collect()
    }

    async fn segment_moves(
        &self,
        segments: &[i64],
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        if segments.is_empty() {
            return Ok(Vec::new());
        }
        let left = sql::list(Placeholders::Numbered { first: 3 }, segments.len());
        let entered = sql::list(
            Placeholders::Numbered {
                first: 3 + segments.len(),
            },
            segments.len(),
        );
        let sql = format!(
            "SELECT a.segment_id AS left_segment, b.segment_id AS entered_segment, \
             COUNT(*) AS customers FROM segment_history a \
             JOIN segment_history b ON b.customer_id = a.customer_id AND b.entered_at = a.left_at \
             WHERE a.left_at >= $1 AND a.left_at < $2 AND a.segment_id IN ({left}) \
             AND b.segment_id IN ({entered}) GROUP BY a.segment_id, b.segment_id"
        );
        let mut q = sqlx::query(&sql).bind(from).bind(to);
        for id in segments.iter().chain(segments) {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    get(r, "left_segment")?,
                    get(r, "entered_segment")?,
                    get(r, "customers")?,
                ))
            })
            .collect()
    }
}
