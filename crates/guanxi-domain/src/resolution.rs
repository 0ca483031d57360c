//! Identity resolution for one batch of messages, decided in memory before anything is written.
//!
//! The store loads who owns each identifier the batch mentions (identities always point at a
//! surviving customer) and which limited identifiers those customers hold. `IdentityGraph` then
//! decides, message by message, which customer each belongs to, which identifiers to attach and
//! which customers to merge. New customers get provisional (negative) ids; the store allocates
//! real ones for the survivors and `ResolutionPlan::resolve` maps every id to its final owner.

use crate::{CustomerId, IdentityKey, IdentityKind};
// Seeded fast hashing: these maps are rebuilt for every batch on the writer's critical path.
use foldhash::{HashMap, HashSet};

/// Why two customers became one: the kind of identifier that linked them (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeDecision {
    pub from: CustomerId,
    pub into: CustomerId,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct IdentityGraph {
    owner: HashMap<IdentityKey, CustomerId>,
    /// Values held per customer and limited kind, to enforce `IdentityKind::limit`.
    limited: HashMap<CustomerId, HashMap<IdentityKind, HashSet<String>>>,
    merged_into: HashMap<CustomerId, CustomerId>,
    provisional: i64,
    attaches: Vec<IdentityKey>,
    merges: Vec<MergeDecision>,
}

impl IdentityGraph {
    /// `owners`: stored owner of each identifier the batch mentions; `limited`: every limited-kind
    /// identifier held by those owners.
    pub fn new(
        owners: impl IntoIterator<Item = (IdentityKey, CustomerId)>,
        limited: impl IntoIterator<Item = (CustomerId, IdentityKey)>,
    ) -> Self {
        let mut graph = Self {
            owner: owners.into_iter().collect(),
            ..Self::default()
        };
        for (customer, key) in limited {
            graph.hold(customer, &key);
        }
        graph
    }

    fn hold(&mut self, customer: CustomerId, key: &IdentityKey) {
        if key.kind().limit().is_some() {
            self.limited
                .entry(customer)
                .or_default()
                .entry(key.kind().clone())
                .or_default()
                .insert(key.value().to_owned());
        }
    }

    /// The surviving customer for an id decided so far in this batch.
    pub fn canonical(&self, mut id: CustomerId) -> CustomerId {
        while let Some(next) = self.merged_into.get(&id) {
            id = *next;
        }
        id
    }

    fn owner_of(&self, key: &IdentityKey) -> Option<CustomerId> {
        self.owner.get(key).map(|c| self.canonical(*c))
    }

    /// Whether `customer` may also hold all of `keys` without exceeding a per-kind limit.
    fn fits(&self, customer: CustomerId, extra: &[(IdentityKind, &str)]) -> bool {
        let held = self.limited.get(&customer);
        let mut added: HashMap<&IdentityKind, HashSet<&str>> = HashMap::default();
        for (kind, value) in extra {
            if kind.limit().is_some() {
                added.entry(kind).or_default().insert(value);
            }
        }
        added.iter().all(|(kind, values)| {
            let current = held.and_then(|h| h.get(*kind));
            let new = values
                .iter()
                .filter(|v| current.is_none_or(|c| !c.contains(**v)))
                .count();
            let limit = kind.limit().unwrap_or(usize::MAX);
            current.map_or(0, HashSet::len) + new <= limit
        })
    }

    fn held_pairs(&self, customer: CustomerId) -> Vec<(IdentityKind, &str)> {
        self.limited
            .get(&customer)
            .into_iter()
            .flat_map(|kinds| {
                kinds.iter().flat_map(|(kind, values)| {
                    values.iter().map(move |v| (kind.clone(), v.as_str()))
                })
            })
            .collect()
    }

    /// Older customers survive; stored customers always survive provisional ones.
    fn survivor_order(a: CustomerId, b: CustomerId) -> (CustomerId, CustomerId) {
        let rank = |c: CustomerId| if c.0 > 0 { (0, c.0) } else { (1, -c.0) };
        if rank(a) <= rank(b) { (a, b) } else { (b, a) }
    }

    fn merge(&mut self, a: CustomerId, b: CustomerId, reason: String) -> CustomerId {
        let (into, from) = Self::survivor_order(a, b);
        self.merged_into.insert(from, into);
        if let Some(held) = self.limited.remove(&from) {
            let target = self.limited.entry(into).or_default();
            for (kind, values) in held {
                target.entry(kind).or_default().extend(values);
            }
        }
        if from.0 > 0 {
            self.merges.push(MergeDecision { from, into, reason });
        }
        into
    }

    fn attach(&mut self, key: &IdentityKey, customer: CustomerId) {
        self.owner.insert(key.clone(), customer);
        self.hold(customer, key);
        self.attaches.push(key.clone());
    }

    /// Decides which customer a message with these identifiers (highest priority first)
    /// belongs to. `force` (an explicit alias) links across per-kind limits; its first key is the
    /// new id, and the others — candidates for the previous id — only link customers that
    /// exist: they are never attached, so a guess never becomes an identity.
    pub fn resolve(&mut self, keys: &[IdentityKey], force: bool) -> CustomerId {
        let mut current: Option<CustomerId> = None;
        let mut unowned: Vec<&IdentityKey> = Vec::new();
        for key in keys {
            let Some(owner) = self.owner_of(key) else {
                if !unowned.contains(&key) {
                    unowned.push(key);
                }
                continue;
            };
            match current {
                None => {
                    let pending: Vec<_> = unowned
                        .iter()
                        .map(|k| (k.kind().clone(), k.value()))
                        .collect();
                    if force || self.fits(owner, &pending) {
                        current = Some(owner);
                    }
                }
                Some(c) if c == owner => {}
                Some(c) => {
                    let theirs = self.held_pairs(owner);
                    if force || self.fits(c, &theirs) {
                        let reason = if force {
                            "alias".to_owned()
                        } else {
                            format!("shared {}", key.kind().name())
                        };
                        current = Some(self.merge(c, owner, reason));
                    }
                }
            }
        }
        let customer = current.unwrap_or_else(|| {
            self.provisional -= 1;
            CustomerId(self.provisional)
        });
        for key in unowned {
            if force && Some(key) != keys.first() {
                continue;
            }
            if force || self.fits(customer, &[(key.kind().clone(), key.value())]) {
                self.attach(key, customer);
            }
        }
        customer
    }

    /// What the batch decided, with every id mapped to its survivor.
    pub fn finish(self) -> ResolutionPlan {
        let mut new_customers: Vec<CustomerId> = (1..=-self.provisional)
            .map(|n| CustomerId(-n))
            .filter(|c| !self.merged_into.contains_key(c))
            .collect();
        new_customers.sort_by_key(|c| -c.0);
        let attaches = self
            .attaches
            .iter()
            .map(|key| {
                let owner = self.owner_of(key).unwrap_or(CustomerId(0));
                (key.clone(), owner)
            })
            .collect();
        ResolutionPlan {
            new_customers,
            attaches,
            merges: self.merges,
            merged_into: self.merged_into,
            allocated: HashMap::default(),
        }
    }
}

/// The batch's decisions: customers to create, identifiers to attach, merges to record.
#[derive(Debug)]
pub struct ResolutionPlan {
    /// Provisional ids of the customers to create, in creation order.
    pub new_customers: Vec<CustomerId>,
    pub attaches: Vec<(IdentityKey, CustomerId)>,
    pub merges: Vec<MergeDecision>,
    merged_into: HashMap<CustomerId, CustomerId>,
    allocated: HashMap<CustomerId, CustomerId>,
}

impl ResolutionPlan {
    /// Gives the new customers their stored ids (same order as `new_customers`).
    pub fn allocate(&mut self, ids: &[CustomerId]) {
        self.allocated = self
            .new_customers
            .iter()
            .copied()
            .zip(ids.iter().copied())
            .collect();
    }

    /// The final stored id for any id the batch used.
    pub fn resolve(&self, mut id: CustomerId) -> CustomerId {
        while let Some(next) = self.merged_into.get(&id) {
            id = *next;
        }
        self.allocated.get(&id).copied().unwrap_or(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::DefaultRegion;

    fn key(kind: &str, value: &str) -> IdentityKey {
        IdentityKey::new(
            IdentityKind::parse(kind).expect("kind"),
            value,
            DefaultRegion::default(),
        )
        .expect("key")
    }

    #[test]
    fn unknown_identifiers_make_one_new_customer() {
        let mut g = IdentityGraph::default();
        let a = g.resolve(
            &[key("email", "a@x.cn"), key("anonymous_id", "anon-1")],
            false,
        );
        let b = g.resolve(&[key("anonymous_id", "anon-1")], false);
        assert_eq!(a, b);
        let mut plan = g.finish();
        assert_eq!(plan.new_customers, vec![a]);
        plan.allocate(&[CustomerId(7)]);
        assert_eq!(plan.resolve(a), CustomerId(7));
        assert_eq!(plan.attaches.len(), 2);
    }

    #[test]
    fn a_shared_identifier_merges_transitively_into_the_oldest() {
        let mut g = IdentityGraph::new(
            [
                (key("email", "a@x.cn"), CustomerId(1)),
                (key("phone", "13812345678"), CustomerId(2)),
                (key("taobao_buyer", "tb1"), CustomerId(3)),
            ],
            [],
        );
        let c = g.resolve(
            &[key("email", "a@x.cn"), key("phone", "13812345678")],
            false,
        );
        let d = g.resolve(
            &[key("taobao_buyer", "tb1"), key("phone", "13812345678")],
            false,
        );
        assert_eq!((c, d), (CustomerId(1), CustomerId(1)));
        let plan = g.finish();
        assert_eq!(plan.merges.len(), 2);
        assert_eq!(plan.merges[0].reason, "shared phone");
        assert_eq!(plan.resolve(CustomerId(3)), CustomerId(1));
    }

    #[test]
    fn limits_keep_two_accounts_sharing_an_email_apart() {
        let u1 = key("user_id:web", "u1");
        let mut g = IdentityGraph::new(
            [
                (u1.clone(), CustomerId(1)),
                (key("email", "family@x.cn"), CustomerId(1)),
            ],
            [(CustomerId(1), u1)],
        );
        let c = g.resolve(
            &[key("user_id:web", "u2"), key("email", "family@x.cn")],
            false,
        );
        assert!(c.0 < 0, "u2 becomes its own customer");
        let plan = g.finish();
        assert!(plan.merges.is_empty());
        assert_eq!(
            plan.attaches.len(),
            1,
            "the shared e-mail stays with its first owner"
        );
    }

    #[test]
    fn alias_links_across_limits() {
        let u1 = key("user_id:web", "u1");
        let mut g =
            IdentityGraph::new([(u1.clone(), CustomerId(4))], [(CustomerId(4), u1.clone())]);
        let c = g.resolve(&[key("user_id:web", "u2"), u1], true);
        assert_eq!(c, CustomerId(4));
    }

    #[test]
    fn alias_never_attaches_its_guesses_for_the_previous_id() {
        let anon = key("anonymous_id", "a-1");
        let mut g = IdentityGraph::new([(anon.clone(), CustomerId(2))], []);
        let c = g.resolve(
            &[key("user_id:web", "u9"), key("user_id:web", "a-1"), anon],
            true,
        );
        assert_eq!(c, CustomerId(2));
        let plan = g.finish();
        let attached: Vec<String> = plan
            .attaches
            .iter()
            .map(|(k, _)| k.value().to_owned())
            .collect();
        assert_eq!(attached, ["u9"]);
    }

    #[test]
    fn provisional_customers_merge_without_a_stored_merge() {
        let mut g = IdentityGraph::default();
        let a = g.resolve(&[key("anonymous_id", "a")], false);
        let b = g.resolve(&[key("anonymous_id", "b")], false);
        let c = g.resolve(&[key("anonymous_id", "b"), key("anonymous_id", "a")], false);
        assert_eq!(c, a);
        let plan = g.finish();
        assert!(plan.merges.is_empty());
        assert_eq!(plan.new_customers, vec![a]);
        assert_eq!(plan.resolve(b), plan.resolve(a));
    }
}
