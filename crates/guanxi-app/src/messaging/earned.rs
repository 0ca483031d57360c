//! What groups of deliveries earned — a campaign's variants, a journey's steps: how many were
//! sent, opened and clicked, and the orders attributed to them by last touch
//! (`attribution.rs`) among everything the same customers were sent.

use super::Messaging;
use super::attribution::attribute;
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{OrderFact, StoreResult, Touch};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Earned {
    pub sent: u64,
    pub opened: u64,
    pub clicked: u64,
    /// Customers with an order attributed to the group.
    pub converted: u64,
    pub orders: u64,
    /// Attributed revenue, minor units of the shop currency.
    pub revenue: i64,
}

/// The groups `touches` fall in (by `group_of`) with what each earned from orders placed
/// since `since`; and those orders, every one of the touched customers'.
pub(crate) async fn tally(
    messaging: &Messaging,
    touches: &[Touch],
    since: Millis,
    group_of: impl Fn(&Touch) -> String,
) -> StoreResult<(BTreeMap<String, Earned>, Vec<OrderFact>)> {
    let store = messaging.store.as_ref();
    let customers: Vec<CustomerId> = touches
        .iter()
        .map(|t| t.customer)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let currency = messaging.settings.current().currency.code().to_owned();
    let orders: Vec<OrderFact> = store
        .order_facts_of(&customers, &currency)
        .await?
        .into_iter()
        .filter(|o| o.at >= since)
        .collect();
    let windows = &messaging.config.attribution;
    let all_touches = store
        .customer_touches(&customers, since - windows.longest_ms())
        .await?;
    let ours: HashMap<i64, &Touch> = touches.iter().map(|t| (t.delivery, t)).collect();
    let mut groups: BTreeMap<String, Earned> = BTreeMap::new();
    for t in touches.iter().filter(|t| t.sent_at.is_some()) {
        let g = groups.entry(group_of(t)).or_default();
        g.sent += 1;
        g.opened += u64::from(t.opened_at.is_some() || t.clicked_at.is_some());
        g.clicked += u64::from(t.clicked_at.is_some());
    }
    let mut converted: HashMap<String, HashSet<CustomerId>> = HashMap::new();
    for (i, delivery) in attribute(&orders, &all_touches, windows) {
        let Some(t) = ours.get(&delivery) else {
            continue;
        };
        let group = group_of(t);
        let g = groups.entry(group.clone()).or_default();
        g.orders += 1;
        g.revenue += orders[i].value;
        converted.entry(group).or_default().insert(t.customer);
    }
    for (group, g) in &mut groups {
        g.converted = converted.get(group).map_or(0, |c| c.len() as u64);
    }
    Ok((groups, orders))
}
