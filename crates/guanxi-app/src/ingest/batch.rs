//! One batch, one transaction: claim receipts, resolve identities, apply every write, append
//! the change feed, commit.

use super::{Outcome, OutcomeStatus, WriteItem, WriteOp, orders, traits};
use guanxi_domain::resolution::IdentityGraph;
use guanxi_domain::{CustomerId, IdentityKey, OrderChange, SourceId};
use guanxi_store::{Change, ChangeKind, NewEvent, Store, StoreError, StoreResult, Traits};
// Seeded fast hashing: every map here is rebuilt per batch on the writer's critical path.
use foldhash::{HashMap, HashSet};

/// The identifiers an operation names, and whether it links across per-kind limits.
fn identities_of(op: &WriteOp) -> Option<(&[IdentityKey], bool)> {
    match op {
        WriteOp::Event(e) => Some((&e.identities, e.force_link)),
        WriteOp::Order(OrderChange::Upsert(o)) => Some((&o.customer.identities, false)),
        WriteOp::Profile(p) => Some((&p.identities, false)),
        _ => None,
    }
}

fn source_of(op: &WriteOp) -> Option<SourceId> {
    match op {
        WriteOp::Event(e) => Some(e.source),
        WriteOp::Order(OrderChange::Upsert(o)) => Some(o.source),
        WriteOp::Profile(p) => Some(p.source),
        _ => None,
    }
}

/// Owners whose per-kind limits the batch may test: those named by a message that has an
/// identifier nobody owns yet, or identifiers of several customers. A message whose identifiers
/// all belong to one customer attaches and merges nothing, so most traffic loads no limits.
fn customers_that_may_change<'a>(
    ops: impl Iterator<Item = &'a WriteOp>,
    owners: &[(IdentityKey, CustomerId)],
) -> Vec<CustomerId> {
    let owner_of: HashMap<&IdentityKey, CustomerId> = owners.iter().map(|(k, c)| (k, *c)).collect();
    let mut changing = HashSet::default();
    for (keys, _) in ops.filter_map(identities_of) {
        let named: HashSet<Option<CustomerId>> =
            keys.iter().map(|k| owner_of.get(k).copied()).collect();
        if named.len() > 1 || named.contains(&None) {
            changing.extend(named.into_iter().flatten());
        }
    }
    let mut ids: Vec<CustomerId> = changing.into_iter().collect();
    ids.sort();
    ids
}

/// Every message names at least one identifier (the edge refuses it otherwise), so it always
/// resolves to a customer; should that ever break, the batch fails rather than store orphans.
fn unresolved() -> StoreError {
    StoreError::other("a message resolved to no customer")
}

pub(crate) async fn commit(store: &dyn Store, items: &[WriteItem]) -> StoreResult<Vec<Outcome>> {
    let now = chrono::Utc::now().timestamp_millis();
    let mut tx = store.begin_write().await?;

    // Receipts first: a retried message is answered as a duplicate and touches nothing.
    let mut receipt_keys: Vec<(SourceId, String)> =
        items.iter().filter_map(|i| i.receipt.clone()).collect();
    receipt_keys.sort();
    receipt_keys.dedup();
    let fresh = if receipt_keys.is_empty() {
        std::collections::HashSet::new()
    } else {
        tx.claim_receipts(&receipt_keys, now).await?
    };
    let mut claimed = HashSet::default();
    let live: Vec<bool> = items
        .iter()
        .map(|item| match &item.receipt {
            None => true,
            Some(key) => fresh.contains(key) && claimed.insert(key.clone()),
        })
        .collect();
    let live_ops = || {
        items
            .iter()
            .zip(&live)
            .filter(|(_, l)| **l)
            .flat_map(|(i, _)| i.ops.iter())
    };

    // Identity resolution over everything the batch names, decided in memory.
    let mut wanted: Vec<IdentityKey> = live_ops()
        .filter_map(identities_of)
        .flat_map(|(k, _)| k.iter().cloned())
        .collect();
    wanted.sort();
    wanted.dedup();
    let owners = tx.identity_owners(&wanted).await?;
    let owner_ids = customers_that_may_change(live_ops(), &owners);
    let limited = tx.limited_identities(&owner_ids).await?;
    let mut graph = IdentityGraph::new(owners, limited);
    let mut key_source: HashMap<IdentityKey, SourceId> = HashMap::default();
    let mut resolved: Vec<Vec<Option<CustomerId>>> = Vec::with_capacity(items.len());
    for (item, is_live) in items.iter().zip(&live) {
        let per_op = item
            .ops
            .iter()
            .map(|op| {
                let (keys, force) = identities_of(op).filter(|_| *is_live)?;
                if let Some(source) = source_of(op) {
                    for key in keys {
                        key_source.entry(key.clone()).or_insert(source);
                    }
                }
                Some(graph.resolve(keys, force))
            })
            .collect();
        resolved.push(per_op);
    }
    let mut plan = graph.finish();
    let created = tx.create_customers(plan.new_customers.len(), now).await?;
    plan.allocate(&created);
    let mut changes: HashSet<Change> = created
        .iter()
        .map(|c| Change {
            customer: *c,
            kind: ChangeKind::Created,
        })
        .collect();
    for merge in &plan.merges {
        tx.merge_customer(merge, now).await?;
        changes.insert(Change {
            customer: merge.into,
            kind: ChangeKind::Merged,
        });
        changes.insert(Change {
            customer: merge.from,
            kind: ChangeKind::MergedAway,
        });
    }
    let attaches: Vec<_> = plan
        .attaches
        .iter()
        .map(|(key, c)| {
            let customer = plan.resolve(*c);
            changes.insert(Change {
                customer,
                kind: ChangeKind::Identified,
            });
            (
                key.clone(),
                customer,
                key_source.get(key).copied().unwrap_or(SourceId(0)),
            )
        })
        .collect();
    tx.attach_identities(&attaches, now).await?;

    // Apply each operation to its final customer, in arrival order.
    let mut patches: Vec<(CustomerId, &Traits)> = Vec::new();
    let mut events = Vec::new();
    let mut outcomes = Vec::with_capacity(items.len());
    let mut products = Vec::new();
    let mut pending_orders = Vec::new();
    // Profiles' outcomes: (item index, whether it is the item's first op, customer, tags added).
    let mut profile_slots = Vec::new();
    // Where each order's outcome goes: (item index, whether it is the item's first op).
    let mut order_slots = Vec::new();
    for ((item, is_live), customers) in items.iter().zip(&live).zip(&resolved) {
        if !is_live {
            outcomes.push(Outcome {
                status: OutcomeStatus::Duplicate,
                customer: None,
                order_id: None,
            });
            continue;
        }
        let mut first: Option<Outcome> = None;
        for (op, customer) in item.ops.iter().zip(customers) {
            let customer = customer.map(|c| plan.resolve(c));
            let outcome = match op {
                WriteOp::Event(e) => {
                    let customer = customer.ok_or_else(unresolved)?;
                    patches.push((customer, &e.traits));
                    events.push(NewEvent {
                        source: e.source,
                        message_id: e.message_id.clone(),
                        customer,
                        kind: e.kind,
                        name: e.name.clone(),
                        properties: e.properties.clone(),
                        timestamp: e.timestamp,
                        received_at: e.received_at,
                    });
                    changes.insert(Change {
                        customer,
                        kind: ChangeKind::Event,
                    });
                    Outcome {
                        status: OutcomeStatus::Created,
                        customer: Some(customer),
                        order_id: None,
                    }
                }
                WriteOp::Order(change) => {
                    if let (OrderChange::Upsert(o), Some(c)) = (change, customer) {
                        patches.push((c, &o.customer.traits));
                    }
                    order_slots.push((outcomes.len(), first.is_none()));
                    pending_orders.push(orders::Pending { change, customer });
                    Outcome {
                        status: OutcomeStatus::Unchanged,
                        customer,
                        order_id: None,
                    }
                }
                WriteOp::Profile(p) => {
                    let customer = customer.ok_or_else(unresolved)?;
                    patches.push((customer, &p.traits));
                    let tagged = tx.add_tags(customer, &p.tags).await? > 0;
                    if tagged {
                        changes.insert(Change {
                            customer,
                            kind: ChangeKind::Tags,
                        });
                    }
                    // Settled once traits are applied: created, updated or unchanged.
                    profile_slots.push((outcomes.len(), first.is_none(), customer, tagged));
                    Outcome {
                        status: OutcomeStatus::Unchanged,
                        customer: Some(customer),
                        order_id: None,
                    }
                }
                WriteOp::EditCustomer {
                    customer,
                    traits,
                    add_tags,
                    remove_tags,
                } => {
                    let customer = plan.resolve(*customer);
                    patches.push((customer, traits));
                    if !add_tags.is_empty() || !remove_tags.is_empty() {
                        tx.add_tags(customer, add_tags).await?;
                        tx.remove_tags(customer, remove_tags).await?;
                        changes.insert(Change {
                            customer,
                            kind: ChangeKind::Tags,
                        });
                    }
                    Outcome {
                        status: OutcomeStatus::Updated,
                        customer: Some(customer),
                        order_id: None,
                    }
                }
            };
            first.get_or_insert(outcome);
        }
        outcomes.push(first.unwrap_or(Outcome {
            status: OutcomeStatus::Unchanged,
            customer: None,
            order_id: None,
        }));
    }
    let order_outcomes = orders::apply(tx.as_mut(), &pending_orders, now, &mut products).await?;
    for ((item, is_first), outcome) in order_slots.into_iter().zip(order_outcomes) {
        if let Some(c) = outcome.customer.filter(|_| {
            matches!(
                outcome.status,
                OutcomeStatus::Created | OutcomeStatus::Updated
            )
        }) {
            changes.insert(Change {
                customer: c,
                kind: ChangeKind::Order,
            });
        }
        if is_first {
            outcomes[item] = outcome;
        }
    }
    let retraited = traits::apply(tx.as_mut(), &patches, now).await?;
    for (item, is_first, customer, tagged) in profile_slots {
        let status = if created.contains(&customer) {
            OutcomeStatus::Created
        } else if tagged || retraited.contains(&customer) {
            OutcomeStatus::Updated
        } else {
            OutcomeStatus::Unchanged
        };
        if is_first {
            outcomes[item].status = status;
        }
    }
    for customer in retraited {
        changes.insert(Change {
            customer,
            kind: ChangeKind::Traits,
        });
    }
    tx.insert_events(&events).await?;
    tx.upsert_products(&products, now).await?;
    let mut changes: Vec<Change> = changes.into_iter().collect();
    changes.sort_by_key(|c| (c.customer, c.kind.as_str()));
    tx.append_changes(&changes, now).await?;
    tx.commit().await?;
    Ok(outcomes)
}
