//! The deliveries queue, read and claimed over the pool. PostgreSQL claims with `FOR UPDATE
//! SKIP LOCKED` so servers never take the same delivery; SQLite has one writer.

use super::{channel, delivery_status};
use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{customer_id, get};
use crate::sql::{Placeholders, list};
use guanxi_domain::messaging::{Channel, DeliveryStatus};
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{Delivery, DeliveryCount, StoreError, StoreResult, Touch};
use sqlx::any::AnyRow;

const DELIVERY_COLUMNS: &str = "id, origin, customer_id, channel, variant, status, attempts, \
     run_at, last_error, queued_at, sent_at";

fn delivery(row: &AnyRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: get(row, "id")?,
        origin: get(row, "origin")?,
        customer: customer_id(row, "customer_id")?,
        channel: channel(row, "channel")?,
        variant: get(row, "variant")?,
        status: delivery_status(&get::<String>(row, "status")?)?,
        attempts: u32::try_from(get::<i64>(row, "attempts")?).unwrap_or(u32::MAX),
        run_at: get(row, "run_at")?,
        last_error: get(row, "last_error")?,
        queued_at: get(row, "queued_at")?,
        sent_at: get(row, "sent_at")?,
    })
}

/// The statuses a tracked status may follow: tracking only ever moves a delivery forward.
fn tracked_from(status: DeliveryStatus) -> StoreResult<&'static str> {
    match status {
        DeliveryStatus::Delivered => Ok("'sent'"),
        DeliveryStatus::Opened => Ok("'sent', 'delivered'"),
        DeliveryStatus::Clicked => Ok("'sent', 'delivered', 'opened'"),
        DeliveryStatus::Unsubscribed => Ok("'sent', 'delivered', 'opened', 'clicked'"),
        DeliveryStatus::Bounced => Ok("'sending', 'sent', 'delivered'"),
        other => Err(StoreError::other(format!(
            "{} is not a tracked delivery status",
            other.as_str()
        ))),
    }
}

impl SqlStore {
    pub(super) async fn claim_due_deliveries(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let lock = self.backend.claim_lock();
        // A sending delivery whose lease ran out belonged to a sender that died: claim it again.
        let sql = format!(
            "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, run_at = $1 \
             WHERE id IN (SELECT id FROM deliveries WHERE status IN ('queued', 'sending') \
                          AND run_at <= $2 ORDER BY run_at, id LIMIT $3 {lock}) \
             RETURNING {DELIVERY_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let mut claimed = rows.iter().map(delivery).collect::<StoreResult<Vec<_>>>()?;
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    pub(super) async fn one_delivery(&self, id: i64) -> StoreResult<Delivery> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound("delivery"))?;
        delivery(&row)
    }

    pub(super) async fn counts_of(&self, origin: &str) -> StoreResult<Vec<DeliveryCount>> {
        let rows = sqlx::query(
            "SELECT variant, status, COUNT(*) AS n FROM deliveries WHERE origin = $1 \
             GROUP BY variant, status ORDER BY variant, status",
        )
        .bind(origin)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryCount {
                    variant: get(r, "variant")?,
                    status: delivery_status(&get::<String>(r, "status")?)?,
                    count: get(r, "n")?,
                })
            })
            .collect()
    }

    pub(super) async fn deliveries_of(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE customer_id = $1 \
             ORDER BY queued_at DESC, id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(customer.0)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(delivery).collect()
    }

    pub(super) async fn sent_counts(
        &self,
        customers: &[CustomerId],
        since: Millis,
    ) -> StoreResult<Vec<(CustomerId, Channel, u32)>> {
        let mut counts = Vec::new();
        for chunk in customers.chunks(500) {
            let sql = format!(
                "SELECT customer_id, channel, COUNT(*) AS n FROM deliveries \
                 WHERE sent_at >= $1 AND marketing = TRUE AND customer_id IN ({}) \
                 GROUP BY customer_id, channel",
                list(Placeholders::Numbered { first: 2 }, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(since);
            for customer in chunk {
                query = query.bind(customer.0);
            }
            for row in query.fetch_all(&self.pool).await.map_err(map_err)? {
                let n: i64 = get(&row, "n")?;
                counts.push((
                    customer_id(&row, "customer_id")?,
                    channel(&row, "channel")?,
                    u32::try_from(n).unwrap_or(u32::MAX),
                ));
            }
        }
        Ok(counts)
    }

    pub(super) async fn track(
        &self,
        id: i64,
        status: DeliveryStatus,
        at: Millis,
    ) -> StoreResult<bool> {
        // A click implies the message was opened, even when the pixel was blocked.
        let opened = matches!(status, DeliveryStatus::Opened | DeliveryStatus::Clicked);
        let sql = format!(
            "UPDATE deliveries SET status = $1, \
             opened_at = CASE WHEN $2 THEN COALESCE(opened_at, $3) ELSE opened_at END, \
             clicked_at = CASE WHEN $4 THEN COALESCE(clicked_at, $3) ELSE clicked_at END \
             WHERE id = $5 AND status IN ({})",
            tracked_from(status)?
        );
        let moved = sqlx::query(&sql)
            .bind(status.as_str())
            .bind(opened)
            .bind(at)
            .bind(status == DeliveryStatus::Clicked)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(moved.rows_affected() > 0)
    }

    pub(super) async fn move_variant(
        &self,
        origin: &str,
        from: &str,
        to: &str,
    ) -> StoreResult<u64> {
        let moved = sqlx::query(
            "UPDATE deliveries SET variant = $1 \
             WHERE origin = $2 AND variant = $3 AND status IN ('queued', 'sending')",
        )
        .bind(to)
        .bind(origin)
        .bind(from)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(moved.rows_affected())
    }
}

const TOUCH_COLUMNS: &str =
    "id, origin, customer_id, channel, variant, status, sent_at, opened_at, clicked_at";

fn touch(row: &AnyRow) -> StoreResult<Touch> {
    Ok(Touch {
        delivery: get(row, "id")?,
        origin: get(row, "origin")?,
        customer: customer_id(row, "customer_id")?,
        channel: channel(row, "channel")?,
        variant: get(row, "variant")?,
        status: delivery_status(&get::<String>(row, "status")?)?,
        sent_at: get(row, "sent_at")?,
        opened_at: get(row, "opened_at")?,
        clicked_at: get(row, "clicked_at")?,
    })
}

impl SqlStore {
    pub(super) async fn touches_of_origin(&self, origin: &str) -> StoreResult<Vec<Touch>> {
        let sql = format!("SELECT {TOUCH_COLUMNS} FROM deliveries WHERE origin = $1 ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(origin)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(touch).collect()
    }

    pub(super) async fn failed_of_prefix(
        &self,
        prefix: &str,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE {UNDER_ORIGIN} \
             AND status IN ('failed', 'dead') ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(prefix)
            .bind(like_under(prefix)?)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(delivery).collect()
    }

    /// Under the origin by `LIKE`, which both databases read the same whatever the collation (a range over
    /// the index would not: PostgreSQL's linguistic collations skip punctuation such as `:`).
    /// It reads the whole table; fine for a page of results, to revisit when journeys send
    /// millions.
    pub(super) async fn touches_of_prefix(&self, prefix: &str) -> StoreResult<Vec<Touch>> {
        let sql =
            format!("SELECT {TOUCH_COLUMNS} FROM deliveries WHERE {UNDER_ORIGIN} ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(prefix)
            .bind(like_under(prefix)?)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(touch).collect()
    }

    pub(super) async fn touches_of(
        &self,
        customers: &[CustomerId],
        since: Millis,
    ) -> StoreResult<Vec<Touch>> {
        let mut out = Vec::new();
        for chunk in customers.chunks(500) {
            let sql = format!(
                "SELECT {TOUCH_COLUMNS} FROM deliveries WHERE sent_at >= $1 AND customer_id IN ({})",
                list(Placeholders::Numbered { first: 2 }, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(since);
            for customer in chunk {
                query = query.bind(customer.0);
            }
            for row in query.fetch_all(&self.pool).await.map_err(map_err)? {
                out.push(touch(&row)?);
            }
        }
        Ok(out)
    }
}

/// Deliveries of an origin and of every origin under it (`journey:7` and `journey:7:…`, not
/// `journey:70`): `$1` the origin, `$2` its `LIKE` pattern.
const UNDER_ORIGIN: &str = "(origin = $1 OR origin LIKE $2)";

/// The `LIKE` pattern of origins under `origin`.
fn like_under(origin: &str) -> StoreResult<String> {
    if origin.is_empty() || origin.contains(['%', '_', '\\']) {
        return Err(StoreError::other(
            "an origin is not empty and holds no LIKE wildcards",
        ));
    }
    Ok(format!("{origin}:%"))
}
