//! The channels messages leave by, behind one interface: e-mail over SMTP, SMS through a
//! configurable HTTP gateway, signed webhooks, and the in-app inbox. Each says how fast it may
//! go; the dispatcher paces them and retries what they call transient.

mod email;
mod in_app;
mod sms;
mod webhook;

pub use email::{CONNECTIONS as SMTP_CONNECTIONS, EmailSender};
pub use in_app::InAppSender;
pub use sms::{SmsGateway, SmsGatewayConfig};
pub use webhook::{WebhookConfig, WebhookSender, signature};

use super::template::Rendered;
use async_trait::async_trait;
use guanxi_domain::IdentityKind;
use guanxi_domain::messaging::Channel;
use guanxi_store::Delivery;

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server is down, slow or said 4xx (SMTP) / 5xx (HTTP).
    #[error("{0}")]
    Transient(String),
    /// Trying again cannot help: a bad address, a refusal for good.
    #[error("{0}")]
    Permanent(String),
}

/// One message to send.
pub struct Outgoing<'a> {
    pub delivery: &'a Delivery,
    /// The e-mail address or phone number; none for webhooks and the inbox.
    pub address: Option<&'a str>,
    pub rendered: &'a Rendered,
    /// The unsubscribe page; marketing only.
    pub unsubscribe_url: Option<&'a str>,
    pub transactional: bool,
    /// Where a webhook goes when not to the configured address (a journey step's own).
    pub url: Option<&'a str>,
}

impl Outgoing<'_> {
    fn address(&self) -> Result<&str, SendError> {
        self.address.ok_or_else(|| {
            SendError::Permanent("the customer has no address on this channel".into())
        })
    }
}

#[async_trait]
pub trait Sender: Send + Sync {
    fn channel(&self) -> Channel;
    /// Messages per second at most.
    fn per_second(&self) -> u32;
    async fn send(&self, message: &Outgoing<'_>) -> Result<(), SendError>;
}

/// Classifies an HTTP answer: 2xx sent, 408/429/5xx worth retrying, other 4xx final.
pub(crate) fn http_outcome(status: reqwest::StatusCode, what: &str) -> Result<(), SendError> {
    if status.is_success() {
        Ok(())
    } else if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
        Err(SendError::Transient(format!("{what} answered {status}")))
    } else {
        Err(SendError::Permanent(format!("{what} refused it: {status}")))
    }
}

/// A failed HTTP request: timeouts and refused connections are worth retrying.
pub(crate) fn http_error(e: &reqwest::Error, what: &str) -> SendError {
    let kind = if e.is_timeout() {
        "timed out"
    } else {
        "could not be reached"
    };
    SendError::Transient(format!("{what} {kind}"))
}

/// The identifier kind a channel's address is, if it has one.
pub fn address_kind(channel: Channel) -> Option<IdentityKind> {
    match channel {
        Channel::Email => Some(IdentityKind::Email),
        Channel::Sms => Some(IdentityKind::Phone),
        Channel::Webhook | Channel::InApp => None,
    }
}
