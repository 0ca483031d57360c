//! Webhooks to the shop's own systems: a JSON body signed with HMAC-SHA256 over
//! `TIMESTAMP.BODY` (`X-Guanxi-Signature: t=TIMESTAMP,v1=HEX`), with the delivery id in
//! `X-Guanxi-Delivery` so the receiver can drop a retry it already handled.

use super::{Outgoing, SendError, Sender, http_error, http_outcome};
use async_trait::async_trait;
use guanxi_domain::messaging::Channel;
use hmac::{Hmac, Mac};
use serde_json::json;
use std::time::Duration;

#[derive(Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The default address; journey steps may name their own.
    pub url: Option<String>,
    pub secret: String,
    pub per_second: u32,
    pub timeout: Duration,
}

pub struct WebhookSender {
    config: WebhookConfig,
    http: reqwest::Client,
}

/// `t=TIMESTAMP,v1=HEX(HMAC-SHA256(secret, "TIMESTAMP.BODY"))`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

impl WebhookSender {
    pub fn new(config: WebhookConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| format!("the webhook client cannot start: {e}"))?;
        Ok(Self { config, http })
    }
}

#[async_trait]
impl Sender for WebhookSender {
    fn channel(&self) -> Channel {
        Channel::Webhook
    }

    fn per_second(&self) -> u32 {
        self.config.per_second
    }

    async fn send(&self, message: &Outgoing<'_>) -> Result<(), SendError> {
        let d = message.delivery;
        let url = message.url.or(self.config.url.as_deref()).ok_or_else(|| {
            SendError::Permanent(
                "no webhook address: set webhook_url or give the step a url".into(),
            )
        })?;
        let body = json!({
            "id": d.id,
            "type": "message",
            "customer_id": d.customer.0,
            "origin": d.origin,
            "variant": d.variant,
            "subject": message.rendered.subject,
            "text": message.rendered.text,
        })
        .to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let response = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Guanxi-Delivery", d.id.to_string())
            .header(
                "X-Guanxi-Signature",
                signature(&self.config.secret, timestamp, &body),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| http_error(&e, "the webhook receiver"))?;
        http_outcome(response.status(), "the webhook receiver")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let a = signature("s3cret", 1_700_000_000, r#"{"id":1}"#);
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("s3cret", 1_700_000_001, r#"{"id":1}"#));
        assert_ne!(a, signature("s3cret", 1_700_000_000, r#"{"id":2}"#));
        assert_ne!(a, signature("other", 1_700_000_000, r#"{"id":1}"#));
    }
}
