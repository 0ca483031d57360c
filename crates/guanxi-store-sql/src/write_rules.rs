//! Rules both native write paths (`sqlite_write`, `postgres_write`) apply, in one place so the
//! backends cannot drift apart.

use guanxi_domain::CustomerId;
use guanxi_store::{ProductRow, Traits};
use std::collections::HashSet;

/// The traits a merge leaves on the survivor: its own values win; the merged-away customer
/// fills what it lacks. `stored` holds the traits of either, as read.
pub(crate) fn merged_traits(
    stored: &[(CustomerId, Traits)],
    from: CustomerId,
    into: CustomerId,
) -> Traits {
    let mut merged = Traits::new();
    for id in [from, into] {
        for (_, traits) in stored.iter().filter(|(owner, _)| *owner == id) {
            merged.extend(traits.clone());
        }
    }
    merged
}

/// One row per SKU, the last one listed (a batch names a SKU once per order line; the latest
/// wins, and PostgreSQL refuses to update one row twice in one INSERT), in listed order.
pub(crate) fn last_per_sku(products: &[ProductRow]) -> Vec<&ProductRow> {
    let mut seen = HashSet::new();
    let mut last: Vec<&ProductRow> = products
        .iter()
        .rev()
        .filter(|p| seen.insert(p.sku.as_str()))
        .collect();
    last.reverse();
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn traits(v: serde_json::Value) -> Traits {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_survivor_wins_and_the_merged_fills_gaps() {
        let stored = vec![
            (CustomerId(2), traits(json!({"name": "Annie", "vip": true}))),
            (
                CustomerId(1),
                traits(json!({"name": "Ann", "city": "Hangzhou"})),
            ),
        ];
        assert_eq!(
            merged_traits(&stored, CustomerId(2), CustomerId(1)),
            traits(json!({"name": "Ann", "city": "Hangzhou", "vip": true}))
        );
    }

    #[test]
    fn the_last_mention_of_a_sku_wins() {
        let product = |sku: &str, name: &str| ProductRow {
            sku: sku.into(),
            name: name.into(),
            category: None,
            price: None,
            currency: "CNY".into(),
        };
        let listed = [product("A", "old"), product("B", "b"), product("A", "new")];
        let names: Vec<&str> = last_per_sku(&listed)
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["b", "new"]);
    }
}
