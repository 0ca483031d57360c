//! Recommendations, item to item: products bought (or viewed) by the same customers are
//! neighbours, scored by cosine similarity of who bought them; a customer is offered the
//! neighbours of what they bought, best first, then the shop's most popular products, never
//! what they already bought.

pub mod holdout;

use serde::Serialize;
use std::collections::HashMap;

/// Neighbours kept per product.
const NEIGHBOURS: usize = 30;
/// Products of one customer that count, the most recent first: a wholesaler's thousand SKUs
/// would otherwise make everything everyone's neighbour (and cost a million pairs).
const MAX_ITEMS_PER_CUSTOMER: usize = 50;
/// A view counts this much of a purchase.
const VIEW_WEIGHT: f32 = 0.3;

/// Why a product is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Customers who bought what this customer bought also bought it.
    AlsoBought,
    /// Customers who looked at what this customer bought also looked at it.
    AlsoViewed,
    /// Among the shop's best sellers.
    Popular,
}

impl Reason {
    pub const ALL: [Reason; 3] = [Reason::AlsoBought, Reason::AlsoViewed, Reason::Popular];

    /// `also_bought`, …: the key in APIs and the catalogue.
    pub fn key(self) -> &'static str {
        match self {
            Reason::AlsoBought => "also_bought",
            Reason::AlsoViewed => "also_viewed",
            Reason::Popular => "popular",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub sku: String,
    pub score: f32,
    pub reason: Reason,
    /// The product of theirs that led to it (not for popular ones).
    pub because: Option<String>,
}

/// Collects what customers bought and viewed, then builds the model.
#[derive(Debug, Default)]
pub struct Builder {
    ids: HashMap<String, u32>,
    names: Vec<String>,
    /// Per product: customers who bought it (weighted with views).
    reach: Vec<f32>,
    /// Per product: customers who bought it.
    buyers: Vec<u32>,
    /// Per pair (low id, high id): (bought together, viewed together) weights.
    pairs: HashMap<(u32, u32), (f32, f32)>,
}

impl Builder {
    fn id(&mut self, sku: &str) -> u32 {
        if let Some(id) = self.ids.get(sku) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(sku.to_owned(), id);
        self.names.push(sku.to_owned());
        self.reach.push(0.0);
        self.buyers.push(0);
        id
    }

    /// One customer's products: bought (most recent first) and viewed but not bought.
    pub fn add_customer(&mut self, bought: &[&str], viewed: &[&str]) {
        let mut items: Vec<(u32, f32)> = Vec::new();
        for sku in bought.iter().take(MAX_ITEMS_PER_CUSTOMER) {
            let id = self.id(sku);
            if !items.iter().any(|(i, _)| *i == id) {
                items.push((id, 1.0));
            }
        }
        let room = MAX_ITEMS_PER_CUSTOMER.saturating_sub(items.len());
        for sku in viewed.iter().take(room) {
            let id = self.id(sku);
            if !items.iter().any(|(i, _)| *i == id) {
                items.push((id, VIEW_WEIGHT));
            }
        }
        for (id, weight) in &items {
            self.reach[*id as usize] += weight;
            if *weight == 1.0 {
                self.buyers[*id as usize] += 1;
            }
        }
        for (a, (i, wi)) in items.iter().enumerate() {
            for (j, wj) in &items[a + 1..] {
                let key = if i < j { (*i, *j) } else { (*j, *i) };
                let entry = self.pairs.entry(key).or_insert((0.0, 0.0));
                if *wi == 1.0 && *wj == 1.0 {
                    entry.0 += 1.0;
                } else {
                    entry.1 += wi.min(*wj);
                }
            }
        }
    }

    pub fn build(self) -> Recommender {
        let n = self.names.len();
        let mut neighbours: Vec<Vec<(u32, f32, Reason)>> = vec![Vec::new(); n];
        for ((i, j), (bought, viewed)) in &self.pairs {
            let together = bought + viewed;
            let norm = (self.reach[*i as usize] * self.reach[*j as usize]).sqrt();
            if norm <= 0.0 {
                continue;
            }
            let score = together / norm;
            let reason = if *bought > 0.0 {
                Reason::AlsoBought
            } else {
                Reason::AlsoViewed
            };
            neighbours[*i as usize].push((*j, score, reason));
            neighbours[*j as usize].push((*i, score, reason));
        }
        for list in &mut neighbours {
            list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            list.truncate(NEIGHBOURS);
        }
        let mut popular: Vec<u32> = (0..n as u32)
            .filter(|i| self.buyers[*i as usize] > 0)
            .collect();
        popular.sort_by(|a, b| {
            self.buyers[*b as usize]
                .cmp(&self.buyers[*a as usize])
                .then(a.cmp(b))
        });
        popular.truncate(1_000);
        Recommender {
            ids: self.ids,
            names: self.names,
            neighbours,
            popular,
            buyers: self.buyers,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Recommender {
    ids: HashMap<String, u32>,
    names: Vec<String>,
    neighbours: Vec<Vec<(u32, f32, Reason)>>,
    /// Best sellers, most bought first.
    popular: Vec<u32>,
    buyers: Vec<u32>,
}

impl Recommender {
    pub fn products(&self) -> usize {
        self.names.len()
    }

    /// Up to `k` products for a customer who bought `owned` (most recent first), never one of
    /// those: neighbours first, then best sellers.
    pub fn recommend(&self, owned: &[&str], k: usize) -> Vec<Recommendation> {
        let owned_ids: Vec<u32> = owned
            .iter()
            .filter_map(|s| self.ids.get(*s).copied())
            .collect();
        let mut scores: HashMap<u32, (f32, Reason, u32)> = HashMap::new();
        for source in &owned_ids {
            for (candidate, score, reason) in &self.neighbours[*source as usize] {
                if owned_ids.contains(candidate) {
                    continue;
                }
                let entry = scores.entry(*candidate).or_insert((0.0, *reason, *source));
                // The strongest single link explains it.
                if *score > entry.0 {
                    entry.1 = *reason;
                    entry.2 = *source;
                }
                entry.0 += score;
            }
        }
        let mut ranked: Vec<(u32, (f32, Reason, u32))> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.0.cmp(&b.0)));
        let mut out: Vec<Recommendation> = ranked
            .into_iter()
            .take(k)
            .map(|(id, (score, reason, because))| Recommendation {
                sku: self.names[id as usize].clone(),
                score,
                reason,
                because: Some(self.names[because as usize].clone()),
            })
            .collect();
        if out.len() < k {
            let taken: Vec<String> = out.iter().map(|r| r.sku.clone()).collect();
            out.extend(self.popular_except(&owned_ids, k - out.len(), &taken));
        }
        out
    }

    /// The best sellers a customer who bought `owned` does not have: the baseline.
    pub fn popular(&self, owned: &[&str], k: usize) -> Vec<Recommendation> {
        let owned_ids: Vec<u32> = owned
            .iter()
            .filter_map(|s| self.ids.get(*s).copied())
            .collect();
        self.popular_except(&owned_ids, k, &[])
    }

    fn popular_except(&self, owned: &[u32], k: usize, taken: &[String]) -> Vec<Recommendation> {
        let best = self
            .popular
            .first()
            .map_or(1, |i| self.buyers[*i as usize])
            .max(1) as f32;
        self.popular
            .iter()
            .filter(|id| !owned.contains(id) && !taken.contains(&self.names[**id as usize]))
            .take(k)
            .map(|id| Recommendation {
                sku: self.names[*id as usize].clone(),
                score: self.buyers[*id as usize] as f32 / best,
                reason: Reason::Popular,
                because: None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_come_first_then_best_sellers_and_never_what_was_bought() {
        let mut b = Builder::default();
        // Tea drinkers buy cups; everyone buys bags.
        for _ in 0..5 {
            b.add_customer(&["tea", "cup", "bag"], &[]);
        }
        for _ in 0..10 {
            b.add_customer(&["bag"], &[]);
        }
        b.add_customer(&["scarf"], &["silk-scarf"]);
        b.add_customer(&["silk-scarf"], &["scarf"]);
        let model = b.build();
        let recs = model.recommend(&["tea"], 3);
        let skus: Vec<&str> = recs.iter().map(|r| r.sku.as_str()).collect();
        assert_eq!(skus[..2], ["cup", "bag"], "{recs:?}");
        assert_eq!(recs[0].reason, Reason::AlsoBought);
        assert_eq!(recs[0].because.as_deref(), Some("tea"));
        assert!(!skus.contains(&"tea"), "never what they own");
        assert_eq!(recs.len(), 3, "filled up with best sellers");
        let popular = model.popular(&["bag"], 2);
        assert_eq!(popular[0].sku, "tea", "bag is owned: {popular:?}");
        assert_eq!(popular[0].reason, Reason::Popular);
        let nobody = model.recommend(&[], 1);
        assert_eq!(nobody[0].sku, "bag", "a stranger gets the best seller");
        let looked = model.recommend(&["scarf"], 1);
        assert_eq!(looked[0].sku, "silk-scarf");
        assert_eq!(looked[0].reason, Reason::AlsoViewed);
    }
}
