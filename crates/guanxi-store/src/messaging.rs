//! Messaging as stored: consent and suppression lists, templates, campaigns, and deliveries,
//! one row per (origin, customer), which is both the queue of messages to send and the record
//! that makes a second send of the same message impossible.

use crate::StoreResult;
use async_trait::async_trait;
use guanxi_domain::messaging::{Channel, Consent, DeliveryStatus};
use guanxi_domain::{CustomerId, IdentityKind, Millis};

/// A consent decision as stored, with the customer it was made on (a survivor's rows include
/// those of the customers merged into it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub customer: CustomerId,
    pub consent: Consent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRecord {
    pub id: i64,
    /// How campaigns and journeys refer to the template; never changes.
    pub key: String,
    pub name: String,
    pub channel: Channel,
    /// The parts per language and the defaults, as JSON (checked by the application).
    pub content: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTemplate {
    pub key: String,
    pub name: String,
    pub channel: Channel,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRecord {
    pub id: i64,
    pub name: String,
    pub channel: Channel,
    /// Audience, variants, holdout, schedule and throttle, as JSON (checked by the application).
    pub spec: String,
    /// `draft`, `scheduled`, `queuing`, `sending`, `done`, `cancelled`.
    pub status: String,
    pub scheduled_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub launched_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    pub name: String,
    pub channel: Channel,
    pub spec: String,
    pub status: String,
    pub scheduled_at: Option<Millis>,
}

/// A message decided for one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// `campaign:ID` or `journey:ID:STEP`: with the customer, unique for ever.
    pub origin: String,
    pub customer: CustomerId,
    pub channel: Channel,
    /// The A/B variant (`a`, `b`), empty when there is one.
    pub variant: String,
    /// `Queued`, or `Holdout` / `Skipped` for the customers decided against.
    pub status: DeliveryStatus,
    /// Why a skipped delivery was skipped.
    pub reason: Option<String>,
    pub run_at: Millis,
    /// Whether it counts toward frequency caps: marketing does; transactional messages and
    /// a journey's webhook calls do not.
    pub marketing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub origin: String,
    pub customer: CustomerId,
    pub channel: Channel,
    pub variant: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub run_at: Millis,
    pub last_error: Option<String>,
    pub queued_at: Millis,
    pub sent_at: Option<Millis>,
}

/// What became of a claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryUpdate {
    pub id: i64,
    pub status: DeliveryStatus,
    /// When to try again (`Queued`), or when quiet hours end.
    pub run_at: Option<Millis>,
    /// The reason of a failure, skip or retry.
    pub error: Option<String>,
    /// Whether this update spends an attempt (a deferral for quiet hours does not).
    pub attempted: bool,
    /// The attempt count the delivery was claimed with: an update from a sender whose lease
    /// ran out (the delivery was claimed again since) changes nothing.
    pub attempt: u32,
}

/// Deliveries of one origin by variant and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryCount {
    pub variant: String,
    pub status: DeliveryStatus,
    pub count: i64,
}

/// When a delivery touched its customer, for attribution and results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub delivery: i64,
    pub origin: String,
    pub customer: CustomerId,
    pub channel: Channel,
    pub variant: String,
    pub status: DeliveryStatus,
    pub sent_at: Option<Millis>,
    pub opened_at: Option<Millis>,
    pub clicked_at: Option<Millis>,
}

/// A message in a customer's in-app inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    pub delivery: i64,
    pub customer: CustomerId,
    pub subject: String,
    pub text: String,
    pub created_at: Millis,
    pub read_at: Option<Millis>,
}

#[async_trait]
pub trait ConsentStore {
    /// The customer's consent rows, with those of the customers merged into them.
    async fn consent_rows(&self, customer: CustomerId) -> StoreResult<Vec<ConsentRow>>;
    /// `consent_rows` of many customers at once, each row with the customer of `customers`
    /// it counts for (itself, or the survivor it was merged into).
    async fn consent_rows_of(
        &self,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, ConsentRow)>>;
    /// Records a decision on `customer`. It replaces the rows of that channel of the customers
    /// merged into them: a choice made now supersedes what the merged records said.
    async fn set_consent(&self, customer: CustomerId, consent: &Consent) -> StoreResult<()>;
    /// Every customer with a `Subscribed` row of `channel` and no `Unsubscribed` one, their own
    /// or a merged-away customer's, by survivor id.
    async fn subscribed(&self, channel: Channel) -> StoreResult<Vec<CustomerId>>;
    /// Adds an address (a normalised e-mail or E.164 phone) to a channel's suppression list.
    async fn suppress(
        &self,
        channel: Channel,
        address: &str,
        reason: &str,
        at: Millis,
    ) -> StoreResult<()>;
    /// `NotFound` when the address was not suppressed.
    async fn unsuppress(&self, channel: Channel, address: &str) -> StoreResult<()>;
    /// Which of these addresses are suppressed on the channel.
    async fn suppressed(&self, channel: Channel, addresses: &[String]) -> StoreResult<Vec<String>>;
    /// The suppression list: (address, reason, since), newest first.
    async fn suppressions(
        &self,
        channel: Channel,
        limit: u32,
    ) -> StoreResult<Vec<(String, String, Millis)>>;
    /// Each customer's most recent identifier of `kind`, in plain text: where to send.
    async fn contact_addresses(
        &self,
        kind: IdentityKind,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, String)>>;
}

#[async_trait]
pub trait MessagingStore {
    /// `Conflict("key")` when the key is taken.
    async fn create_template(&self, new: &NewTemplate, at: Millis) -> StoreResult<TemplateRecord>;
    /// Changes the name and content; the key and channel stay.
    async fn update_template(
        &self,
        id: i64,
        new: &NewTemplate,
        at: Millis,
    ) -> StoreResult<TemplateRecord>;
    async fn delete_template(&self, id: i64) -> StoreResult<()>;
    async fn template(&self, id: i64) -> StoreResult<TemplateRecord>;
    async fn template_by_key(&self, key: &str) -> StoreResult<TemplateRecord>;
    async fn templates(&self) -> StoreResult<Vec<TemplateRecord>>;

    async fn create_campaign(&self, new: &NewCampaign, at: Millis) -> StoreResult<CampaignRecord>;
    async fn update_campaign(
        &self,
        id: i64,
        new: &NewCampaign,
        at: Millis,
    ) -> StoreResult<CampaignRecord>;
    /// Moves the campaign from `from` to `to`; `Conflict("status")` when it is not in `from`
    /// (another server moved it first).
    async fn move_campaign(&self, id: i64, from: &str, to: &str, at: Millis) -> StoreResult<()>;
    async fn campaign(&self, id: i64) -> StoreResult<CampaignRecord>;
    /// Newest first.
    async fn campaigns(&self) -> StoreResult<Vec<CampaignRecord>>;
    /// Scheduled campaigns whose time has come.
    async fn due_campaigns(&self, now: Millis) -> StoreResult<Vec<CampaignRecord>>;
    /// Campaigns left `queuing` with no sign of life since `before`: their queuing stopped
    /// (the server died) and is to be resumed.
    async fn stalled_campaigns(&self, before: Millis) -> StoreResult<Vec<CampaignRecord>>;

    /// Claims up to `limit` deliveries due at `now` (queued ones, and sending ones whose
    /// sender's lease ran out), marking them `Sending` until `lease_until`; oldest first.
    async fn claim_deliveries(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    async fn delivery(&self, id: i64) -> StoreResult<Delivery>;
    async fn delivery_counts(&self, origin: &str) -> StoreResult<Vec<DeliveryCount>>;
    /// A customer's deliveries, newest first.
    async fn customer_deliveries(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    /// How many messages reached each of these customers since `since`, per channel.
    async fn sent_since(
        &self,
        customers: &[CustomerId],
        since: Millis,
    ) -> StoreResult<Vec<(CustomerId, Channel, u32)>>;
    /// Moves a delivery forward to a tracked status (opened, clicked, unsubscribed, bounced)
    /// unless it is there or beyond; answers whether it moved.
    async fn track_delivery(
        &self,
        id: i64,
        status: DeliveryStatus,
        at: Millis,
    ) -> StoreResult<bool>;
    /// Queued deliveries of an origin with `variant`, given another variant (an A/B test's
    /// winner goes to the rest of the audience).
    async fn reassign_variant(&self, origin: &str, from: &str, to: &str) -> StoreResult<u64>;
    /// Queues a finished delivery again (an operator replays a webhook): attempts start over.
    /// `NotFound` when there is no such delivery, `Conflict("status")` while it is queued.
    async fn replay_delivery(&self, id: i64, at: Millis) -> StoreResult<()>;

    /// Every delivery of an origin, whatever its status.
    async fn origin_touches(&self, origin: &str) -> StoreResult<Vec<Touch>>;
    /// Every delivery of an origin and of the origins under it (`journey:7` holds every
    /// `journey:7:…`, a journey's messages; `campaign:7` only itself).
    async fn origin_tree_touches(&self, origin: &str) -> StoreResult<Vec<Touch>>;
    /// The newest deliveries, at most `limit`, of an origin and those under it that failed
    /// for good or were given up (`failed`, `dead`): what an operator may replay.
    async fn undelivered(&self, origin: &str, limit: u32) -> StoreResult<Vec<Delivery>>;
    /// The deliveries of these customers sent since `since`, of any origin.
    async fn customer_touches(
        &self,
        customers: &[CustomerId],
        since: Millis,
    ) -> StoreResult<Vec<Touch>>;

    /// Stores an in-app message (sealed: it may name the customer); once per delivery.
    async fn add_inbox_message(&self, message: &InboxMessage) -> StoreResult<()>;
    /// A customer's inbox, newest first, with the messages of customers merged into them.
    async fn inbox(&self, customer: CustomerId, limit: u32) -> StoreResult<Vec<InboxMessage>>;
    /// Marks a message read; answers whether it was unread.
    async fn mark_inbox_read(
        &self,
        customer: CustomerId,
        delivery: i64,
        at: Millis,
    ) -> StoreResult<bool>;
}
