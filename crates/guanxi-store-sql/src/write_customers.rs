//! Creating customers and merging one into another inside a write transaction.

use crate::backend::{Backend, map_err};
use crate::rows::get;
use crate::sql::{self, CHUNK};
use crate::write::SqlWriteTx;
use guanxi_domain::resolution::MergeDecision;
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{StoreResult, Traits, WriteTx};

impl SqlWriteTx {
    pub(crate) async fn insert_customers(
        &mut self,
        count: usize,
        at: Millis,
    ) -> StoreResult<Vec<CustomerId>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        // Ids are allocated before the insert so one multi-row statement creates them all.
        let ids: Vec<i64> = match self.backend {
            Backend::Sqlite => {
                // Safe: this transaction holds SQLite's only write lock.
                let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS top FROM customers")
                    .fetch_one(&mut *self.tx)
                    .await
                    .map_err(map_err)?;
                let top: i64 = get(&row, "top")?;
                (1..=count as i64).map(|i| top + i).collect()
            }
            Backend::Postgres => {
                let rows = sqlx::query(
                    "SELECT nextval(pg_get_serial_sequence('customers', 'id')) AS id FROM generate_series(1, $1)",
                )
                .bind(count as i64)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| get::<i64>(r, "id"))
                    .collect::<StoreResult<_>>()?
            }
        };
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO customers (id, created_at, updated_at) VALUES {}",
                sql::values(self.placeholders(), chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id).bind(at).bind(at);
            }
            self.execute(q).await?;
        }
        Ok(ids.into_iter().map(CustomerId).collect())
    }

    pub(crate) async fn merge_customers(
        &mut self,
        merge: &MergeDecision,
        at: Millis,
    ) -> StoreResult<()> {
        let (from, into) = (merge.from.0, merge.into.0);
        for sql in [
            "UPDATE identities SET customer_id = $1 WHERE customer_id = $2",
            "UPDATE events SET customer_id = $1 WHERE customer_id = $2",
            "UPDATE orders SET customer_id = $1 WHERE customer_id = $2",
            "INSERT INTO customer_tags (customer_id, tag) SELECT $1, tag FROM customer_tags WHERE customer_id = $2 ON CONFLICT DO NOTHING",
            // Path compression: everything that pointed at `from` now points at the survivor.
            "UPDATE customers SET merged_into = $1 WHERE merged_into = $2",
        ] {
            self.execute(sqlx::query(sql).bind(into).bind(from)).await?;
        }
        self.execute(sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1").bind(from))
            .await?;
        // Traits: the survivor's values win; the merged customer fills what the survivor lacks.
        let both = self.customer_traits(&[merge.from, merge.into]).await?;
        let mut merged = Traits::new();
        for id in [merge.from, merge.into] {
            for (_, traits) in both.iter().filter(|(owner, _)| *owner == id) {
                merged.extend(traits.clone());
            }
        }
        self.set_traits(&[(merge.into, merged)], at).await?;
        self.execute(
            sqlx::query("UPDATE customers SET merged_into = $1, updated_at = $2 WHERE id = $3")
                .bind(into)
                .bind(at)
                .bind(from),
        )
        .await?;
        self.execute(
            sqlx::query(
                "INSERT INTO merges (from_id, into_id, reason, at) VALUES ($1, $2, $3, $4)",
            )
            .bind(from)
            .bind(into)
            .bind(merge.reason.clone())
            .bind(at),
        )
        .await?;
        Ok(())
    }
}
