//! The customer 360 in one query per read: hops to a database thread (SQLite) or server
//! (PostgreSQL), not SQL, dominate a profile read. On SQLite it runs natively on a reader
//! connection (`sqlite_read`): one hop for the whole read instead of one per row.

use crate::SqlStore;
use crate::backend::map_err;
use crate::order_rules::{counted_order, order_value};
use crate::rows::get;
use crate::sealed::{open_identity, open_traits};
use crate::vault::Vault;
use guanxi_domain::CustomerId;
use guanxi_store::{
    CustomerProfile, CustomerRecord, CustomerStats, MergeRecord, StoreError, StoreResult,
};
use std::sync::LazyLock;

/// A customer's order statistics in one currency: the orders that count and what they brought
/// in; fully refunded ones count as orders with nothing spent.
pub(crate) const STATS_SELECT: &str = concat!(
    "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(",
    order_value!(),
    "), 0) AS BIGINT) AS spent, MIN(o.created_at) AS first_at, MAX(o.created_at) AS last_at \
     FROM orders o WHERE o.customer_id = $1 AND o.currency = $2 AND ",
    counted_order!()
);

const NO_TEXT: &str = "CAST(NULL AS TEXT)";
const NO_NUMBER: &str = "CAST(NULL AS BIGINT)";

/// The whole 360 as one result: the customer with its statistics (part 0), identities (1),
/// tags (2) and merges (3). Columns: part, two texts, seven numbers. An identity's second text
/// is its sealed value where it has one (its second number says so).
static PROFILE_SELECT: LazyLock<String> = LazyLock::new(profile_select);

fn profile_select() -> String {
    let nothing = |n: usize| vec![NO_NUMBER; n].join(", ");
    format!(
        "SELECT CAST(0 AS BIGINT) AS part, c.traits AS a, {NO_TEXT} AS b, c.created_at AS n1, \
                c.updated_at AS n2, c.merged_into AS n3, s.n AS n4, s.spent AS n5, s.first_at AS n6, \
                s.last_at AS n7 \
           FROM customers c, ({STATS_SELECT}) s WHERE c.id = $1 \
         UNION ALL SELECT CAST(1 AS BIGINT), kind, COALESCE(sealed_value, value), created_at, \
                CASE WHEN sealed_value IS NULL THEN 0 ELSE 1 END, {five} \
           FROM identities WHERE customer_id = $1 \
         UNION ALL SELECT CAST(2 AS BIGINT), tag, {NO_TEXT}, {seven} \
           FROM customer_tags WHERE customer_id = $1 \
         UNION ALL SELECT CAST(3 AS BIGINT), reason, {NO_TEXT}, from_id, into_id, at, {four} \
           FROM merges WHERE into_id = $1 OR from_id = $1 \
             OR from_id IN (SELECT id FROM customers WHERE merged_into = $1)",
        five = nothing(5),
        seven = nothing(7),
        four = nothing(4),
    )
}

/// One row of the 360 query, whichever driver read it.
pub(crate) struct ProfileRow {
    part: i64,
    a: Option<String>,
    b: Option<String>,
    n: [Option<i64>; 7],
}

impl ProfileRow {
    fn from_any(r: &sqlx::any::AnyRow) -> StoreResult<Self> {
        let mut n = [None; 7];
        for (i, slot) in n.iter_mut().enumerate() {
            *slot = get(r, &format!("n{}", i + 1))?;
        }
        Ok(Self {
            part: get(r, "part")?,
            a: get(r, "a")?,
            b: get(r, "b")?,
            n,
        })
    }

    fn from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let mut n = [None; 7];
        for (i, slot) in n.iter_mut().enumerate() {
            *slot = r.get(3 + i)?;
        }
        Ok(Self {
            part: r.get(0)?,
            a: r.get(1)?,
            b: r.get(2)?,
            n,
        })
    }

    fn number(&self, i: usize) -> StoreResult<i64> {
        self.n[i - 1].ok_or_else(unexpected_null)
    }

    fn a(&self) -> StoreResult<&str> {
        self.a.as_deref().ok_or_else(unexpected_null)
    }

    fn b(&self) -> StoreResult<&str> {
        self.b.as_deref().ok_or_else(unexpected_null)
    }
}

fn unexpected_null() -> StoreError {
    StoreError::other("a 360 column is unexpectedly NULL")
}

/// The survivor a merged-away id points at, if the rows are those of a merged-away customer.
/// Paths are compressed, so one more read always reaches it.
fn survivor(rows: &[ProfileRow], id: CustomerId) -> Option<CustomerId> {
    rows.iter()
        .filter(|r| r.part == 0)
        .find_map(|r| r.n[2].filter(|s| *s != id.0))
        .map(CustomerId)
}

fn assemble(vault: &Vault, id: CustomerId, rows: &[ProfileRow]) -> StoreResult<CustomerProfile> {
    let mut found = None;
    let mut identities = Vec::new();
    let mut tags = Vec::new();
    let mut merges = Vec::new();
    for r in rows {
        match r.part {
            0 => {
                let record = CustomerRecord {
                    id,
                    created_at: r.number(1)?,
                    updated_at: r.number(2)?,
                    traits: open_traits(vault, r.a()?)?,
                };
                let stats = CustomerStats {
                    orders_count: r.number(4)?,
                    total_spent: r.number(5)?,
                    first_order_at: r.n[5],
                    last_order_at: r.n[6],
                };
                found = Some((record, stats));
            }
            1 => {
                let sealed = (r.number(2)? == 1).then_some(r.b()?);
                let key = open_identity(vault, r.a()?, r.b()?, sealed)?;
                identities.push((r.number(1)?, key));
            }
            2 => tags.push(r.a()?.to_owned()),
            _ => merges.push(MergeRecord {
                from: CustomerId(r.number(1)?),
                into: CustomerId(r.number(2)?),
                reason: r.a()?.to_owned(),
                at: r.number(3)?,
            }),
        }
    }
    let (record, stats) = found.ok_or(StoreError::NotFound("customer"))?;
    identities.sort_by(|(a_at, a), (b_at, b)| {
        (a_at, a.kind().name(), a.value()).cmp(&(b_at, b.kind().name(), b.value()))
    });
    tags.sort();
    merges.sort_by_key(|m| (m.at, m.from, m.into));
    Ok(CustomerProfile {
        record,
        stats,
        identities: identities.into_iter().map(|(_, key)| key).collect(),
        tags,
        merges,
    })
}

impl SqlStore {
    pub(crate) async fn read_profile(
        &self,
        id: CustomerId,
        currency: &str,
    ) -> StoreResult<CustomerProfile> {
        let mut id = id;
        loop {
            let rows = match &self.readers {
                Some(readers) => {
                    let currency = currency.to_owned();
                    readers
                        .read(move |conn| {
                            let mut stmt = conn.prepare_cached(&PROFILE_SELECT)?;
                            let rows = stmt.query_map(
                                rusqlite::named_params! { "$1": id.0, "$2": currency },
                                ProfileRow::from_sqlite,
                            )?;
                            rows.collect::<rusqlite::Result<Vec<_>>>()
                        })
                        .await?
                }
                None => sqlx::query(PROFILE_SELECT.as_str())
                    .bind(id.0)
                    .bind(currency.to_owned())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?
                    .iter()
                    .map(ProfileRow::from_any)
                    .collect::<StoreResult<Vec<_>>>()?,
            };
            match survivor(&rows, id) {
                Some(s) => id = s,
                None => return assemble(&self.vault, id, &rows),
            }
        }
    }
}
