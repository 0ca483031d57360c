//! Orders, refunds and the spend they add up to.

use crate::{DAY, T0, assert_not_found, customers, item, order, source};
use guanxi_domain::{CustomerId, OrderStatus};
use guanxi_store::{CustomerStats, RefundRow, Store};

fn refund(external_id: &str, amount: i64, at: i64) -> RefundRow {
    RefundRow {
        external_id: external_id.to_owned(),
        amount,
        created_at: at,
        reason: Some("damaged".to_owned()),
    }
}

pub async fn upsert_keeps_one_order(store: &dyn Store) {
    let shop = source(store, "shop").await.id;
    let other = source(store, "taobao").await.id;
    let ids = customers(store, 2, T0).await;
    let (ann, bob) = (ids[0], ids[1]);

    let mut tx = store.begin_write().await.expect("begin");
    assert_eq!(tx.order_head(shop, "1001").await.expect("head"), None);
    let first = order(shop, "1001", ann, OrderStatus::Pending, 9_900, T0);
    let id = tx
        .upsert_order(&first, &[item("A", 1, 4_900), item("B", 2, 2_500)])
        .await
        .expect("insert");
    // The same external id from another source is another order.
    let elsewhere = tx
        .upsert_order(&order(other, "1001", bob, OrderStatus::Paid, 100, T0), &[])
        .await
        .expect("insert");
    assert_ne!(id, elsewhere);

    let mut paid = order(shop, "1001", ann, OrderStatus::Paid, 7_400, T0);
    paid.updated_at = T0 + DAY;
    let again = tx
        .upsert_order(&paid, &[item("A", 1, 4_900), item("C", 1, 2_500)])
        .await
        .expect("replace");
    assert_eq!(
        again, id,
        "upserting by (source, external id) keeps the order's id"
    );
    let head = tx
        .order_head(shop, "1001")
        .await
        .expect("head")
        .expect("the order exists");
    assert_eq!(
        (
            head.id,
            head.customer,
            head.status,
            head.currency.as_str(),
            head.total,
            head.refunded,
            head.fingerprint.as_str()
        ),
        (
            id,
            ann,
            OrderStatus::Paid,
            "CNY",
            7_400,
            0,
            paid.fingerprint.as_str()
        )
    );
    tx.set_order_status(id, OrderStatus::Shipped, T0 + 2 * DAY)
        .await
        .expect("status");
    tx.commit().await.expect("commit");

    let orders = store.customer_orders(ann, None, 10).await.expect("orders");
    assert_eq!(orders.len(), 1, "one row per (source, external id)");
    let stored = &orders[0];
    assert_eq!(
        (stored.id, stored.source, stored.external_id.as_str()),
        (id, shop, "1001")
    );
    assert_eq!(
        (
            stored.status,
            stored.total,
            stored.created_at,
            stored.updated_at
        ),
        (OrderStatus::Shipped, 7_400, T0, T0 + 2 * DAY)
    );
    assert_eq!(
        stored.items,
        vec![item("A", 1, 4_900), item("C", 1, 2_500)],
        "items are replaced, in line order"
    );
    assert_eq!(
        store
            .customer_orders(bob, None, 10)
            .await
            .expect("orders")
            .len(),
        1
    );

    // One order by its id reads the same as in the customer's list, and knows its customer.
    let one = store.order(id).await.expect("order by id");
    assert_eq!(&one, stored);
    assert_eq!(one.customer, ann);
    assert_not_found(store.order(id + 1_000).await, "unknown order id");
}

/// One write of many orders, stored and new interleaved, with more items than one statement
/// takes.
pub async fn many_orders_in_one_write(store: &dyn Store) {
    let shop = source(store, "shop").await.id;
    let ann = customers(store, 1, T0).await[0];
    let items_of = |n: usize| -> Vec<_> {
        (0..n)
            .map(|line| item(&format!("S{line}"), 1, 100 + line as i64))
            .collect()
    };
    // o0, o3, o6, o9 and o12 are stored first.
    let mut tx = store.begin_write().await.expect("begin");
    let first: Vec<_> = (0..5)
        .map(|i| {
            let o = order(
                shop,
                &format!("o{}", i * 3),
                ann,
                OrderStatus::Pending,
                1_000,
                T0,
            );
            (o, items_of(2))
        })
        .collect();
    let stored = tx.upsert_orders(&first).await.expect("first write");
    tx.commit().await.expect("commit");

    // o0..o39 in one write: the stored five come back changed among 35 new ones.
    let mut tx = store.begin_write().await.expect("begin");
    let second: Vec<_> = (0..40)
        .map(|i| {
            let mut o = order(
                shop,
                &format!("o{i}"),
                ann,
                OrderStatus::Paid,
                2_000 + i,
                T0,
            );
            o.updated_at = T0 + DAY;
            (o, items_of(i as usize % 4 + 1))
        })
        .collect();
    let ids = tx.upsert_orders(&second).await.expect("second write");
    tx.commit().await.expect("commit");

    assert_eq!(ids.len(), 40, "one id per order, in input order");
    let kept: Vec<i64> = (0..5).map(|i| ids[i * 3]).collect();
    assert_eq!(kept, stored, "stored orders keep their ids");
    let new: Vec<i64> = (0..40)
        .filter(|i| i % 3 != 0 || *i > 12)
        .map(|i| ids[i])
        .collect();
    assert!(
        new.windows(2).all(|w| w[0] < w[1]) && new[0] > stored[4],
        "new orders get ascending ids in input order: {ids:?}"
    );
    let listed = store.customer_orders(ann, None, 100).await.expect("orders");
    assert_eq!(listed.len(), 40);
    for ((row, items), id) in second.iter().zip(&ids) {
        let record = listed
            .iter()
            .find(|o| o.external_id == row.external_id)
            .expect("every order is stored");
        assert_eq!(
            (record.id, record.status, record.total, record.updated_at),
            (*id, OrderStatus::Paid, row.total, T0 + DAY),
            "{}",
            row.external_id
        );
        assert_eq!(
            &record.items, items,
            "{}: items replaced, in line order",
            row.external_id
        );
    }
}

pub async fn refunds_are_deduplicated(store: &dyn Store) {
    let shop = source(store, "shop").await.id;
    let ann = customers(store, 1, T0).await[0];
    let mut tx = store.begin_write().await.expect("begin");
    let id = tx
        .upsert_order(
            &order(shop, "r-1", ann, OrderStatus::Paid, 10_000, T0),
            &[item("A", 1, 10_000)],
        )
        .await
        .expect("order");
    assert!(
        tx.insert_refund(id, &refund("rf-1", 3_000, T0 + DAY))
            .await
            .expect("refund")
    );
    assert!(
        !tx.insert_refund(id, &refund("rf-1", 3_000, T0 + DAY))
            .await
            .expect("same refund again")
    );
    assert!(
        tx.insert_refund(id, &refund("rf-2", 1_500, T0 + 2 * DAY))
            .await
            .expect("second refund")
    );
    let head = tx
        .order_head(shop, "r-1")
        .await
        .expect("head")
        .expect("order");
    assert_eq!(head.refunded, 4_500);
    tx.commit().await.expect("commit");

    let mut tx = store.begin_write().await.expect("begin");
    assert!(
        !tx.insert_refund(id, &refund("rf-2", 1_500, T0 + 2 * DAY))
            .await
            .expect("retried webhook"),
        "dedupes across transactions"
    );
    tx.commit().await.expect("commit");

    let orders = store.customer_orders(ann, None, 10).await.expect("orders");
    assert_eq!(orders[0].refunded, 4_500);
    assert_eq!(
        orders[0].refunds,
        vec![
            refund("rf-1", 3_000, T0 + DAY),
            refund("rf-2", 1_500, T0 + 2 * DAY)
        ]
    );
    assert_eq!(
        store
            .customer_stats(ann, "CNY")
            .await
            .expect("stats")
            .total_spent,
        5_500
    );

    // Re-importing the order keeps its refunds.
    let mut tx = store.begin_write().await.expect("begin");
    tx.upsert_order(
        &order(shop, "r-1", ann, OrderStatus::PartiallyRefunded, 10_000, T0),
        &[item("A", 1, 10_000)],
    )
    .await
    .expect("re-import");
    tx.commit().await.expect("commit");
    let orders = store.customer_orders(ann, None, 10).await.expect("orders");
    assert_eq!((orders[0].refunded, orders[0].refunds.len()), (4_500, 2));
}

pub async fn stats_count_only_money_that_changed_hands(store: &dyn Store) {
    let shop = source(store, "shop").await.id;
    let ids = customers(store, 2, T0).await;
    let (ann, nobody) = (ids[0], ids[1]);
    let counted = [
        ("paid", OrderStatus::Paid, 1_000, T0 + DAY),
        ("shipped", OrderStatus::Shipped, 2_000, T0 + 2 * DAY),
        ("completed", OrderStatus::Completed, 3_000, T0 + 3 * DAY),
        ("refunded", OrderStatus::Refunded, 4_000, T0 + 4 * DAY),
        (
            "partial",
            OrderStatus::PartiallyRefunded,
            5_000,
            T0 + 5 * DAY,
        ),
    ];
    let ignored = [
        ("pending", OrderStatus::Pending, 100_000, T0),
        ("cancelled", OrderStatus::Cancelled, 100_000, T0 + 9 * DAY),
        ("closed", OrderStatus::Closed, 100_000, T0 + 10 * DAY),
    ];
    let mut tx = store.begin_write().await.expect("begin");
    let mut order_ids = Vec::new();
    for (ext, status, total, at) in counted.iter().chain(&ignored) {
        order_ids.push(
            tx.upsert_order(&order(shop, ext, ann, *status, *total, *at), &[])
                .await
                .expect("order"),
        );
    }
    let mut usd = order(shop, "usd", ann, OrderStatus::Paid, 700, T0 - DAY);
    usd.currency = "USD".to_owned();
    tx.upsert_order(&usd, &[])
        .await
        .expect("order in another currency");
    // Refunded in full and then some (a goodwill refund): spend never goes negative.
    tx.insert_refund(order_ids[3], &refund("all", 4_000, T0 + 6 * DAY))
        .await
        .expect("refund");
    tx.insert_refund(order_ids[3], &refund("goodwill", 500, T0 + 6 * DAY))
        .await
        .expect("refund");
    tx.insert_refund(order_ids[4], &refund("half", 2_500, T0 + 6 * DAY))
        .await
        .expect("refund");
    tx.commit().await.expect("commit");

    let stats = store.customer_stats(ann, "CNY").await.expect("stats");
    assert_eq!(
        stats,
        CustomerStats {
            orders_count: 5,
            // The over-refunded order adds nothing; the half-refunded one half.
            total_spent: 1_000 + 2_000 + 3_000 + 2_500,
            first_order_at: Some(T0 + DAY),
            last_order_at: Some(T0 + 5 * DAY),
        }
    );
    let usd = store.customer_stats(ann, "USD").await.expect("stats");
    assert_eq!(
        (usd.orders_count, usd.total_spent, usd.first_order_at),
        (1, 700, Some(T0 - DAY))
    );
    assert_eq!(
        store.customer_stats(nobody, "CNY").await.expect("stats"),
        CustomerStats::default()
    );

    // The engine's order facts count the same orders and money, in time order.
    let facts = store
        .order_facts_of(&[ann, nobody], "CNY")
        .await
        .expect("facts");
    let values: Vec<(i64, i64)> = facts.iter().map(|f| (f.at, f.value)).collect();
    assert_eq!(
        values,
        [
            (T0 + DAY, 1_000),
            (T0 + 2 * DAY, 2_000),
            (T0 + 3 * DAY, 3_000),
            (T0 + 4 * DAY, 0),
            (T0 + 5 * DAY, 2_500)
        ]
    );
    assert!(facts.iter().all(|f| f.customer == ann));
    let max = store.max_customer_id().await.expect("max id");
    assert_eq!(max, nobody.0.max(ann.0));
    let window = store
        .order_facts_between(CustomerId(ann.0 - 1), CustomerId(max), "CNY")
        .await
        .expect("facts");
    assert_eq!(window, facts);
    let before = store
        .order_facts_between(CustomerId(0), CustomerId(ann.0 - 1), "CNY")
        .await
        .expect("facts");
    assert!(before.is_empty(), "{before:?}");
}

pub async fn orders_page_newest_first(store: &dyn Store) {
    let shop = source(store, "shop").await.id;
    let ann = customers(store, 1, T0).await[0];
    let mut tx = store.begin_write().await.expect("begin");
    for i in 0..5 {
        let ext = format!("p-{i}");
        let id = tx
            .upsert_order(
                &order(
                    shop,
                    &ext,
                    ann,
                    OrderStatus::Paid,
                    100 * (i + 1),
                    T0 + i * DAY,
                ),
                &[item(&ext, i + 1, 100)],
            )
            .await
            .expect("order");
        tx.insert_refund(id, &refund(&format!("rf-{i}"), 10, T0 + i * DAY))
            .await
            .expect("refund");
    }
    tx.commit().await.expect("commit");

    let first = store.customer_orders(ann, None, 2).await.expect("page 1");
    assert_eq!(
        first
            .iter()
            .map(|o| o.external_id.as_str())
            .collect::<Vec<_>>(),
        ["p-4", "p-3"]
    );
    assert!(
        first
            .iter()
            .all(|o| o.items.len() == 1 && o.refunds.len() == 1),
        "each order carries its own items and refunds"
    );
    assert_eq!(first[0].items, vec![item("p-4", 5, 100)]);
    assert_eq!(first[1].refunds, vec![refund("rf-3", 10, T0 + 3 * DAY)]);
    let second = store
        .customer_orders(ann, Some(first[1].id), 2)
        .await
        .expect("page 2");
    assert_eq!(
        second
            .iter()
            .map(|o| o.external_id.as_str())
            .collect::<Vec<_>>(),
        ["p-2", "p-1"]
    );
    let third = store
        .customer_orders(ann, Some(second[1].id), 2)
        .await
        .expect("page 3");
    assert_eq!(
        third
            .iter()
            .map(|o| o.external_id.as_str())
            .collect::<Vec<_>>(),
        ["p-0"]
    );
    assert_eq!(third[0].items, vec![item("p-0", 1, 100)]);
}
