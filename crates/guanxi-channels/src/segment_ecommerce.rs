//! Segment e-commerce spec v2 events
//! (<https://segment.com/docs/connections/spec/ecommerce/v2/>): which track events change an
//! order, and which product facts behaviour events carry. Pure: the track event's properties in,
//! domain values out.

mod amount;
mod order;

pub use amount::money_from_json;
pub use order::order_change;

use guanxi_domain::{Currency, Money};
use serde_json::Value;

/// The spec events Guanxi reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcommerceEvent {
    ProductViewed,
    ProductAdded,
    CartViewed,
    CheckoutStarted,
    OrderCompleted,
    OrderUpdated,
    OrderRefunded,
    OrderCancelled,
}

const NAMES: &[(&str, EcommerceEvent)] = &[
    ("Product Viewed", EcommerceEvent::ProductViewed),
    ("Product Added", EcommerceEvent::ProductAdded),
    ("Cart Viewed", EcommerceEvent::CartViewed),
    ("Checkout Started", EcommerceEvent::CheckoutStarted),
    ("Order Completed", EcommerceEvent::OrderCompleted),
    ("Order Updated", EcommerceEvent::OrderUpdated),
    ("Order Refunded", EcommerceEvent::OrderRefunded),
    ("Order Cancelled", EcommerceEvent::OrderCancelled),
];

impl EcommerceEvent {
    /// The event a track name means: the spec's exact name (`Order Completed`), or the same words
    /// in any case with `_`/`-` for spaces (`order_completed`, as RudderStack sends). The US
    /// spelling `Order Canceled` is accepted too.
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some((_, event)) = NAMES.iter().find(|(spec, _)| *spec == name) {
            return Some(*event);
        }
        let words: Vec<String> = name
            .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let wanted = words.join(" ").replace("canceled", "cancelled");
        NAMES
            .iter()
            .find(|(spec, _)| spec.to_lowercase() == wanted)
            .map(|(_, event)| *event)
    }

    /// The spec name (`Order Completed`).
    pub fn name(&self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, event)| event == self)
            .map(|(name, _)| *name)
            .unwrap_or_default()
    }
}

/// Product facts a behaviour event carries, for the product catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFact {
    /// `product_id`, or the `sku` when the event has no product id.
    pub product_id: String,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub category: Option<String>,
    pub price: Option<Money>,
}

/// The products an event describes: the properties themselves for `Product Viewed`/`Product
/// Added`, `properties.products[]` for the others. Lenient, as facts are only hints: a product
/// with neither `product_id` nor `sku` is skipped, a malformed or negative price is left out.
/// `properties.currency` wins over `currency`, which is the default.
pub fn products(event: EcommerceEvent, properties: &Value, currency: Currency) -> Vec<ProductFact> {
    let currency = text(properties, "currency")
        .and_then(|code| Currency::parse(code).ok())
        .unwrap_or(currency);
    match event {
        EcommerceEvent::ProductViewed | EcommerceEvent::ProductAdded => {
            product_fact(properties, currency).into_iter().collect()
        }
        _ => properties
            .get("products")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|p| product_fact(p, currency))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn product_fact(product: &Value, currency: Currency) -> Option<ProductFact> {
    let sku = id_text(product, "sku");
    let product_id = id_text(product, "product_id").or_else(|| sku.clone())?;
    Some(ProductFact {
        product_id,
        sku,
        name: text(product, "name").map(str::to_owned),
        category: text(product, "category").map(str::to_owned),
        price: product
            .get("price")
            .and_then(|price| money_from_json(price, currency).ok())
            .filter(|price| price.minor() >= 0),
    })
}

/// A non-blank string property, trimmed.
fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An identifier property that SDKs send as a string or an integer (`"p-1"`, `507`).
fn id_text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_match_exactly_in_any_case_and_snake_case() {
        use EcommerceEvent::*;
        for (name, event) in NAMES {
            assert_eq!(EcommerceEvent::from_name(name), Some(*event));
            assert_eq!(event.name(), *name);
        }
        assert_eq!(
            EcommerceEvent::from_name("order_completed"),
            Some(OrderCompleted)
        );
        assert_eq!(
            EcommerceEvent::from_name("ORDER REFUNDED"),
            Some(OrderRefunded)
        );
        assert_eq!(
            EcommerceEvent::from_name("product-added"),
            Some(ProductAdded)
        );
        assert_eq!(
            EcommerceEvent::from_name("Order Canceled"),
            Some(OrderCancelled)
        );
        assert_eq!(EcommerceEvent::from_name("Order Shipped"), None);
        assert_eq!(EcommerceEvent::from_name("Completed Order"), None);
        assert_eq!(EcommerceEvent::from_name(""), None);
    }

    #[test]
    fn product_viewed_describes_one_product() {
        // The spec's Product Viewed example.
        let properties = json!({
            "product_id": "507f1f77bcf86cd799439011", "sku": "G-32", "category": "Games",
            "name": "Monopoly: 3rd Edition", "brand": "Hasbro", "variant": "200 pieces",
            "price": 18.99, "quantity": 1, "coupon": "MAYDEALS", "currency": "usd",
            "position": 3, "value": 18.99, "url": "https://www.example.com/product/path",
            "image_url": "https://www.example.com/product/path.jpg"
        });
        let facts = products(EcommerceEvent::ProductViewed, &properties, Currency::CNY);
        assert_eq!(facts.len(), 1);
        let fact = &facts[0];
        assert_eq!(fact.product_id, "507f1f77bcf86cd799439011");
        assert_eq!(fact.sku.as_deref(), Some("G-32"));
        assert_eq!(fact.category.as_deref(), Some("Games"));
        let price = fact.price.expect("price");
        assert_eq!((price.minor(), price.currency().code()), (1899, "USD"));
    }

    #[test]
    fn cart_viewed_lists_its_products_and_skips_anonymous_ones() {
        let properties = json!({
            "cart_id": "d92jd29jd92jd29j92d92jd",
            "products": [
                {"product_id": 507, "name": "Silk scarf", "price": "88.00", "quantity": 1},
                {"sku": "T-1", "name": "Tea", "price": 12.345},
                {"name": "no id at all", "price": 1}
            ]
        });
        let facts = products(EcommerceEvent::CartViewed, &properties, Currency::CNY);
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0].product_id, "507");
        assert_eq!(facts[0].price.map(|p| p.minor()), Some(8800));
        assert_eq!(facts[1].product_id, "T-1");
        assert_eq!(facts[1].price, None, "three decimals is not a CNY price");
        assert!(products(EcommerceEvent::OrderCompleted, &json!({}), Currency::CNY).is_empty());
    }
}
