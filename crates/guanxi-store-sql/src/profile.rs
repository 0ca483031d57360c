//! The customer 360 in as few round trips as the backends allow: each query is a hop to a
//! database thread (SQLite) or server (PostgreSQL), and hops, not SQL, dominate a profile read.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{customer_id, get, identity, traits};
use guanxi_domain::CustomerId;
use guanxi_store::{
    CustomerProfile, CustomerRecord, CustomerStats, MergeRecord, StoreError, StoreResult,
};

/// A customer's order statistics in one currency: paid orders less refunds; pending, cancelled
/// and closed orders never count, fully refunded ones count as orders with nothing spent.
pub(crate) const STATS_SELECT: &str = "SELECT COUNT(*) AS n, \
     CAST(COALESCE(SUM(CASE WHEN status = 'refunded' THEN 0 WHEN total_minor > refunded_minor \
     THEN total_minor - refunded_minor ELSE 0 END), 0) AS BIGINT) AS spent, \
     MIN(created_at) AS first_at, MAX(created_at) AS last_at FROM orders \
     WHERE customer_id = $1 AND currency = $2 \
     AND status IN ('paid', 'shipped', 'completed', 'refunded', 'partially_refunded')";

const NO_TEXT: &str = "CAST(NULL AS TEXT)";
const NO_NUMBER: &str = "CAST(NULL AS BIGINT)";

/// The whole 360 as one result: the customer with its statistics (part 0), identities (1),
/// tags (2) and merges (3). Columns: part, two texts, seven numbers.
fn profile_select() -> String {
    let nothing = |n: usize| vec![NO_NUMBER; n].join(", ");
    format!(
        "SELECT CAST(0 AS BIGINT) AS part, c.traits AS a, {NO_TEXT} AS b, c.created_at AS n1, \
                c.updated_at AS n2, c.merged_into AS n3, s.n AS n4, s.spent AS n5, s.first_at AS n6, \
                s.last_at AS n7 \
           FROM customers c, ({STATS_SELECT}) s WHERE c.id = $1 \
         UNION ALL SELECT CAST(1 AS BIGINT), kind, value, created_at, {six} \
           FROM identities WHERE customer_id = $1 \
         UNION ALL SELECT CAST(2 AS BIGINT), tag, {NO_TEXT}, {seven} \
           FROM customer_tags WHERE customer_id = $1 \
         UNION ALL SELECT CAST(3 AS BIGINT), reason, {NO_TEXT}, from_id, into_id, at, {four} \
           FROM merges WHERE into_id = $1 OR from_id = $1 \
             OR from_id IN (SELECT id FROM customers WHERE merged_into = $1)",
        six = nothing(6),
        seven = nothing(7),
        four = nothing(4),
    )
}

impl SqlStore {
    pub(crate) async fn read_profile(
        &self,
        id: CustomerId,
        currency: &str,
    ) -> StoreResult<CustomerProfile> {
        let sql = profile_select();
        let mut id = id;
        // A merged-away id points straight at its survivor (paths are compressed): one more hop.
        let rows = loop {
            let rows = sqlx::query(&sql)
                .bind(id.0)
                .bind(currency.to_owned())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
            let mut survivor = None;
            for r in rows
                .iter()
                .filter(|r| matches!(get::<i64>(r, "part"), Ok(0)))
            {
                survivor = get::<Option<i64>>(r, "n3")?.filter(|s| *s != id.0);
            }
            match survivor {
                Some(s) => id = CustomerId(s),
                None => break rows,
            }
        };
        let mut found = None;
        let mut identities = Vec::new();
        let mut tags = Vec::new();
        let mut merges = Vec::new();
        for r in &rows {
            match get::<i64>(r, "part")? {
                0 => {
                    let record = CustomerRecord {
                        id,
                        created_at: get(r, "n1")?,
                        updated_at: get(r, "n2")?,
                        traits: traits(&get::<String>(r, "a")?)?,
                    };
                    let stats = CustomerStats {
                        orders_count: get(r, "n4")?,
                        total_spent: get(r, "n5")?,
                        first_order_at: get(r, "n6")?,
                        last_order_at: get(r, "n7")?,
                    };
                    found = Some((record, stats));
                }
                1 => identities.push((
                    get::<i64>(r, "n1")?,
                    identity(&get::<String>(r, "a")?, &get::<String>(r, "b")?)?,
                )),
                2 => tags.push(get::<String>(r, "a")?),
                _ => merges.push(MergeRecord {
                    from: customer_id(r, "n1")?,
                    into: customer_id(r, "n2")?,
                    reason: get(r, "a")?,
                    at: get(r, "n3")?,
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
}
