//! Applying order changes: upsert by (source, external id), refunds deduplicated by their
//! own id, and the order's status settled after refunds.

use super::{Outcome, OutcomeStatus};
use guanxi_domain::{CustomerId, Millis, OrderChange, OrderInput, RefundInput};
use guanxi_store::{OrderItemRow, OrderRow, ProductRow, RefundRow, StoreResult, WriteTx};
use sha2::{Digest, Sha256};

/// What the channel said about the order, hashed: the same input again changes nothing.
fn fingerprint(order: &OrderInput, customer: CustomerId) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "{}|{}|{}|{}|{}|",
        customer.0,
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

/// Moves a paid order to (partially) refunded once refunds reach it.
async fn settle(
    tx: &mut dyn WriteTx,
    source: guanxi_domain::SourceId,
    external_id: &str,
    at: Millis,
) -> StoreResult<()> {
    if let Some(head) = tx.order_head(source, external_id).await? {
        let settled = head.status.after_refunds(head.total, head.refunded);
        if settled != head.status {
            tx.set_order_status(head.id, settled, at).await?;
        }
    }
    Ok(())
}

pub(crate) async fn apply(
    tx: &mut dyn WriteTx,
    change: &OrderChange,
    customer: Option<CustomerId>,
    now: Millis,
    products: &mut Vec<ProductRow>,
) -> StoreResult<Outcome> {
    match change {
        OrderChange::Upsert(order) => {
            let customer = customer.unwrap_or(CustomerId(0));
            let fingerprint = fingerprint(order, customer);
            let head = tx.order_head(order.source, &order.external_id).await?;
            let (id, mut status) = match &head {
                Some(h) if h.fingerprint == fingerprint => (h.id, OutcomeStatus::Unchanged),
                _ => {
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
                    let items: Vec<OrderItemRow> = order
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
                    let id = tx.upsert_order(&row, &items).await?;
                    let status = if head.is_some() {
                        OutcomeStatus::Updated
                    } else {
                        OutcomeStatus::Created
                    };
                    (id, status)
                }
            };
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
            let mut new_refund = false;
            for refund in &order.refunds {
                new_refund |= tx.insert_refund(id, &refund_row(refund)).await?;
            }
            if new_refund && status == OutcomeStatus::Unchanged {
                status = OutcomeStatus::Updated;
            }
            if status != OutcomeStatus::Unchanged {
                settle(tx, order.source, &order.external_id, now).await?;
            }
            Ok(outcome(status, Some(customer), Some(id)))
        }
        OrderChange::Status {
            source,
            external_id,
            status,
            at,
        } => {
            let Some(head) = tx.order_head(*source, external_id).await? else {
                return Ok(outcome(OutcomeStatus::NotFound, None, None));
            };
            if head.status == *status {
                return Ok(outcome(
                    OutcomeStatus::Unchanged,
                    Some(head.customer),
                    Some(head.id),
                ));
            }
            tx.set_order_status(head.id, *status, (*at).max(now))
                .await?;
            Ok(outcome(
                OutcomeStatus::Updated,
                Some(head.customer),
                Some(head.id),
            ))
        }
        OrderChange::Refund {
            source,
            order_external_id,
            refund,
        } => {
            let Some(head) = tx.order_head(*source, order_external_id).await? else {
                return Ok(outcome(OutcomeStatus::NotFound, None, None));
            };
            if head.currency != refund.amount.currency().code() {
                return Ok(outcome(
                    OutcomeStatus::Rejected,
                    Some(head.customer),
                    Some(head.id),
                ));
            }
            if !tx.insert_refund(head.id, &refund_row(refund)).await? {
                return Ok(outcome(
                    OutcomeStatus::Unchanged,
                    Some(head.customer),
                    Some(head.id),
                ));
            }
            settle(tx, *source, order_external_id, now).await?;
            Ok(outcome(
                OutcomeStatus::Updated,
                Some(head.customer),
                Some(head.id),
            ))
        }
    }
}
