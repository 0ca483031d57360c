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

/// Identities (part 0), tags (1) and merges (2) of one customer, in one result.
const PARTS_SELECT: &str = "\
    SELECT CAST(0 AS BIGINT) AS part, kind AS a, value AS b, created_at AS n1, \
           CAST(NULL AS BIGINT) AS n2, CAST(NULL AS BIGINT) AS n3 \
      FROM identities WHERE customer_id = $1 \
    UNION ALL \
    SELECT CAST(1 AS BIGINT), tag, CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), \
           CAST(NULL AS BIGINT) \
      FROM customer_tags WHERE customer_id = $1 \
    UNION ALL \
    SELECT CAST(2 AS BIGINT), reason, CAST(NULL AS TEXT), from_id, into_id, at \
      FROM merges WHERE into_id = $1 OR from_id = $1 \
        OR from_id IN (SELECT id FROM customers WHERE merged_into = $1)";

impl SqlStore {
    pub(crate) async fn read_profile(
        &self,
        id: CustomerId,
        currency: &str,
    ) -> StoreResult<CustomerProfile> {
        let sql = format!(
            "SELECT c.id, c.created_at, c.updated_at, c.merged_into, c.traits, s.n, s.spent, s.first_at, s.last_at \
             FROM customers c, ({STATS_SELECT}) s WHERE c.id = $1"
        );
        let mut id = id;
        // A merged-away id points straight at its survivor (paths are compressed): one more hop.
        let row = loop {
            let row = sqlx::query(&sql)
                .bind(id.0)
                .bind(currency.to_owned())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?
                .ok_or(StoreError::NotFound("customer"))?;
            match get::<Option<i64>>(&row, "merged_into")? {
                Some(survivor) if survivor != id.0 => id = CustomerId(survivor),
                _ => break row,
            }
        };
        let record = CustomerRecord {
            id: customer_id(&row, "id")?,
            created_at: get(&row, "created_at")?,
            updated_at: get(&row, "updated_at")?,
            traits: traits(&get::<String>(&row, "traits")?)?,
        };
        let stats = CustomerStats {
            orders_count: get(&row, "n")?,
            total_spent: get(&row, "spent")?,
            first_order_at: get(&row, "first_at")?,
            last_order_at: get(&row, "last_at")?,
        };
        let rows = sqlx::query(PARTS_SELECT)
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let mut identities = Vec::new();
        let mut tags = Vec::new();
        let mut merges = Vec::new();
        for r in &rows {
            match get::<i64>(r, "part")? {
                0 => identities.push((
                    get::<i64>(r, "n1")?,
                    identity(&get::<String>(r, "a")?, &get::<String>(r, "b")?)?,
                )),
                1 => tags.push(get::<String>(r, "a")?),
                _ => merges.push(MergeRecord {
                    from: customer_id(r, "n1")?,
                    into: customer_id(r, "n2")?,
                    reason: get(r, "a")?,
                    at: get(r, "n3")?,
                }),
            }
        }
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
