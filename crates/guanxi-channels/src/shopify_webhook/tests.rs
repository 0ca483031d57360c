use super::*;
use guanxi_domain::{OrderInput, OrderStatus};
use serde_json::json;

const SOURCE: SourceId = SourceId(3);
/// 2021-12-31T19:00:00-05:00, when the fixture order was created.
const CREATED: i64 = 1_640_995_200_000;

fn fixture(name: &str) -> Value {
    let text = match name {
        "orders_create" => include_str!("../../tests/fixtures/shopify/orders_create.json"),
        "orders_updated" => {
            include_str!("../../tests/fixtures/shopify/orders_updated_partially_refunded.json")
        }
        "refunds_create" => include_str!("../../tests/fixtures/shopify/refunds_create.json"),
        "customers_create" => include_str!("../../tests/fixtures/shopify/customers_create.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

fn record(topic: &str, body: &Value) -> Result<ShopifyRecord, FieldError> {
    parse(
        topic.parse().expect("topic"),
        body,
        SOURCE,
        DefaultRegion::default(),
    )
}

fn order(topic: &str, body: &Value) -> OrderInput {
    match record(topic, body) {
        Ok(ShopifyRecord::Order(OrderChange::Upsert(order))) => order,
        other => panic!("expected an order upsert, got {other:?}"),
    }
}

fn error_field(topic: &str, body: &Value) -> String {
    record(topic, body).expect_err("an error").field
}

fn kinds(keys: &[guanxi_domain::IdentityKey]) -> Vec<String> {
    keys.iter().map(|k| k.kind().name()).collect()
}

#[test]
fn topics_come_from_the_header() {
    for (name, topic) in TOPICS {
        assert_eq!(name.parse::<ShopifyTopic>(), Ok(*topic));
        assert_eq!(topic.as_str(), *name);
    }
    assert_eq!(
        "products/update".parse::<ShopifyTopic>(),
        Err(UnsupportedTopic("products/update".into()))
    );
}

#[test]
fn orders_create_becomes_a_paid_order_with_its_items() {
    let order = order("orders/create", &fixture("orders_create"));
    assert_eq!(order.external_id, "820982911946154508");
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(
        (order.total.minor(), order.currency().code()),
        (40_300, "USD")
    );
    assert_eq!(order.created_at, CREATED);
    assert_eq!(order.items.len(), 2);
    assert_eq!(
        (order.items[0].sku.as_str(), order.items[0].price.minor()),
        ("IPOD2008PINK", 19_900)
    );
    let scarf = &order.items[1];
    assert_eq!(scarf.sku, "808950811", "no sku: the variant id stands in");
    assert_eq!(
        (scarf.name.as_str(), scarf.quantity, scarf.price.minor()),
        ("Silk Scarf - Red", 2, 9950)
    );
    assert_eq!(scarf.category.as_deref(), Some("Accessories"));
    assert!(order.refunds.is_empty());
    assert_eq!(order.validate(), Ok(()));
}

#[test]
fn the_buyer_is_identified_by_customer_id_then_emails_then_valid_phones() {
    let order = order("orders/create", &fixture("orders_create"));
    let identities = &order.customer.identities;
    assert_eq!(
        kinds(identities),
        ["shopify_customer", "email", "email", "phone"]
    );
    let values: Vec<&str> = identities.iter().map(|k| k.value()).collect();
    assert_eq!(
        values,
        [
            "115310627314723954",
            "john@example.com",
            "jon@example.com",
            "+14155552671"
        ]
    );
    let traits = &order.customer.traits;
    assert_eq!(traits.get("name"), Some(&json!("John Smith")));
    assert_eq!(traits.get("city"), Some(&json!("Shippington")));
    assert_eq!(traits.get("country"), Some(&json!("United States")));
}

#[test]
fn a_guest_order_with_the_same_email_twice_has_it_once() {
    let mut body = fixture("orders_create");
    body["customer"] = Value::Null;
    body["email"] = json!("Jon@Example.com");
    body["billing_address"]["phone"] = json!("138****5678");
    let order = order("orders/paid", &body);
    assert_eq!(kinds(&order.customer.identities), ["email"]);
    assert_eq!(
        order.customer.traits.get("name"),
        Some(&json!("Steve Shipper"))
    );
}

#[test]
fn status_follows_payment_fulfilment_and_cancellation() {
    let cases = [
        (json!({"financial_status": "pending"}), OrderStatus::Pending),
        (
            json!({"financial_status": "authorized"}),
            OrderStatus::Pending,
        ),
        (
            json!({"financial_status": "partially_paid"}),
            OrderStatus::Paid,
        ),
        (json!({"fulfillment_status": "partial"}), OrderStatus::Paid),
        (
            json!({"fulfillment_status": "fulfilled"}),
            OrderStatus::Shipped,
        ),
        (
            json!({"fulfillment_status": "fulfilled", "closed_at": "2022-01-09T10:00:00-05:00"}),
            OrderStatus::Completed,
        ),
        (
            json!({"financial_status": "pending", "fulfillment_status": "fulfilled"}),
            OrderStatus::Pending,
        ),
        (
            json!({"financial_status": "refunded", "fulfillment_status": "fulfilled"}),
            OrderStatus::Refunded,
        ),
        (
            json!({"financial_status": "partially_refunded"}),
            OrderStatus::PartiallyRefunded,
        ),
        (
            json!({"financial_status": "voided"}),
            OrderStatus::Cancelled,
        ),
        (
            json!({"cancelled_at": "2022-01-02T10:00:00-05:00", "financial_status": "refunded"}),
            OrderStatus::Cancelled,
        ),
    ];
    for (changes, expected) in cases {
        let mut body = fixture("orders_create");
        for (key, value) in changes.as_object().expect("object") {
            body[key] = value.clone();
        }
        assert_eq!(order("orders/updated", &body).status, expected, "{changes}");
    }
}

#[test]
fn every_order_topic_upserts_the_same_order() {
    let mut body = fixture("orders_create");
    body["cancelled_at"] = json!("2022-01-02T10:00:00-05:00");
    let cancelled = order("orders/cancelled", &body);
    assert_eq!(
        cancelled.external_id,
        order("orders/create", &fixture("orders_create")).external_id
    );
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
}

#[test]
fn an_updated_order_carries_its_successful_refunds() {
    let order = order("orders/updated", &fixture("orders_updated"));
    assert_eq!(order.status, OrderStatus::PartiallyRefunded);
    assert_eq!(order.refunds.len(), 1);
    let refund = &order.refunds[0];
    assert_eq!(refund.external_id, "890088186047892319");
    assert_eq!(
        refund.amount.minor(),
        8950 + 1000,
        "the failed transaction is not money refunded"
    );
    assert_eq!(refund.reason.as_deref(), Some("Things were damaged"));
    assert_eq!(order.validate(), Ok(()));
}

#[test]
fn refunds_create_refunds_the_order() {
    let Ok(ShopifyRecord::Order(OrderChange::Refund {
        source,
        order_external_id,
        refund,
    })) = record("refunds/create", &fixture("refunds_create"))
    else {
        panic!("expected a refund");
    };
    assert_eq!(
        (source, order_external_id.as_str()),
        (SOURCE, "820982911946154508")
    );
    assert_eq!(refund.external_id, "890088186047892319");
    assert_eq!(
        (refund.amount.minor(), refund.amount.currency().code()),
        (9950, "USD")
    );
    assert_eq!(refund.created_at, 1_641_393_000_000);
}

#[test]
fn a_refund_that_moved_no_money_records_nothing() {
    let mut body = fixture("refunds_create");
    body["transactions"][1]["status"] = json!("pending");
    body["transactions"][2]["status"] = json!("failure");
    assert_eq!(record("refunds/create", &body), Ok(ShopifyRecord::Nothing));
    body["transactions"] = json!([]);
    assert_eq!(record("refunds/create", &body), Ok(ShopifyRecord::Nothing));
}

#[test]
fn refund_currencies_must_be_known_and_agree() {
    let mut body = fixture("refunds_create");
    body["transactions"][1]
        .as_object_mut()
        .expect("object")
        .remove("currency");
    assert_eq!(
        error_field("refunds/create", &body),
        "transactions[1].currency"
    );
    let mut body = fixture("refunds_create");
    body["transactions"][2]["currency"] = json!("EUR");
    assert_eq!(
        error_field("refunds/create", &body),
        "transactions[2].currency"
    );
    let mut body = fixture("orders_updated");
    body["refunds"][0]["transactions"][1]["currency"] = json!("CAD");
    assert_eq!(
        error_field("orders/updated", &body),
        "refunds[0].transactions[1].currency"
    );
}

#[test]
fn missing_required_fields_are_named_by_path() {
    let without = |key: &str| {
        let mut body = fixture("orders_create");
        body.as_object_mut().expect("object").remove(key);
        error_field("orders/create", &body)
    };
    for key in ["id", "total_price", "currency", "created_at"] {
        assert_eq!(without(key), key);
    }
    let mut body = fixture("orders_create");
    body["line_items"][1]["price"] = json!("ninety");
    assert_eq!(error_field("orders/create", &body), "line_items[1].price");
    body["line_items"][1]["price"] = json!("99.50");
    body["line_items"][1]["quantity"] = json!(0);
    assert_eq!(
        error_field("orders/create", &body),
        "line_items[1].quantity"
    );
    let mut body = fixture("orders_create");
    body["created_at"] = json!("yesterday");
    assert_eq!(error_field("orders/create", &body), "created_at");
    let mut body = fixture("refunds_create");
    body["order_id"] = Value::Null;
    assert_eq!(error_field("refunds/create", &body), "order_id");
    assert_eq!(error_field("orders/create", &json!([1, 2])), "");
}

#[test]
fn errors_carry_no_personal_data() {
    let mut body = fixture("orders_create");
    body["customer"]["email"] = json!("not-an-email");
    body["phone"] = json!("+86 138 0013 8000");
    body["line_items"][0]["price"] = json!("see jon@example.com");
    let error = record("orders/create", &body)
        .expect_err("bad price")
        .to_string();
    assert!(error.starts_with("line_items[0].price"), "{error}");
    assert!(
        !error.contains("not-an-email") && !error.contains("138"),
        "{error}"
    );
}

#[test]
fn customers_create_becomes_a_profile() {
    let Ok(ShopifyRecord::Profile(profile)) =
        record("customers/create", &fixture("customers_create"))
    else {
        panic!("expected a profile");
    };
    assert_eq!(profile.source, SOURCE);
    assert_eq!(
        kinds(&profile.identities),
        ["shopify_customer", "email", "phone"]
    );
    assert_eq!(
        profile.identities[2].value(),
        "+8613812345678",
        "the masked phone is skipped"
    );
    assert_eq!(profile.traits.get("name"), Some(&json!("Bob Biller")));
    assert_eq!(profile.traits.get("accepts_marketing"), Some(&json!(true)));
    assert_eq!(profile.traits.get("city"), Some(&json!("Shanghai")));
    assert_eq!(profile.tags, ["VIP", "wholesale"]);
    assert_eq!(profile.updated_at, 1_641_129_300_000);
}

#[test]
fn marketing_consent_wins_over_the_old_flag() {
    let mut body = fixture("customers_create");
    body["email_marketing_consent"]["state"] = json!("unsubscribed");
    let Ok(ShopifyRecord::Profile(profile)) = record("customers/update", &body) else {
        panic!("expected a profile");
    };
    assert_eq!(profile.traits.get("accepts_marketing"), Some(&json!(false)));
    body.as_object_mut().expect("object").remove("updated_at");
    body.as_object_mut().expect("object").remove("created_at");
    assert_eq!(error_field("customers/update", &body), "updated_at");
}
