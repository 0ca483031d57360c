//! Messaging as stored: consent and suppression lists (`consent.rs`), templates and campaigns
//! (`definitions.rs`) and the deliveries queue (`deliveries.rs`). Deliveries are inserted and
//! finished in the writer's transactions (`WriteTx`), beside the events that record them.

mod consent;
mod definitions;
mod deliveries;
mod inbox;

use crate::rows::get;
use guanxi_domain::messaging::{Channel, DeliveryStatus};
use guanxi_store::{StoreError, StoreResult};
use sqlx::any::AnyRow;

/// Records what became of one claimed delivery: `?1` id, `?2` status, `?3` when to try again
/// (or null), `?4` the error, `?5` whether the attempt is given back (a deferral for quiet
/// hours), `?6` whether it reached the channel, `?7` now, `?8` the attempt count it was claimed
/// with. A delivery no longer `sending`, or claimed again since (its lease ran out and another
/// sender took it), is left to that sender.
pub(crate) const SQLITE_UPDATE_DELIVERY: &str = "UPDATE deliveries SET status = ?2, \
     run_at = COALESCE(?3, run_at), last_error = ?4, attempts = attempts - ?5, \
     sent_at = CASE WHEN ?6 THEN COALESCE(sent_at, ?7) ELSE sent_at END \
     WHERE id = ?1 AND status = 'sending' AND attempts = ?8";

/// `SQLITE_UPDATE_DELIVERY` for many deliveries at once, over arrays.
pub(crate) const POSTGRES_UPDATE_DELIVERIES: &str = "UPDATE deliveries d SET status = u.status, \
     run_at = COALESCE(u.run_at, d.run_at), last_error = u.error, \
     attempts = d.attempts - CASE WHEN u.refund THEN 1 ELSE 0 END, \
     sent_at = CASE WHEN u.reached THEN COALESCE(d.sent_at, $7) ELSE d.sent_at END \
     FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bool[], $6::bool[], \
         $8::bigint[]) AS u(id, status, run_at, error, refund, reached, attempt) \
     WHERE d.id = u.id AND d.status = 'sending' AND d.attempts = u.attempt RETURNING d.id";

pub(crate) fn channel(row: &AnyRow, col: &str) -> StoreResult<Channel> {
    let raw: String = get(row, col)?;
    Channel::parse(&raw).map_err(|_| StoreError::other(format!("stored channel {raw:?}")))
}

pub(crate) fn delivery_status(raw: &str) -> StoreResult<DeliveryStatus> {
    DeliveryStatus::parse(raw)
        .ok_or_else(|| StoreError::other(format!("stored delivery status {raw:?}")))
}
