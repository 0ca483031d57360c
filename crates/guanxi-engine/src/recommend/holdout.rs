//! How good the recommendations are, measured the usual way: hide each repeat customer's last
//! order, train on everything else, and count the customers for whom a product of that order
//! (one they had not bought before) is among the top `k` offered; the same for best sellers.

use super::Builder;
use serde::Serialize;
use std::collections::HashMap;

/// One order line: who, which order, when (any sortable instant or day), what.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub customer: String,
    pub order: String,
    pub at: i64,
    pub sku: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HitRate {
    pub hits: usize,
    pub hit_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Holdout {
    pub customers: usize,
    /// Repeat customers whose last order held something new to them.
    pub evaluated: usize,
    pub k: usize,
    pub products: usize,
    pub item_to_item: HitRate,
    pub popularity: HitRate,
    /// item_to_item / popularity.
    pub lift: f64,
}

struct History {
    /// Orders as (at, order id, products), oldest first.
    orders: Vec<(i64, String, Vec<String>)>,
}

pub fn evaluate(lines: &[Line], k: usize) -> Holdout {
    let mut customers: HashMap<&str, History> = HashMap::new();
    for l in lines {
        let h = customers
            .entry(&l.customer)
            .or_insert(History { orders: Vec::new() });
        match h.orders.iter_mut().find(|(_, id, _)| *id == l.order) {
            Some((_, _, items)) => items.push(l.sku.clone()),
            None => h.orders.push((l.at, l.order.clone(), vec![l.sku.clone()])),
        }
    }
    let mut builder = Builder::default();
    // (products owned before the last order, most recent first; new products of the last one)
    let mut tests: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    let mut names: Vec<&&str> = customers.keys().collect();
    names.sort();
    for name in names {
        let h = &customers[*name];
        let mut orders: Vec<&(i64, String, Vec<String>)> = h.orders.iter().collect();
        orders.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let (train, held) = match orders.len() {
            0 => continue,
            1 => (&orders[..], None),
            n => (&orders[..n - 1], Some(orders[n - 1])),
        };
        let mut owned: Vec<String> = Vec::new();
        for order in train.iter().rev() {
            for sku in &order.2 {
                if !owned.contains(sku) {
                    owned.push(sku.clone());
                }
            }
        }
        let owned_refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        builder.add_customer(&owned_refs, &[]);
        if let Some(held) = held {
            let new: Vec<String> = held
                .2
                .iter()
                .filter(|s| !owned.contains(s))
                .cloned()
                .collect();
            if !new.is_empty() {
                tests.push((owned, new));
            }
        }
    }
    let model = builder.build();
    let (mut model_hits, mut popular_hits) = (0, 0);
    for (owned, new) in &tests {
        let owned: Vec<&str> = owned.iter().map(String::as_str).collect();
        let hit = |recs: Vec<super::Recommendation>| recs.iter().any(|r| new.contains(&r.sku));
        model_hits += usize::from(hit(model.recommend(&owned, k)));
        popular_hits += usize::from(hit(model.popular(&owned, k)));
    }
    let rate = |hits: usize| match tests.len() {
        0 => 0.0,
        n => hits as f64 / n as f64,
    };
    Holdout {
        customers: customers.len(),
        evaluated: tests.len(),
        k,
        products: model.products(),
        item_to_item: HitRate {
            hits: model_hits,
            hit_rate: rate(model_hits),
        },
        popularity: HitRate {
            hits: popular_hits,
            hit_rate: rate(popular_hits),
        },
        lift: match popular_hits {
            0 => 0.0,
            p => model_hits as f64 / p as f64,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(customer: &str, order: &str, at: i64, sku: &str) -> Line {
        Line {
            customer: customer.to_owned(),
            order: order.to_owned(),
            at,
            sku: sku.to_owned(),
        }
    }

    #[test]
    fn the_last_order_is_held_out_and_only_new_products_count() {
        let mut lines = Vec::new();
        // Tea drinkers come back for cups; the best seller is a bag nobody needs twice.
        for c in 0..20 {
            let c = format!("t{c}");
            lines.push(line(&c, &format!("{c}-1"), 1, "tea"));
            lines.push(line(&c, &format!("{c}-2"), 2, "cup"));
        }
        for c in 0..40 {
            lines.push(line(&format!("b{c}"), &format!("b{c}-1"), 1, "bag"));
        }
        // Someone who only bought tea again: nothing new to find.
        lines.push(line("again", "a-1", 1, "tea"));
        lines.push(line("again", "a-2", 2, "tea"));
        let result = evaluate(&lines, 1);
        assert_eq!(result.customers, 61);
        assert_eq!(result.evaluated, 20, "{result:?}");
        assert_eq!(
            result.popularity.hits, 0,
            "bags are not what tea drinkers come back for"
        );
        assert_eq!(
            result.item_to_item.hits, 0,
            "the cups were held out of training"
        );
        // With a few cup buyers kept in training, the model finds them.
        lines.push(line("x", "x-1", 1, "tea"));
        lines.push(line("x", "x-1", 1, "cup"));
        let result = evaluate(&lines, 1);
        assert_eq!(result.item_to_item.hits, 20, "{result:?}");
        assert!(result.lift == 0.0 || result.lift > 1.0);
    }
}
