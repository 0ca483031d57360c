//! When a person buys and on which channel (Pareto/NBD-style: a personal rate, a silent
//! dropout, festivals), and each order's life: paid, shipped, completed, closed before
//! payment, refunded in full or in part.

use crate::DemoRecord;
use crate::basket::{Basket, basket, fen};
use crate::calendar::{DAY, HOUR, MINUTE, date_of};
use crate::channels::{JD, TMALL, WEB, order_customer};
use crate::person::Person;
use crate::sampling::{choose, pick_index};
use crate::shop::Shop;
use guanxi_domain::{
    Currency, Millis, Money, OrderChange, OrderCustomer, OrderInput, OrderItemInput, OrderStatus,
    RefundInput,
};
use rand::Rng;

/// No customer places more orders than this (keeps per-customer state bounded).
pub(crate) const MAX_ORDERS: usize = 100;
const UNPAID_SHARE: f64 = 0.03;
const REFUND_SHARE: f64 = 0.055;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlannedRefund {
    pub external_id: String,
    pub amount: i64,
    pub at: Millis,
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fate {
    /// Never paid: closed (Taobao) or cancelled at `closed_at`, or still pending at `end`.
    Unpaid {
        closed_at: Millis,
    },
    Paid {
        refund: Option<PlannedRefund>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlannedOrder {
    pub channel: usize,
    pub external_id: String,
    pub at: Millis,
    pub basket: Basket,
    pub fate: Fate,
    pub customer: OrderCustomer,
}

/// When the person buys and where: the first purchase at arrival (or, for website visitors,
/// after browsing, or never), then repeat purchases until they drop out, each on one of
/// the channels they had joined by then; every marketplace they joined gets an order.
pub(crate) fn purchase_slots(
    rng: &mut impl Rng,
    person: &Person,
    shop: &Shop,
) -> Vec<(Millis, usize)> {
    let calendar = &shop.calendar;
    let end = calendar.end;
    let primary = person.channels[0];
    let first = if primary.channel != WEB {
        Some(person.arrival)
    } else if rng.gen_bool(0.28) {
        None
    } else if rng.gen_bool(0.5) {
        Some(person.arrival + rng.gen_range(5 * MINUTE..25 * MINUTE))
    } else {
        Some(person.arrival + HOUR + crate::calendar::Calendar::delay(rng, 12 * DAY))
    };
    let Some(first) = first.filter(|t| *t < end) else {
        return Vec::new();
    };
    let mut times = vec![first];
    times.extend(calendar.purchases(
        rng,
        first + HOUR,
        person.active_until,
        person.rate_per_year,
        MAX_ORDERS - 1,
    ));
    let mut slots: Vec<(Millis, usize)> = times
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let joined: Vec<_> = person.channels.iter().filter(|j| j.at <= t).collect();
            if i == 0 || joined.len() <= 1 {
                return (t, primary.channel);
            }
            let w = |k: usize| if k == 0 { 2.0 } else { 1.0 };
            (t, joined[pick_index(rng, (0..joined.len()).map(w))].channel)
        })
        .collect();
    for joined in person.channels.iter().skip(1) {
        let unused = slots.iter().all(|(_, c)| *c != joined.channel);
        if joined.channel != WEB && unused && joined.at < end - HOUR && slots.len() < MAX_ORDERS {
            let at = calendar.instant_between(rng, joined.at, joined.at + 60 * DAY);
            slots.push((at, joined.channel));
        }
    }
    slots.sort_by_key(|(t, _)| *t);
    slots
}

pub(crate) fn plan_orders(rng: &mut impl Rng, person: &Person, shop: &Shop) -> Vec<PlannedOrder> {
    let end = shop.calendar.end;
    purchase_slots(rng, person, shop)
        .into_iter()
        .enumerate()
        .map(|(seq, (at, channel))| {
            let external_id =
                shop.numbering
                    .order_id(rng, channel, person.index, seq as u64, date_of(at));
            let basket = basket(rng, &shop.catalogue, person, channel, at);
            let fate = if rng.gen_bool(UNPAID_SHARE) {
                let wait = if channel == TMALL {
                    24 * HOUR
                } else {
                    rng.gen_range(10 * MINUTE..2 * HOUR)
                };
                Fate::Unpaid {
                    closed_at: at + wait,
                }
            } else {
                let refund = rng
                    .gen_bool(REFUND_SHARE)
                    .then(|| refund(rng, &shop.catalogue, &external_id, &basket, at))
                    .filter(|r| r.at < end);
                Fate::Paid { refund }
            };
            let customer = order_customer(rng, person, channel);
            PlannedOrder {
                channel,
                external_id,
                at,
                basket,
                fate,
                customer,
            }
        })
        .collect()
}

const FULL_REASONS: &[&str] = &[
    "七天无理由退货",
    "尺码不合适",
    "商品与描述不符",
    "收到商品破损",
    "不喜欢/不想要了",
];
const PARTIAL_REASONS: &[&str] = &["少件/漏发", "价保退差价", "部分商品质量问题"];

fn refund(
    rng: &mut impl Rng,
    catalogue: &crate::catalogue::Catalogue,
    order_id: &str,
    basket: &Basket,
    at: Millis,
) -> PlannedRefund {
    let full = rng.gen_bool(0.6) || basket.total < fen(100);
    let (amount, reason) = if full {
        (basket.total, *choose(rng, FULL_REASONS))
    } else if basket.lines.len() > 1 {
        let line = choose(rng, &basket.lines);
        let amount = catalogue.products[line.product].price_minor * line.quantity;
        (amount.min(basket.total - 1), "部分商品退货")
    } else {
        let share = rng.gen_range(0.2..0.5);
        (
            (basket.total as f64 * share / 100.0).round() as i64 * 100,
            *choose(rng, PARTIAL_REASONS),
        )
    };
    PlannedRefund {
        external_id: format!("{order_id}-R1"),
        amount: amount.clamp(1, basket.total),
        at: at + rng.gen_range(2 * DAY..20 * DAY),
        reason,
    }
}

/// Where a paid order stands at `end` by its age.
fn progress(at: Millis, end: Millis) -> OrderStatus {
    match end - at {
        age if age < 36 * HOUR => OrderStatus::Paid,
        age if age < 9 * DAY => OrderStatus::Shipped,
        _ => OrderStatus::Completed,
    }
}

/// Marketplace exports (Tmall, JD) report refunds on the order itself; Shopify and the
/// website report them later, as separate refund messages.
fn refunds_inline(channel: usize) -> bool {
    matches!(channel, TMALL | JD)
}

pub(crate) fn money(minor: i64) -> Money {
    Money::from_minor(minor, Currency::CNY)
}

/// The records of one order, each with the instant it happened.
pub(crate) fn order_records(order: &PlannedOrder, shop: &Shop) -> Vec<(Millis, DemoRecord)> {
    let source = shop.sources[order.channel];
    let end = shop.calendar.end;
    let refund_input = |r: &PlannedRefund| RefundInput {
        external_id: r.external_id.clone(),
        amount: money(r.amount),
        created_at: r.at,
        reason: Some(r.reason.to_owned()),
    };
    let (status, inline, later) = match &order.fate {
        Fate::Unpaid { .. } => (OrderStatus::Pending, None, None),
        Fate::Paid { refund: None } => (progress(order.at, end), None, None),
        Fate::Paid { refund: Some(r) } if refunds_inline(order.channel) => {
            let status = progress(order.at, end).after_refunds(order.basket.total, r.amount);
            (status, Some(refund_input(r)), None)
        }
        Fate::Paid { refund: Some(r) } => (progress(order.at, end), None, Some(refund_input(r))),
    };
    let items = order
        .basket
        .lines
        .iter()
        .map(|l| {
            let p = &shop.catalogue.products[l.product];
            OrderItemInput {
                sku: p.sku.clone(),
                name: p.name.clone(),
                category: Some(p.category.clone()),
                quantity: l.quantity,
                price: money(p.price_minor),
            }
        })
        .collect();
    let mut records = vec![(
        order.at,
        DemoRecord::Order(OrderChange::Upsert(OrderInput {
            source,
            external_id: order.external_id.clone(),
            status,
            total: money(order.basket.total),
            created_at: order.at,
            customer: order.customer.clone(),
            items,
            refunds: inline.into_iter().collect(),
        })),
    )];
    if let Fate::Unpaid { closed_at } = order.fate
        && closed_at < end
    {
        let status = if order.channel == TMALL {
            OrderStatus::Closed
        } else {
            OrderStatus::Cancelled
        };
        records.push((
            closed_at,
            DemoRecord::Order(OrderChange::Status {
                source,
                external_id: order.external_id.clone(),
                status,
                at: closed_at,
            }),
        ));
    }
    if let Some(refund) = later {
        records.push((
            refund.created_at,
            DemoRecord::Order(OrderChange::Refund {
                source,
                order_external_id: order.external_id.clone(),
                refund,
            }),
        ));
    }
    records
}
