//! Applying a batch's order changes: upserts by (source, external id) in a few multi-row
//! statements (an identical re-import changes nothing), then status changes and refunds in
//! arrival order, then every touched order's status settled after its refunds.

use super::{Outcome, OutcomeStatus};
use guanxi_domain::{CustomerId, Millis, OrderChange, OrderInput, RefundInput, SourceId};
use guanxi_store::{OrderItemRow, OrderRow, ProductRow, RefundRow, StoreResult, WriteTx};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// One order change of the batch, with the customer its identities resolved to.
pub(crate) struct Pending<'a> {
    pub change: &'a OrderChange,
    pub customer: Option<CustomerId>,
}

/// What the channel said about the order, hashed: the same input again changes nothing. The
/// customer is compared apart (a merge moves orders to the survivor without rewriting this).
fn fingerprint(order: &OrderInput) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "{}|{}|{}|{}|",
        order.status.as_str(),
        order.total.currency().code(),
        order.total.minor(),
        order.created_at
    ));
    for item in &order.items {
        h.update(format!(
            "{}|{}|{:?}|{}|{}|",
            item.sku,
            item.name,
            item.category,
            item.quantity,
            item.price.minor()
        ));
    }
    hex::encode(h.finalize())
}

fn refund_row(refund: &RefundInput) -> RefundRow {
    RefundRow {
        external_id: refund.external_id.clone(),
        amount: refund.amount.minor(),
        created_at: refund.created_at,
        reason: refund.reason.clone(),
    }
}

fn outcome(status: OutcomeStatus, customer: Option<CustomerId>, order_id: Option<i64>) -> Outcome {
    Outcome {
        status,
        customer,
        order_id,
    }
}

fn row(
    order: &OrderInput,
    customer: CustomerId,
    fingerprint: String,
    now: Millis,
) -> (OrderRow, Vec<OrderItemRow>) {
    let items = order
        .items
        .iter()
        .map(|i| OrderItemRow {
            sku: i.sku.clone(),
            name: i.name.clone(),
            category: i.category.clone(),
            quantity: i.quantity,
            price: i.price.minor(),
        })
        .collect();
    let row = OrderRow {
        source: order.source,
        external_id: order.external_id.clone(),
        customer,
        status: order.status,
        currency: order.currency().code().to_owned(),
        total: order.total.minor(),
        created_at: order.created_at,
        updated_at: now,
        fingerprint,
    };
    (row, items)
}

/// Applies the batch's order changes; one outcome per pending change, in order.
pub(crate) async fn apply(
    tx: &mut dyn WriteTx,
    pending: &[Pending<'_>],
    now: Millis,
    products: &mut Vec<ProductRow>,
) -> StoreResult<Vec<Outcome>> {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; pending.len()];
    let mut touched: HashSet<i64> = HashSet::new();

    // Upserts, in rounds of distinct keys so a later version of the same order wins.
    let mut remaining: Vec<usize> = (0..pending.len())
        .filter(|i| matches!(pending[*i].change, OrderChange::Upsert(_)))
        .collect();
    while !remaining.is_empty() {
        let mut seen = HashSet::new();
        let (round, later): (Vec<usize>, Vec<usize>) =
            remaining.iter().partition(|i| match pending[**i].change {
                OrderChange::Upsert(o) => seen.insert((o.source, o.external_id.clone())),
                _ => false,
            });
        remaining = later;
        upsert_round(
            tx,
            pending,
            &round,
            now,
            &mut outcomes,
            &mut touched,
            products,
        )
        .await?;
    }

    // Status changes and refunds that name an order, in arrival order.
    for (i, p) in pending.iter().enumerate() {
        match p.change {
            OrderChange::Upsert(_) => {}
            OrderChange::Status {
                source,
                external_id,
                status,
                at,
            } => {
                outcomes[i] = Some(match tx.order_head(*source, external_id).await? {
                    None => outcome(OutcomeStatus::NotFound, None, None),
                    Some(head) if head.status == *status => {
                        outcome(OutcomeStatus::Unchanged, Some(head.customer), Some(head.id))
                    }
                    Some(head) => {
                        tx.set_order_status(head.id, *status, (*at).max(now))
                            .await?;
                        outcome(OutcomeStatus::Updated, Some(head.customer), Some(head.id))
                    }
                });
            }
            OrderChange::Refund {
                source,
                order_external_id,
                refund,
            } => {
                outcomes[i] = Some(match tx.order_head(*source, order_external_id).await? {
                    None => outcome(OutcomeStatus::NotFound, None, None),
                    Some(head) if head.currency != refund.amount.currency().code() => {
                        outcome(OutcomeStatus::Rejected, Some(head.customer), Some(head.id))
                    }
                    // Checked here, in the transaction, so concurrent refunds cannot add up to more than the order.
                    Some(head)
                        if head.refunded.saturating_add(refund.amount.minor()) > head.total =>
                    {
                        outcome(OutcomeStatus::Rejected, Some(head.customer), Some(head.id))
                    }
                    Some(head) => {
                        let new = tx.insert_refund(head.id, &refund_row(refund)).await?;
                        touched.insert(head.id);
                        let status = if new {
                            OutcomeStatus::Updated
                        } else {
                            OutcomeStatus::Unchanged
                        };
                        outcome(status, Some(head.customer), Some(head.id))
                    }
                });
            }
        }
    }

    settle(tx, touched, now).await?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| outcome(OutcomeStatus::Unchanged, None, None)))
        .collect())
}

async fn upsert_round(
    tx: &mut dyn WriteTx,
    pending: &[Pending<'_>],
    round: &[usize],
    now: Millis,
    outcomes: &mut [Option<Outcome>],
    touched: &mut HashSet<i64>,
    products: &mut Vec<ProductRow>,
) -> StoreResult<()> {
    let orders: Vec<(usize, &OrderInput, CustomerId)> = round
        .iter()
        .filter_map(|i| match pending[*i].change {
            OrderChange::Upsert(o) => Some((*i, o, pending[*i].customer.unwrap_or(CustomerId(0)))),
            _ => None,
        })
        .collect();
    let keys: Vec<(SourceId, String)> = orders
        .iter()
        .map(|(_, o, _)| (o.source, o.external_id.clone()))
        .collect();
    let heads: HashMap<(SourceId, String), guanxi_store::OrderHead> = tx
        .order_heads(&keys)
        .await?
        .into_iter()
        .map(|(s, e, h)| ((s, e), h))
        .collect();
    let mut to_write = Vec::new();
    let mut written_at = Vec::new();
    // Written orders whose status may need settling: those with refunds stored already (new
    // refunds mark their orders below). A status only moves because of refunds.
    let mut refunded_before = HashSet::new();
    for (i, order, customer) in &orders {
        let fp = fingerprint(order);
        match heads.get(&(order.source, order.external_id.clone())) {
            Some(head) if head.fingerprint == fp && head.customer == *customer => {
                outcomes[*i] = Some(outcome(
                    OutcomeStatus::Unchanged,
                    Some(*customer),
                    Some(head.id),
                ))
            }
            head => {
                let status = if head.is_some() {
                    OutcomeStatus::Updated
                } else {
                    OutcomeStatus::Created
                };
                outcomes[*i] = Some(outcome(status, Some(*customer), None));
                if head.is_some_and(|h| h.refunded > 0) {
                    refunded_before.insert(*i);
                }
                to_write.push(row(order, *customer, fp, now));
                written_at.push(*i);
            }
        }
        products.extend(
            order
                .items
                .iter()
                .filter(|i| !i.sku.trim().is_empty())
                .map(|i| ProductRow {
                    sku: i.sku.clone(),
                    name: i.name.clone(),
                    category: i.category.clone(),
                    price: Some(i.price.minor()),
                    currency: i.price.currency().code().to_owned(),
                }),
        );
    }
    let ids = tx.upsert_orders(&to_write).await?;
    for (i, id) in written_at.iter().zip(&ids) {
        if let Some(o) = outcomes[*i].as_mut() {
            o.order_id = Some(*id);
        }
        if refunded_before.contains(i) {
            touched.insert(*id);
        }
    }
    // Every upserted order now has its id (written, or unchanged with its stored one).
    let refunds: Vec<(usize, i64, RefundRow)> = orders
        .iter()
        .filter_map(|(i, order, _)| Some((*i, order, outcomes[*i].as_ref()?.order_id?)))
        .flat_map(|(i, order, id)| order.refunds.iter().map(move |r| (i, id, refund_row(r))))
        .collect();
    let rows: Vec<(i64, RefundRow)> = refunds.iter().map(|(_, id, r)| (*id, r.clone())).collect();
    let fresh = tx.insert_refunds(&rows).await?;
    for ((i, id, _), new) in refunds.iter().zip(fresh) {
        if new {
            touched.insert(*id);
            if let Some(o) = outcomes[*i]
                .as_mut()
                .filter(|o| o.status == OutcomeStatus::Unchanged)
            {
                o.status = OutcomeStatus::Updated;
            }
        }
    }
    Ok(())
}

/// Moves paid orders to (partially) refunded once their refunds reach them.
async fn settle(tx: &mut dyn WriteTx, touched: HashSet<i64>, now: Millis) -> StoreResult<()> {
    let ids: Vec<i64> = touched.into_iter().collect();
    for head in tx.order_heads_by_id(&ids).await? {
        let settled = head.status.after_refunds(head.total, head.refunded);
        if settled != head.status {
            tx.set_order_status(head.id, settled, now).await?;
        }
    }
    Ok(())
}
