//! The demo shop's engagement, so the console's campaigns, journeys and templates have
//! something to show: bilingual templates, a win-back campaign on the at-risk customers (a
//! draft: demo customers gave no consent, and nothing is sent unasked), and the abandoned
//! checkout and birthday journeys, drafts too. Created by the demo owner, through the same use
//! cases as the console, so they are audited like any other.

use crate::App;
use guanxi_app::journeys;
use guanxi_app::messaging::campaign::{self, CampaignForm};
use guanxi_app::messaging::templates::{self, TemplateForm};
use guanxi_app::staff::{principal_for_user, role};
use guanxi_store::{MessagingStore, StaffStore};
use serde_json::{Value, json};

fn templates() -> [(&'static str, &'static str, &'static str, Value); 4] {
    [
        (
            "winback",
            "We miss you / 好久不见",
            "email",
            json!({"languages": {
                "zh-CN": {"subject": "{{ first_name }}，好久不见", "text": "{{ first_name }}，我们上新了。回来看看吧：送您专属券 {{ coupon_code }}。\n\n{{ shop_name }}"},
                "en": {"subject": "We miss you, {{ first_name }}", "text": "Hi {{ first_name }}, there is a lot new since your last visit. Your own code: {{ coupon_code }}.\n\n{{ shop_name }}"}},
                "defaults": {"first_name": "朋友"}}),
        ),
        (
            "cart_reminder",
            "Cart reminder / 购物车提醒",
            "email",
            json!({"languages": {
                "zh-CN": {"subject": "您的购物车还在等您", "text": "{{ first_name }}，您挑选的商品还在购物车里。"},
                "en": {"subject": "Your cart is waiting", "text": "Hi {{ first_name }}, the things you chose are still in your cart."}},
                "defaults": {"first_name": "朋友"}}),
        ),
        (
            "cart_coupon",
            "Cart coupon SMS / 购物车优惠券短信",
            "sms",
            json!({"languages": {"zh-CN": {"text": "【{{ shop_name }}】购物车商品限时优惠，券码 {{ coupon_code }}"}}}),
        ),
        (
            "birthday",
            "Birthday / 生日祝福",
            "in_app",
            json!({"languages": {
                "zh-CN": {"subject": "生日快乐", "text": "{{ first_name }}，生日快乐！这是您的生日礼券 {{ coupon_code }}。"},
                "en": {"subject": "Happy birthday", "text": "Happy birthday, {{ first_name }}! Here is a gift: {{ coupon_code }}."}},
                "defaults": {"first_name": "朋友"}}),
        ),
    ]
}

/// Creates the demo's templates, campaign and journeys as the demo owner; a second run (a
/// database that has them) leaves them as they are.
pub async fn load(app: &App) -> anyhow::Result<()> {
    if !app.store.templates().await?.is_empty() {
        return Ok(());
    }
    let store = app.store.as_ref();
    let owner = store.user_by_email(super::users::DEMO_OWNER).await?;
    let principal = principal_for_user(&owner, &role(store, &owner.role).await?);
    let messaging = &app.messaging;
    for (key, name, channel, content) in templates() {
        let form = TemplateForm {
            key: key.into(),
            name: name.into(),
            channel: channel.into(),
            content,
        };
        templates::create(messaging, &principal, &form).await?;
    }
    let winback = CampaignForm {
        name: "Win back the at-risk / 唤回流失风险顾客".into(),
        channel: "email".into(),
        spec: json!({"audience": {"segments": ["lifecycle-at_risk"]},
            "variants": [{"key": "a", "template": "winback"}], "holdout_percent": 10}),
        send_at: None,
    };
    campaign::create(messaging, &principal, &winback).await?;
    let checkout: Value = serde_json::from_str(journeys::examples::ABANDONED_CHECKOUT)?;
    journeys::create(
        messaging,
        &principal,
        "abandoned_checkout",
        "Abandoned checkout / 购物车挽回",
        &checkout,
    )
    .await?;
    let birthday = json!({
        "trigger": {"date": {"attribute": "birthday", "days_before": 0, "time": "09:00"}},
        "reentry": "always",
        "start": "greet",
        "steps": [
            {"id": "greet", "type": "send", "channel": "in_app", "template": "birthday", "next": "tag"},
            {"id": "tag", "type": "tag", "add": ["birthday-greeted"], "next": "done"},
            {"id": "done", "type": "exit"}
        ]
    });
    journeys::create(
        messaging,
        &principal,
        "birthday",
        "Birthday / 生日祝福",
        &birthday,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use guanxi_store::JourneyStore;

    #[tokio::test]
    async fn the_demo_has_templates_a_campaign_and_journeys_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::Config {
            database_url: format!("sqlite://{}/demo.db", dir.path().display()),
            ..crate::Config::default()
        };
        let app = App::build(&config).await.expect("app");
        super::super::users::demo_owner(&app).await.expect("owner");
        load(&app).await.expect("engagement");
        load(&app).await.expect("a second run");
        assert_eq!(app.store.templates().await.expect("templates").len(), 4);
        assert_eq!(app.store.campaigns().await.expect("campaigns").len(), 1);
        let journeys = app.store.journeys().await.expect("journeys");
        assert_eq!(journeys.len(), 2);
        assert!(
            journeys.iter().all(|j| j.status == "draft"),
            "nothing runs unasked"
        );
        app.shutdown().await;
    }
}
