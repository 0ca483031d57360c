//! Engagement: consent, templates, campaigns and the delivery of their messages.
//!
//! Deciding to send writes one delivery row per (origin, customer) in the writer's
//! transaction (`campaign.rs`); the dispatcher (`dispatch.rs`) claims due rows, checks consent,
//! suppression, frequency caps and quiet hours again at the moment of sending, renders the
//! template and hands the message to its channel (`email.rs`), then records the outcome and a
//! timeline event together. Links in messages are signed (`links.rs`).

pub mod attribution;
pub mod campaign;
pub mod channels;
pub mod consent;
pub mod coupons;
mod dispatch;
pub mod earned;
pub mod links;
pub mod replay;
pub mod reports;
pub mod template;
pub mod templates;
pub mod test_send;
mod timeline;
pub mod tracking;

pub use dispatch::{DispatchReport, Dispatcher};

use crate::ShopSettings;
use crate::action::ActionError;
use guanxi_domain::messaging::{Channel, FrequencyCap, QuietHours};
use guanxi_domain::{FieldError, Millis};
use guanxi_store::{Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The source timeline events of messages are recorded under (made by the migration).
pub const MESSAGING_SOURCE: &str = "guanxi:messaging";

#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    #[error(transparent)]
    Action(#[from] ActionError),
    /// Bad input, naming the field (`content.languages.en.subject`, `audience.segments[1]`).
    #[error("{}: {}", .0.field, .0.reason)]
    Invalid(FieldError),
}

impl From<StoreError> for MessagingError {
    fn from(e: StoreError) -> Self {
        Self::Action(e.into())
    }
}

impl From<guanxi_domain::access::Denied> for MessagingError {
    fn from(e: guanxi_domain::access::Denied) -> Self {
        Self::Action(e.into())
    }
}

impl From<FieldError> for MessagingError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(e)
    }
}

/// The longest name of a template, campaign or journey, in characters.
const MAX_NAME: usize = 120;

/// Checks what names a template or journey: its key (see `ids::is_key`) and its name.
pub(crate) fn check_key_and_name(key: &str, name: &str) -> Result<(), MessagingError> {
    if !guanxi_domain::ids::is_key(key) {
        return Err(FieldError::new("key", guanxi_domain::ids::KEY_RULE).into());
    }
    check_name(name)
}

/// A name of 1 to `MAX_NAME` characters.
pub(crate) fn check_name(name: &str) -> Result<(), MessagingError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(FieldError::new("name", format!("must be 1 to {MAX_NAME} characters")).into());
    }
    Ok(())
}

/// What time it is, for everything messaging schedules. Tests move a `Clock::manual` forward
/// so that waits of days take no time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn manual(at: Millis) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(at))),
        }
    }

    pub fn now(&self) -> Millis {
        match &self.manual {
            Some(at) => at.load(Ordering::SeqCst),
            None => chrono::Utc::now().timestamp_millis(),
        }
    }

    /// Moves a manual clock forward; a system clock cannot be moved.
    pub fn advance(&self, by_ms: i64) {
        if let Some(at) = &self.manual {
            at.fetch_add(by_ms, Ordering::SeqCst);
        }
    }
}

/// How this server sends, from the configuration. Its `Debug` leaves out the secrets (the
/// SMTP URL's password, gateway headers, webhook secret, reply and report tokens).
#[derive(Clone)]
pub struct MessagingConfig {
    /// Where links in messages point: the console's public address.
    pub public_url: String,
    /// `smtp://host:port` (or `smtps://`, with `user:password@`); none: e-mail is not sent.
    pub smtp_url: Option<String>,
    /// The `From:` of e-mail.
    pub mail_from: String,
    /// E-mails per second at most.
    pub email_per_second: u32,
    /// The HTTP gateway SMS go through; none: SMS wait in the queue.
    pub sms_gateway: Option<channels::SmsGatewayConfig>,
    /// Where webhook messages go, and the secret they are signed with.
    pub webhook: Option<channels::WebhookConfig>,
    /// Hosts a journey's webhook step may call besides `webhook.url`'s: a step must not make
    /// the server call (and sign requests to) anything on its network.
    pub webhook_hosts: Vec<String>,
    /// The token the SMS gateway sends replies with; none: replies are not accepted.
    pub sms_reply_token: Option<String>,
    /// The token relays and gateways send delivery reports with; none: not accepted.
    pub report_token: Option<String>,
    /// Quiet hours per channel: SMS by default 21:00–08:00 in the shop's time zone.
    pub sms_quiet_hours: Option<QuietHours>,
    pub email_quiet_hours: Option<QuietHours>,
    /// Marketing messages a customer may get, over all channels and per channel.
    pub caps: Vec<FrequencyCap>,
    /// How long after a touch an order is attributed to it, per channel.
    pub attribution: attribution::Windows,
    /// What one message costs, minor units of the shop currency, per channel (SMS by default
    /// 5 分, the usual Chinese gateway price).
    pub costs: Vec<(Channel, i64)>,
}

impl std::fmt::Debug for MessagingConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessagingConfig")
            .field("public_url", &self.public_url)
            .field("smtp", &self.smtp_url.as_ref().map(|_| "[set]"))
            .field(
                "sms_gateway",
                &self.sms_gateway.as_ref().map(|g| g.url.as_str()),
            )
            .field("webhook", &self.webhook.as_ref().map(|w| w.url.as_deref()))
            .field("email_per_second", &self.email_per_second)
            .finish_non_exhaustive()
    }
}

/// The time zone a customer's stored traits name (`timezone`, an IANA name), if any: where
/// local-time campaigns read the customer's clock.
pub(crate) fn zone_in_traits(traits_json: &str) -> Option<guanxi_domain::ShopTimeZone> {
    let traits: serde_json::Value = serde_json::from_str(traits_json).ok()?;
    guanxi_domain::ShopTimeZone::parse(traits.get("timezone")?.as_str()?).ok()
}

/// Costs per message as configured: `sms:0.05, email:0.001` in the shop's currency.
pub fn parse_costs(
    raw: &str,
    currency: guanxi_domain::Currency,
) -> Result<Vec<(Channel, i64)>, FieldError> {
    raw.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (channel, amount) = part.split_once(':').ok_or_else(|| {
                FieldError::new(
                    "message_costs",
                    format!("{part:?} is not a cost: write sms:0.05"),
                )
            })?;
            let amount = guanxi_domain::money::Money::parse(amount, currency)
                .map_err(|e| FieldError::new("message_costs", e.reason))?;
            Ok((Channel::parse(channel.trim())?, amount.minor()))
        })
        .collect()
}

impl MessagingConfig {
    /// Whether a journey's webhook step may call `url`: its host is the configured webhook
    /// address's or one listed in `webhook_hosts`.
    pub fn webhook_allowed(&self, url: &str) -> bool {
        let host_of = |u: &str| {
            url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        };
        let Some(host) = host_of(url) else {
            return false;
        };
        let configured = self
            .webhook
            .as_ref()
            .and_then(|w| w.url.as_deref())
            .and_then(host_of);
        configured.as_deref() == Some(host.as_str())
            || self
                .webhook_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&host))
    }

    pub fn cost_per_message(&self, channel: Channel) -> i64 {
        self.costs
            .iter()
            .find(|(c, _)| *c == channel)
            .map_or(0, |(_, cost)| *cost)
    }
}

impl Default for MessagingConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            smtp_url: None,
            mail_from: "Guanxi <no-reply@localhost>".into(),
            email_per_second: 50,
            sms_gateway: None,
            webhook: None,
            webhook_hosts: Vec::new(),
            sms_reply_token: None,
            report_token: None,
            sms_quiet_hours: Some(QuietHours::evenings_and_nights()),
            email_quiet_hours: None,
            caps: vec![FrequencyCap {
                channel: None,
                max: 5,
                days: 7,
            }],
            attribution: attribution::Windows::default(),
            costs: vec![(Channel::Sms, 5)],
        }
    }
}

/// Everything messaging needs, shared by the HTTP handlers and the dispatcher.
#[derive(Clone)]
pub struct Messaging {
    pub store: Arc<dyn Store>,
    pub settings: ShopSettings,
    pub clock: Clock,
    pub config: Arc<MessagingConfig>,
    /// Scores and recommendations templates may show.
    pub intelligence: Arc<crate::intelligence::Intelligence>,
}
