//! SMS through an HTTP gateway the shop configures: URL, method, headers and a body template,
//! so Aliyun-, Tencent- or Twilio-style gateways work without code. The body template sees
//! `phone`, `text`, `delivery_id` and `segments` (use `|tojson` in JSON bodies, `|urlencode`
//! in form bodies). Marketing texts end with the opt-out hint carriers require (回T退订).

use super::{Outgoing, SendError, Sender, http_error, http_outcome};
use async_trait::async_trait;
use guanxi_domain::messaging::{Channel, SmsLength};
use minijinja::Environment;
use serde_json::json;
use std::time::Duration;

/// The opt-out hint appended to marketing texts that lack one.
pub const OPT_OUT_HINT: &str = "回T退订";

#[derive(Clone, PartialEq, Eq)]
pub struct SmsGatewayConfig {
    pub url: String,
    /// `POST` (default) or `GET`.
    pub method: String,
    pub headers: Vec<(String, String)>,
    /// `{"to": {{ phone|tojson }}, "text": {{ text|tojson }}}`.
    pub body: String,
    pub per_second: u32,
}

pub struct SmsGateway {
    config: SmsGatewayConfig,
    method: reqwest::Method,
    http: reqwest::Client,
}

impl SmsGateway {
    pub fn new(config: SmsGatewayConfig) -> Result<Self, String> {
        let method = reqwest::Method::from_bytes(config.method.trim().to_uppercase().as_bytes())
            .map_err(|_| {
                format!(
                    "the SMS gateway method {:?} is not an HTTP method",
                    config.method
                )
            })?;
        Environment::new()
            .template_from_str(&config.body)
            .map_err(|e| format!("the SMS gateway body template is not valid: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("the SMS gateway client cannot start: {e}"))?;
        Ok(Self {
            config,
            method,
            http,
        })
    }

    /// The text as sent: marketing gets the opt-out hint unless the author wrote one.
    pub fn text_of(text: &str, transactional: bool) -> String {
        let text = text.trim();
        if transactional || text.contains(OPT_OUT_HINT) || text.contains("退订") {
            text.to_owned()
        } else {
            format!("{text} {OPT_OUT_HINT}")
        }
    }
}

#[async_trait]
impl Sender for SmsGateway {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn per_second(&self) -> u32 {
        self.config.per_second
    }

    async fn send(&self, message: &Outgoing<'_>) -> Result<(), SendError> {
        let phone = message.address()?;
        let text = Self::text_of(&message.rendered.text, message.transactional);
        let segments = SmsLength::of(&text).segments;
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        let body = env
            .template_from_str(&self.config.body)
            .and_then(|t| {
                t.render(json!({
                    "phone": phone,
                    "text": text,
                    "delivery_id": message.delivery.id,
                    "segments": segments,
                }))
            })
            .map_err(|e| {
                SendError::Permanent(format!("the gateway body cannot be rendered: {e}"))
            })?;
        let mut request = self.http.request(self.method.clone(), &self.config.url);
        for (name, value) in &self.config.headers {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| http_error(&e, "the SMS gateway"))?;
        http_outcome(response.status(), "the SMS gateway")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marketing_texts_carry_the_opt_out_hint_once() {
        assert_eq!(SmsGateway::text_of("新品上市", false), "新品上市 回T退订");
        assert_eq!(
            SmsGateway::text_of("新品上市，回T退订", false),
            "新品上市，回T退订"
        );
        assert_eq!(
            SmsGateway::text_of("您的订单已发货", true),
            "您的订单已发货"
        );
    }
}
