//! The dashboard's figures: only money that changed hands, in the shop's currency, inside the
//! period, cut into the shop's local days; merged-away customers are not people of their own.

use crate::{DAY, T0, customers, order, source};
use guanxi_domain::OrderStatus;
use guanxi_domain::resolution::MergeDecision;
use guanxi_store::{ChannelFigures, DayFigures, FiguresQuery, RefundRow, Store};

const HOUR: i64 = 3_600_000;

pub async fn figures_count_the_period_in_local_days(store: &dyn Store) {
    let web = source(store, "web").await.id;
    let tmall = source(store, "tmall").await.id;
    let old = customers(store, 3, T0 - 10 * DAY).await;
    let (a, b, c) = (old[0], old[1], old[2]);
    let new = customers(store, 2, T0 + DAY).await;
    let (d, e) = (new[0], new[1]);

    let mut tx = store.begin_write().await.expect("begin");
    let counted = [
        ("a1", web, a, OrderStatus::Paid, 1_000, T0 + HOUR),
        (
            "a2",
            web,
            a,
            OrderStatus::Completed,
            2_000,
            T0 + DAY + 17 * HOUR,
        ),
        (
            "b1",
            tmall,
            b,
            OrderStatus::Shipped,
            3_000,
            T0 + 15 * HOUR + 59 * 60_000,
        ),
        ("b2", tmall, b, OrderStatus::Refunded, 4_000, T0 + 2 * DAY),
        (
            "d1",
            web,
            d,
            OrderStatus::PartiallyRefunded,
            6_000,
            T0 + 3 * DAY,
        ),
    ];
    let mut ids = Vec::new();
    for (ext, source, customer, status, total, at) in counted {
        ids.push(
            tx.upsert_order(&order(source, ext, customer, status, total, at), &[])
                .await
                .expect("order"),
        );
    }
    let ignored = [
        ("c1", tmall, OrderStatus::Pending, 100_000, T0 + DAY),
        ("c2", web, OrderStatus::Paid, 5_000, T0 - HOUR),
        ("c3", web, OrderStatus::Paid, 5_000, T0 + 7 * DAY),
    ];
    for (ext, source, status, total, at) in ignored {
        tx.upsert_order(&order(source, ext, c, status, total, at), &[])
            .await
            .expect("order");
    }
    let mut usd = order(web, "c4", c, OrderStatus::Paid, 700, T0 + DAY);
    usd.currency = "USD".to_owned();
    tx.upsert_order(&usd, &[]).await.expect("order");
    for (order_id, amount) in [(ids[3], 4_000), (ids[4], 2_500)] {
        let refund = RefundRow {
            external_id: format!("r{order_id}"),
            amount,
            created_at: T0 + 4 * DAY,
            reason: None,
        };
        tx.insert_refund(order_id, &refund).await.expect("refund");
    }
    let merge = MergeDecision {
        from: e,
        into: d,
        reason: "same phone".to_owned(),
    };
    tx.merge_customer(&merge, T0 + 2 * DAY)
        .await
        .expect("merge");
    tx.commit().await.expect("commit");

    let figures = store
        .shop_figures(&FiguresQuery {
            from: T0,
            to: T0 + 7 * DAY,
            utc_offset_ms: 8 * HOUR,
            currency: "CNY".to_owned(),
        })
        .await
        .expect("figures");
    assert_eq!(figures.customers, 4, "e was merged into d");
    assert_eq!(figures.new_customers, 1, "d is new; a, b, c are older");
    assert_eq!((figures.buyers, figures.repeat_buyers), (3, 2));
    assert_eq!(figures.orders, 5);
    assert_eq!(figures.revenue, 1_000 + 2_000 + 3_000 + 3_500);

    // 2024-05-01 in Shanghai is day 19844 since 1970; 23:59 there is still that day, and
    // 17:00 UTC on 2 May is 01:00 on 3 May there.
    let day = |day, orders, revenue, new_customers| DayFigures {
        day,
        orders,
        revenue,
        new_customers,
    };
    assert_eq!(
        figures.days,
        [
            day(19844, 2, 4_000, 0),
            day(19845, 0, 0, 1),
            day(19846, 2, 2_000, 0),
            day(19847, 1, 3_500, 0),
        ]
    );
    let channel = |source: &str, orders, revenue| ChannelFigures {
        source: source.to_owned(),
        orders,
        revenue,
    };
    assert_eq!(
        figures.channels,
        [channel("web", 3, 6_500), channel("tmall", 2, 3_000)]
    );
}
