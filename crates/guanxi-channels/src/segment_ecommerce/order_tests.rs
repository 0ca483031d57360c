use super::*;
use guanxi_domain::{DefaultRegion, IdentityKind};
use serde_json::json;

const SOURCE: SourceId = SourceId(7);
const AT: Millis = 1_790_000_000_000;

fn sender() -> Vec<IdentityKey> {
    let region = DefaultRegion::default();
    vec![
        IdentityKey::new(
            IdentityKind::UserId {
                source: "web".into(),
            },
            "u-42",
            region,
        )
        .expect("id"),
        IdentityKey::new(IdentityKind::Email, "li.na@example.cn", region).expect("email"),
    ]
}

fn change(name: &str, properties: Value) -> Result<Option<OrderChange>, FieldError> {
    let event = EcommerceEvent::from_name(name).expect("known event");
    order_change(event, &properties, SOURCE, AT, &sender())
}

fn upsert(name: &str, properties: Value) -> OrderInput {
    match change(name, properties) {
        Ok(Some(OrderChange::Upsert(order))) => order,
        other => panic!("expected an upsert, got {other:?}"),
    }
}

/// The spec's Order Completed example.
fn order_completed() -> Value {
    json!({
        "checkout_id": "fksdjfsdjfisjf9sdfjsd9f", "order_id": "50314b8e9bcf000000000000",
        "affiliation": "Google Store", "total": 27.50, "subtotal": 22.50, "revenue": 25.00,
        "shipping": 3, "tax": 2, "discount": 2.5, "coupon": "hasbros", "currency": "USD",
        "products": [
            {"product_id": "507f1f77bcf86cd799439011", "sku": "45790-32",
             "name": "Monopoly: 3rd Edition", "price": 19, "quantity": 1, "category": "Games",
             "url": "https://www.example.com/product/path",
             "image_url": "https:///www.example.com/product/path.jpg"},
            {"product_id": "505bd76785ebb509fc183733", "sku": "46493-32", "name": "Uno Card Game",
             "price": 3, "quantity": 2, "category": "Games"}
        ]
    })
}

#[test]
fn order_completed_upserts_a_paid_order_for_the_sender() {
    let order = upsert("Order Completed", order_completed());
    assert_eq!(order.external_id, "50314b8e9bcf000000000000");
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(
        (order.total.minor(), order.currency().code()),
        (2750, "USD")
    );
    assert_eq!(order.created_at, AT);
    assert_eq!(order.customer.identities, sender());
    assert_eq!(order.items.len(), 2);
    assert_eq!(order.items[0].sku, "45790-32");
    assert_eq!(order.items[1].quantity, 2);
    assert_eq!(order.items[1].price.minor(), 300);
    assert_eq!(order.items[1].category.as_deref(), Some("Games"));
    assert_eq!(order.validate(), Ok(()));
}

#[test]
fn total_falls_back_to_revenue_then_products_and_currency_to_cny() {
    let mut properties = order_completed();
    properties["total"] = Value::Null;
    properties["currency"] = Value::Null;
    assert_eq!(
        upsert("order_completed", properties.clone()).total,
        Money::from_minor(2500, Currency::CNY)
    );
    properties
        .as_object_mut()
        .expect("object")
        .remove("revenue");
    let order = upsert("order_completed", properties);
    assert_eq!(order.total.minor(), 19 * 100 + 2 * 3 * 100);
    let order = upsert(
        "Order Completed",
        json!({"order_id": 1001, "total": "88.50"}),
    );
    assert_eq!(
        (order.external_id.as_str(), order.total.minor()),
        ("1001", 8850)
    );
    assert!(order.items.is_empty());
}

#[test]
fn order_updated_takes_a_known_status_else_paid() {
    let mut properties = order_completed();
    properties["status"] = json!("shipped");
    assert_eq!(
        upsert("Order Updated", properties.clone()).status,
        OrderStatus::Shipped
    );
    properties["status"] = json!("on its way");
    assert_eq!(
        upsert("Order Updated", properties.clone()).status,
        OrderStatus::Paid
    );
    properties["status"] = json!("shipped");
    assert_eq!(
        upsert("Order Completed", properties).status,
        OrderStatus::Paid
    );
}

#[test]
fn errors_name_the_property() {
    let field =
        |name: &str, properties: Value| change(name, properties).map(|_| ()).map_err(|e| e.field);
    assert_eq!(
        field("Order Completed", json!({"total": 1})),
        Err("properties.order_id".into())
    );
    assert_eq!(
        field("Order Cancelled", json!({"order_id": " "})),
        Err("properties.order_id".into())
    );
    assert_eq!(
        field("Order Completed", json!({"order_id": "o1"})),
        Err("properties.total".into())
    );
    assert_eq!(
        field("Order Completed", json!({"order_id": "o1", "total": 1.234})),
        Err("properties.total".into())
    );
    assert_eq!(
        field(
            "Order Completed",
            json!({"order_id": "o1", "currency": "yuan", "total": 1})
        ),
        Err("properties.currency".into())
    );
    let mut properties = order_completed();
    properties["products"][1]["price"] = json!("three");
    assert_eq!(
        field("Order Completed", properties.clone()),
        Err("properties.products[1].price".into())
    );
    properties["products"][1]["price"] = json!(3);
    properties["products"][1]["quantity"] = json!(0);
    assert_eq!(
        field("Order Completed", properties),
        Err("properties.products[1].quantity".into())
    );
}

#[test]
fn order_refunded_refunds_the_total_with_a_stable_id() {
    let properties =
        json!({"order_id": "50314b8e9bcf000000000000", "total": 30, "currency": "USD"});
    let Ok(Some(OrderChange::Refund {
        source,
        order_external_id,
        refund,
    })) = change("Order Refunded", properties.clone())
    else {
        panic!("expected a refund");
    };
    assert_eq!(
        (source, order_external_id.as_str()),
        (SOURCE, "50314b8e9bcf000000000000")
    );
    assert_eq!(
        (refund.amount.minor(), refund.amount.currency().code()),
        (3000, "USD")
    );
    assert_eq!(refund.created_at, AT);
    let Ok(Some(OrderChange::Refund { refund: again, .. })) = change("Order Refunded", properties)
    else {
        panic!("expected a refund");
    };
    assert_eq!(
        again.external_id, refund.external_id,
        "a retried event is the same refund"
    );
}

#[test]
fn partial_refund_sums_its_products_and_keeps_a_given_refund_id() {
    let properties = json!({
        "order_id": "o-9", "refund_id": "r-1", "reason": "damaged",
        "products": [{"product_id": "p1", "sku": "S1", "price": 44.25, "quantity": 2}]
    });
    let Ok(Some(OrderChange::Refund { refund, .. })) = change("Order Refunded", properties) else {
        panic!("expected a refund");
    };
    assert_eq!(refund.amount, Money::from_minor(8850, Currency::CNY));
    assert_eq!(
        (refund.external_id.as_str(), refund.reason.as_deref()),
        ("r-1", Some("damaged"))
    );
    let error = change("Order Refunded", json!({"order_id": "o-9"})).expect_err("no amount");
    assert_eq!(error.field, "properties.total");
}

#[test]
fn order_cancelled_moves_the_status_and_behaviour_events_change_nothing() {
    assert_eq!(
        change("Order Cancelled", json!({"order_id": "o-9", "total": 10})),
        Ok(Some(OrderChange::Status {
            source: SOURCE,
            external_id: "o-9".into(),
            status: OrderStatus::Cancelled,
            at: AT,
        }))
    );
    for name in [
        "Product Viewed",
        "Product Added",
        "Cart Viewed",
        "Checkout Started",
    ] {
        assert_eq!(change(name, order_completed()), Ok(None), "{name}");
    }
}
