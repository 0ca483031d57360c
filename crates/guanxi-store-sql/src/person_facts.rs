//! What the engine reads of customers besides orders: who survives, the kinds of identifiers
//! they hold and their tags. Read in windows of ids for a build, by id for a change.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::get;
use crate::sql::{self, Placeholders};
use guanxi_domain::CustomerId;
use guanxi_store::{PersonFact, StoreResult};
use std::collections::BTreeMap;

/// Which customers a read covers: an id window, or a list.
pub(crate) enum Which<'a> {
    Between(CustomerId, CustomerId),
    Of(&'a [CustomerId]),
}

impl Which<'_> {
    /// The condition on `column` and its values.
    pub(crate) fn condition(&self, column: &str) -> (String, Vec<i64>) {
        match self {
            Which::Between(after, up_to) => (
                format!("{column} > $1 AND {column} <= $2"),
                vec![after.0, up_to.0],
            ),
            Which::Of(ids) => (
                format!(
                    "{column} IN ({})",
                    sql::list(Placeholders::Numbered { first: 1 }, ids.len())
                ),
                ids.iter().map(|c| c.0).collect(),
            ),
        }
    }
}

impl SqlStore {
    /// Rows of (customer id, text) for a query whose condition is `{}`.
    async fn pairs(
        &self,
        template: &str,
        which: &Which<'_>,
        column: &str,
    ) -> StoreResult<Vec<(i64, String)>> {
        let (condition, values) = which.condition(column);
        let sql = template.replace("{}", &condition);
        if let Some(readers) = &self.readers {
            // Numbered `$n` parameters bind by position on the native connection too.
            return readers
                .read(move |conn| {
                    let mut stmt = conn.prepare_cached(&sql)?;
                    let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                    rows.collect()
                })
                .await;
        }
        let mut q = sqlx::query(&sql);
        for v in &values {
            q = q.bind(*v);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((get(r, "a")?, get(r, "b")?)))
            .collect()
    }

    pub(crate) async fn trait_facts(
        &self,
        which: Which<'_>,
    ) -> StoreResult<Vec<(CustomerId, String)>> {
        if matches!(which, Which::Of(ids) if ids.is_empty()) {
            return Ok(Vec::new());
        }
        let rows = self
            .pairs(
                "SELECT id AS a, traits AS b FROM customers WHERE {} AND merged_into IS NULL \
                 ORDER BY id",
                &which,
                "id",
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, t)| (CustomerId(id), t))
            .collect())
    }

    pub(crate) async fn person_facts(&self, which: Which<'_>) -> StoreResult<Vec<PersonFact>> {
        if matches!(which, Which::Of(ids) if ids.is_empty()) {
            return Ok(Vec::new());
        }
        let live = self
            .pairs(
                "SELECT id AS a, '' AS b FROM customers WHERE {} AND merged_into IS NULL",
                &which,
                "id",
            )
            .await?;
        let mut people: BTreeMap<i64, PersonFact> = live
            .into_iter()
            .map(|(id, _)| {
                (
                    id,
                    PersonFact {
                        customer: CustomerId(id),
                        kinds: Vec::new(),
                        tags: Vec::new(),
                    },
                )
            })
            .collect();
        let kinds = self
            .pairs(
                "SELECT DISTINCT customer_id AS a, kind AS b FROM identities WHERE {}",
                &which,
                "customer_id",
            )
            .await?;
        for (id, kind) in kinds {
            if let Some(p) = people.get_mut(&id) {
                p.kinds.push(kind);
            }
        }
        let tags = self
            .pairs(
                "SELECT customer_id AS a, tag AS b FROM customer_tags WHERE {}",
                &which,
                "customer_id",
            )
            .await?;
        for (id, tag) in tags {
            if let Some(p) = people.get_mut(&id) {
                p.tags.push(tag);
            }
        }
        Ok(people.into_values().collect())
    }
}
