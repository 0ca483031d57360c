//! Creating customers, their traits, and merging one customer into another.

use super::{SqliteWriteTx, map_err, multi_row};
use crate::sealed::{open_traits, seal_traits};
use crate::write_rules::merged_traits;
use guanxi_domain::resolution::MergeDecision;
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{StoreResult, Traits};
use rusqlite::{OptionalExtension, params};

impl SqliteWriteTx {
    pub(super) fn insert_customers(
        &mut self,
        count: usize,
        at: Millis,
    ) -> StoreResult<Vec<CustomerId>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let top = self.largest_id("customers")?;
        let ids: Vec<i64> = (1..=count as i64).map(|i| top + i).collect();
        multi_row::insert(
            self.conn()?,
            "INSERT INTO customers (id, created_at, updated_at)",
            3,
            &ids,
            |s, i, id| {
                s.raw_bind_parameter(i, id)?;
                s.raw_bind_parameter(i + 1, at)?;
                s.raw_bind_parameter(i + 2, at)
            },
        )
        .map_err(map_err)?;
        Ok(ids.into_iter().map(CustomerId).collect())
    }

    pub(super) fn traits_of(&self, ids: &[CustomerId]) -> StoreResult<Vec<(CustomerId, Traits)>> {
        let mut stmt = self
            .conn()?
            .prepare_cached("SELECT traits FROM customers WHERE id = ?1")
            .map_err(map_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let text: Option<String> = stmt
                .query_row([id.0], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            if let Some(text) = text {
                out.push((*id, open_traits(self.vault()?, &text)?));
            }
        }
        Ok(out)
    }

    pub(super) fn write_traits(&self, all: &[(CustomerId, Traits)], at: Millis) -> StoreResult<()> {
        let mut stmt = self
            .conn()?
            .prepare_cached(
                "UPDATE customers SET traits = ?2, name_index = ?3, updated_at = ?4 WHERE id = ?1",
            )
            .map_err(map_err)?;
        for (id, traits) in all {
            let stored = seal_traits(self.vault()?, traits);
            stmt.execute(params![id.0, stored.json, stored.name_index, at])
                .map_err(map_err)?;
        }
        Ok(())
    }

    /// Moves everything of `from` to `into` and redirects `from` for ever.
    pub(super) fn merge(&mut self, merge: &MergeDecision, at: Millis) -> StoreResult<()> {
        let (from, into) = (merge.from.0, merge.into.0);
        for sql in [
            "UPDATE identities SET customer_id = ?1 WHERE customer_id = ?2",
            "UPDATE events SET customer_id = ?1 WHERE customer_id = ?2",
            "UPDATE orders SET customer_id = ?1 WHERE customer_id = ?2",
            "INSERT INTO customer_tags (customer_id, tag) SELECT ?1, tag FROM customer_tags \
             WHERE customer_id = ?2 ON CONFLICT DO NOTHING",
            // A survivor nobody owned takes the merged customer's owner.
            "UPDATE customers SET (owner_user_id, owner_since) = \
             (SELECT owner_user_id, owner_since FROM customers WHERE id = ?2) \
             WHERE id = ?1 AND owner_user_id IS NULL",
            // Path compression: everything that pointed at `from` now points at the survivor.
            "UPDATE customers SET merged_into = ?1 WHERE merged_into = ?2",
        ] {
            self.run(sql, params![into, from])?;
        }
        self.run("DELETE FROM customer_tags WHERE customer_id = ?1", [from])?;
        let both = self.traits_of(&[merge.from, merge.into])?;
        let merged = merged_traits(&both, merge.from, merge.into);
        self.write_traits(&[(merge.into, merged)], at)?;
        self.run(
            "UPDATE customers SET merged_into = ?1, updated_at = ?2 WHERE id = ?3",
            params![into, at, from],
        )?;
        self.run(
            "INSERT INTO merges (from_id, into_id, reason, at) VALUES (?1, ?2, ?3, ?4)",
            params![from, into, merge.reason, at],
        )?;
        Ok(())
    }
}
