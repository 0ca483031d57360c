use crate::stream::{config, sources};
use guanxi_demo::{DemoRecord, customers};
use guanxi_domain::resolution::IdentityGraph;
use guanxi_domain::{CustomerId, IdentityKey, IdentityKind, OrderChange};
use std::collections::{HashMap, HashSet};

fn identities(record: &DemoRecord) -> Option<&[IdentityKey]> {
    match record {
        DemoRecord::Profile(p) => Some(&p.identities),
        DemoRecord::Event(e) => Some(&e.identities),
        DemoRecord::Order(OrderChange::Upsert(o)) => Some(&o.customer.identities),
        DemoRecord::Order(_) => None,
    }
}

#[test]
fn identity_resolution_unifies_channels_without_false_merges() {
    let c = config(2_000);
    let mut graph = IdentityGraph::new([], []);
    let mut resolved: Vec<(usize, CustomerId)> = Vec::new();
    let mut multi_channel = 0;
    for (person, records) in customers(&c, sources(), 0..2_000).enumerate() {
        let channels: HashSet<_> = records.iter().map(DemoRecord::source).collect();
        multi_channel += usize::from(channels.len() > 1);
        for record in &records {
            if let Some(keys) = identities(record).filter(|k| !k.is_empty()) {
                let id = graph.resolve(keys, false);
                // Anonymous browsing on a device never logged in stays apart, as in real life.
                if keys.iter().any(|k| k.kind() != &IdentityKind::AnonymousId) {
                    resolved.push((person, id));
                }
            }
        }
    }
    let mut profiles_of: HashMap<usize, HashSet<CustomerId>> = HashMap::new();
    let mut people_of: HashMap<CustomerId, HashSet<usize>> = HashMap::new();
    for (person, id) in resolved {
        let id = graph.canonical(id);
        profiles_of.entry(person).or_default().insert(id);
        people_of.entry(id).or_default().insert(person);
    }
    let false_merges = people_of.values().filter(|p| p.len() > 1).count();
    assert_eq!(false_merges, 0, "no two people become one");
    let split = profiles_of.values().filter(|p| p.len() > 1).count();
    eprintln!("multi-channel {multi_channel}, still split after resolution {split}");
    assert!(multi_channel > 450);
    assert!(
        split * 5 < multi_channel,
        "most multi-channel people are unified by phone or e-mail"
    );
}
