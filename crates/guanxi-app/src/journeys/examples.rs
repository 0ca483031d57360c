//! Journeys to start from: what a new journey's editor offers and the demo shop has.

/// The abandoned-checkout flow most shops begin with: wait an hour for the order of the same
/// checkout; otherwise an e-mail (`cart_reminder`), a day's wait, and unless they bought by
/// then an SMS coupon (`cart_coupon`). Buying ends it at any point.
pub const ABANDONED_CHECKOUT: &str = r#"{
  "trigger": {"event": {"name": "Checkout Started"}},
  "goal": {"ordered": true},
  "reentry": {"after_days": 7},
  "start": "wait_order",
  "steps": [
    {"id": "wait_order", "type": "wait_for", "event": "Order Completed", "correlate": "checkout_id",
     "timeout_hours": 1, "then": "done", "timeout": "email"},
    {"id": "email", "type": "send", "channel": "email", "template": "cart_reminder", "next": "a_day"},
    {"id": "a_day", "type": "wait", "days": 1, "next": "ordered"},
    {"id": "ordered", "type": "branch", "condition": {"ordered_since_entry": true}, "yes": "done", "no": "sms"},
    {"id": "sms", "type": "send", "channel": "sms", "template": "cart_coupon", "next": "done"},
    {"id": "done", "type": "exit"}
  ]
}"#;

#[cfg(test)]
mod tests {
    #[test]
    fn the_examples_are_journeys() {
        let value = serde_json::from_str(super::ABANDONED_CHECKOUT).expect("JSON");
        guanxi_domain::journey::Definition::parse(&value).expect("a journey");
    }
}
