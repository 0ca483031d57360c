//! The abandoned-checkout journey end to end, on a manual clock: a checkout starts it; an
//! order with the same checkout id within the hour ends it; otherwise an in-app reminder,
//! a day's wait and an SMS coupon, unless the customer buys first (the goal). A new version
//! applies to new entries while customers under way finish theirs; a runner that dies
//! mid-move loses no step and sends nothing twice.

use super::receiver::Receiver;
use crate::helpers::TestApp;
use guanxi_app::messaging::Clock;
use guanxi_domain::ShopTimeZone;
use guanxi_domain::time::to_rfc3339;
use guanxi_store::JourneyStore;
use reqwest::StatusCode;
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;

fn definition(wait_days: u32) -> Value {
    json!({
        "trigger": {"event": {"name": "Checkout Started"}},
        "goal": {"ordered": true},
        "reentry": {"after_days": 7},
        "start": "paid",
        "steps": [
            {"id": "paid", "type": "wait_for", "event": "Order Completed", "correlate": "checkout_id", "timeout_hours": 1, "then": "done", "timeout": "remind"},
            {"id": "remind", "type": "send", "channel": "in_app", "template": "cart", "next": "later"},
            {"id": "later", "type": "wait", "days": wait_days, "next": "tag"},
            {"id": "tag", "type": "tag", "add": ["cart-coupon"], "next": "coupon"},
            {"id": "coupon", "type": "send", "channel": "sms", "template": "coupon", "next": "done"},
            {"id": "done", "type": "exit"}
        ]
    })
}

struct Shop {
    app: TestApp,
    clock: Clock,
    gateway: Receiver,
}

impl Shop {
    async fn customer(&self, user: &str, phone: &str) -> i64 {
        let (status, body) = self
            .app
            .segment(
                "/v1/identify",
                &json!({"userId": user, "traits": {"phone": phone}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = self.app.customer_by(&format!("phone:{phone}")).await["id"]
            .as_i64()
            .expect("id");
        for channel in ["sms", "in_app"] {
            super::subscribe(&self.app, id, channel).await;
        }
        id
    }

    /// A tracked event with the checkout's id (an `Order Completed` also places the order).
    async fn track(&self, user: &str, event: &str, checkout: &str) {
        let mut properties = json!({"checkout_id": checkout, "order_id": checkout});
        if event == "Order Completed" {
            properties = json!({"checkout_id": checkout, "order_id": format!("o-{checkout}"),
                "total": 30.0, "currency": "CNY", "products": []});
        }
        let (status, body) = self
            .app
            .segment(
                "/v1/track",
                &json!({"userId": user, "event": event, "properties": properties}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn order(&self, id: &str, phone: &str) {
        let (status, body) = self.app.post("/api/v1/orders", &json!({"source": "api", "external_id": id, "status": "paid", "currency": "CNY",
            "total": "30.00", "created_at": to_rfc3339(self.clock.now()), "customer": {"phone": phone}, "items": []})).await;
        assert!(status.is_success(), "{body}");
    }

    async fn inbox(&self, id: i64) -> usize {
        self.app
            .get(&format!("/api/v1/customers/{id}/inbox"))
            .await
            .1["data"]
            .as_array()
            .map_or(0, Vec::len)
    }

    /// Moves journeys and sends what they decided.
    async fn run(&self) {
        self.app.tick_journeys().await;
        self.app.drain_deliveries().await;
    }

    async fn counts(&self, journey: i64) -> Vec<(i64, String, i64, i64)> {
        let (_, body) = self.app.get(&format!("/api/v1/journeys/{journey}")).await;
        body["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|c| {
                (
                    c["version"].as_i64().unwrap_or(0),
                    c["step"].as_str().unwrap_or_default().to_owned(),
                    c["entered"].as_i64().unwrap_or(0),
                    c["now"].as_i64().unwrap_or(0),
                )
            })
            .collect()
    }
}

#[tokio::test]
async fn abandoned_checkout_reminds_then_stops_the_moment_they_buy() {
    let gateway = Receiver::start(0).await;
    let clock = Clock::manual(
        guanxi_domain::time::parse_timestamp("2026-12-08 10:00:00", ShopTimeZone::CHINA)
            .expect("time"),
    );
    let app = TestApp::spawn_with_clock(clock.clone(), |c| {
        c.sms_gateway_url = Some(gateway.url("/sms"))
    })
    .await;
    let shop = Shop {
        app,
        clock,
        gateway,
    };
    let li = shop.customer("u-li", "13800000001").await;
    let han = shop.customer("u-han", "13800000002").await;
    let zhao = shop.customer("u-zhao", "13800000003").await;
    for (key, channel, text) in [
        ("cart", "in_app", "您的购物车还有商品"),
        ("coupon", "sms", "送您 10 元券"),
    ] {
        let (status, body) = shop.app.post("/api/v1/templates", &json!({"key": key, "name": key, "channel": channel, "content": {"languages": {"zh-CN": {"subject": "提醒", "text": text}}}})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut bad = definition(1);
    bad["steps"][1]["template"] = json!("nope");
    let (status, body) = shop
        .app
        .post(
            "/api/v1/journeys",
            &json!({"key": "cart", "name": "Abandoned checkout", "definition": bad}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("steps[1].template")),
        "{body}"
    );
    let (status, created) = shop
        .app
        .post(
            "/api/v1/journeys",
            &json!({"key": "cart", "name": "Abandoned checkout", "definition": definition(1)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let journey = created["id"].as_i64().expect("id");
    // A draft starts nobody.
    shop.track("u-li", "Checkout Started", "c-0").await;
    shop.run().await;
    let (status, active) = shop
        .app
        .post(
            &format!("/api/v1/journeys/{journey}/status"),
            &json!({"status": "active"}),
        )
        .await;
    assert_eq!(
        (status, active["status"].as_str()),
        (StatusCode::OK, Some("active")),
        "{active}"
    );

    for (user, checkout) in [("u-li", "c-1"), ("u-han", "c-2"), ("u-zhao", "c-3")] {
        shop.track(user, "Checkout Started", checkout).await;
    }
    shop.run().await;
    assert!(
        shop.counts(journey)
            .await
            .contains(&(1, "paid".into(), 3, 3)),
        "{:?}",
        shop.counts(journey).await
    );

    // Han completes another checkout (no match: he stays), then his own: his run ends at
    // once, before any reminder.
    shop.track("u-han", "Order Completed", "c-other").await;
    shop.run().await;
    assert!(
        shop.counts(journey)
            .await
            .contains(&(1, "paid".into(), 3, 3))
    );
    shop.track("u-han", "Order Completed", "c-2").await;
    shop.run().await;
    assert!(
        shop.counts(journey)
            .await
            .contains(&(1, "paid".into(), 3, 2)),
        "{:?}",
        shop.counts(journey).await
    );

    // An hour on, Li and Zhao get the reminder, once.
    shop.clock.advance(HOUR + 1_000);
    shop.run().await;
    shop.run().await;
    assert_eq!(
        (
            shop.inbox(li).await,
            shop.inbox(zhao).await,
            shop.inbox(han).await
        ),
        (1, 1, 0)
    );

    // A new version: a two-day wait. Li and Zhao finish version 1.
    let response = shop
        .app
        .http
        .put(shop.app.url(&format!("/api/v1/journeys/{journey}")))
        .bearer_auth(&shop.app.admin_key)
        .json(&json!({"name": "Abandoned checkout", "definition": definition(2)}))
        .send()
        .await
        .expect("publish");
    let (status, published) = crate::helpers::split(response).await;
    assert_eq!(
        (status, published["version"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{published}"
    );

    // Li buys before the day is out: the goal ends her run, so no coupon.
    shop.clock.advance(2 * HOUR);
    shop.order("li-1", "13800000001").await;

    // A runner claims the due runs and dies; nothing moves until its lease runs out.
    shop.clock.advance(22 * HOUR);
    let now = shop.clock.now();
    let claimed = shop
        .app
        .store
        .claim_due_runs(now, now + 5 * 60_000, 100)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2, "Li's and Zhao's waits are due");
    shop.run().await;
    assert!(shop.gateway.requests("/sms").is_empty());
    shop.clock.advance(5 * 60_000);
    shop.run().await;
    shop.run().await;
    let sms = shop.gateway.requests("/sms");
    assert_eq!(sms.len(), 1, "only Zhao, once: {sms:?}");
    assert!(sms[0].body.contains("+8613800000003"), "{}", sms[0].body);
    let tags = shop.app.get(&format!("/api/v1/customers/{zhao}")).await.1["tags"].clone();
    assert!(
        tags.as_array()
            .expect("tags")
            .iter()
            .any(|t| t == "cart-coupon"),
        "{tags}"
    );
    let counts = shop.counts(journey).await;
    assert!(counts.contains(&(1, "coupon".into(), 1, 0)), "{counts:?}");
    assert!(
        counts.contains(&(1, "done".into(), 2, 0)),
        "Han and Zhao reached the end: {counts:?}"
    );

    // Zhao buys with the coupon: the order is the SMS step's, within its one-day window.
    shop.order("zhao-1", "13800000003").await;
    let (_, results) = shop
        .app
        .get(&format!("/api/v1/journeys/{journey}/results"))
        .await;
    let coupon = results["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step"] == "coupon" && s["version"] == 1)
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            coupon["sent"].as_u64(),
            coupon["orders"].as_u64(),
            coupon["revenue"].as_str()
        ),
        (Some(1), Some(1), Some("30.00")),
        "{results}"
    );
    assert_eq!(
        (results["revenue"].as_str(), results["cost"].as_str()),
        (Some("30.00"), Some("0.05")),
        "the SMS cost 5 fen: {results}"
    );

    // Re-entry waits seven days; a checkout after that starts version 2.
    shop.track("u-zhao", "Checkout Started", "c-4").await;
    shop.run().await;
    assert!(
        !shop.counts(journey).await.iter().any(|c| c.0 == 2),
        "too soon to enter again"
    );
    shop.clock.advance(7 * 24 * HOUR);
    shop.track("u-zhao", "Checkout Started", "c-5").await;
    shop.run().await;
    assert!(
        shop.counts(journey)
            .await
            .contains(&(2, "paid".into(), 1, 1)),
        "{:?}",
        shop.counts(journey).await
    );
    shop.app.stop().await;
}
