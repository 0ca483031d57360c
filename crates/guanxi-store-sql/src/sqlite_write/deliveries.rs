//! Message deliveries: rows queued many at once (a relaunch adds only what is missing), and
//! what became of claimed ones, counted only from the sender whose claim still holds.

use super::{SqliteWriteTx, map_err, multi_row};
use guanxi_domain::Millis;
use guanxi_store::{DeliveryUpdate, NewDelivery, StoreResult};
use rusqlite::params;

impl SqliteWriteTx {
    pub(super) fn write_deliveries(
        &mut self,
        deliveries: &[NewDelivery],
        at: Millis,
    ) -> StoreResult<u64> {
        multi_row::insert_then(
            self.conn()?,
            "INSERT INTO deliveries \
             (origin, customer_id, channel, variant, status, run_at, last_error, marketing, queued_at)",
            "ON CONFLICT (origin, customer_id) DO NOTHING",
            9,
            deliveries,
            |s, i, d| {
                s.raw_bind_parameter(i, d.origin.as_str())?;
                s.raw_bind_parameter(i + 1, d.customer.0)?;
                s.raw_bind_parameter(i + 2, d.channel.as_str())?;
                s.raw_bind_parameter(i + 3, d.variant.as_str())?;
                s.raw_bind_parameter(i + 4, d.status.as_str())?;
                s.raw_bind_parameter(i + 5, d.run_at)?;
                s.raw_bind_parameter(i + 6, d.reason.as_deref())?;
                s.raw_bind_parameter(i + 7, d.marketing)?;
                s.raw_bind_parameter(i + 8, at)
            },
        )
        .map_err(map_err)
    }

    pub(super) fn record_outcomes(
        &mut self,
        updates: &[DeliveryUpdate],
        at: Millis,
    ) -> StoreResult<Vec<i64>> {
        let mut changed = Vec::with_capacity(updates.len());
        for u in updates {
            let rows = self.run(
                crate::messaging::SQLITE_UPDATE_DELIVERY,
                params![
                    u.id,
                    u.status.as_str(),
                    u.run_at,
                    u.error,
                    !u.attempted,
                    u.status.reached_channel(),
                    at,
                    u.attempt
                ],
            )?;
            if rows > 0 {
                changed.push(u.id);
            }
        }
        Ok(changed)
    }
}
