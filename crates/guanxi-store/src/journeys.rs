//! Journeys as stored: definitions with every published version, each customer's run through
//! one (durable: the step they are at and when they are due), how many entered each step, and
//! the position of the event feed the journeys follow.

use crate::{NewDelivery, StoreResult};
use async_trait::async_trait;
use guanxi_domain::{CustomerId, Millis};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyRecord {
    pub id: i64,
    pub key: String,
    pub name: String,
    /// `draft`, `active` or `paused`.
    pub status: String,
    /// The version new entries follow.
    pub version: i64,
    /// That version's definition, as JSON (checked by the application).
    pub definition: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One customer's way through one version of a journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub id: i64,
    pub journey: i64,
    pub version: i64,
    pub customer: CustomerId,
    /// The step they are at; empty before the first.
    pub step: String,
    /// When the run is due (a wait's end, a `wait_for`'s timeout); `None` while waiting for
    /// nothing but an event.
    pub wake_at: Option<Millis>,
    /// The event a `wait_for` step waits for.
    pub waiting_for: Option<String>,
    /// The value a correlated `wait_for` matches (the entering event's checkout id).
    pub correlation: Option<String>,
    pub entered_at: Millis,
    /// How many moves were recorded: a move is recorded only from the count it was computed
    /// at, and names its messages with it (a loop with a wait sends on every pass).
    pub moves: i64,
}

/// A customer starting a journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub journey: i64,
    pub version: i64,
    pub customer: CustomerId,
    pub correlation: Option<String>,
}

/// Where a run goes after being advanced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunChange {
    pub id: i64,
    /// The run's move count when the move was computed: a change recorded already (the run
    /// has moved since) is not recorded again, nor are its messages.
    pub moves: i64,
    pub step: String,
    pub wake_at: Option<Millis>,
    pub waiting_for: Option<String>,
    /// `Some("completed")` (reached an exit) or `Some("converted")` (the goal): the run ends.
    pub ended: Option<&'static str>,
    /// The steps it entered on the way, in order, for the step counts.
    pub entered: Vec<String>,
    /// The messages its steps decided.
    pub deliveries: Vec<NewDelivery>,
}

/// An event of the feed journeys follow.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    pub id: i64,
    pub customer: CustomerId,
    pub name: String,
    pub properties: Value,
    pub timestamp: Millis,
}

/// Per version and step: how many entered it, and how many are there now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCount {
    pub version: i64,
    pub step: String,
    pub entered: i64,
    pub now: i64,
}

#[async_trait]
pub trait JourneyStore {
    /// A new journey at version 1, a draft; `Conflict("key")` when the key is taken.
    async fn create_journey(
        &self,
        key: &str,
        name: &str,
        definition: &str,
        at: Millis,
    ) -> StoreResult<JourneyRecord>;
    /// Publishes a new version: new entries follow it, runs under way finish theirs.
    async fn publish_journey(
        &self,
        id: i64,
        name: &str,
        definition: &str,
        at: Millis,
    ) -> StoreResult<JourneyRecord>;
    async fn set_journey_status(&self, id: i64, status: &str, at: Millis) -> StoreResult<()>;
    async fn journey(&self, id: i64) -> StoreResult<JourneyRecord>;
    /// Every journey, by key.
    async fn journeys(&self) -> StoreResult<Vec<JourneyRecord>>;
    /// The definition of one version.
    async fn journey_version(&self, id: i64, version: i64) -> StoreResult<String>;

    /// For each customer, when they last entered the journey and whether that run is live.
    async fn last_entries(
        &self,
        journey: i64,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, Millis, bool)>>;
    /// Starts runs, due at once; a customer already on the journey is left as they are.
    /// Answers how many started.
    async fn start_runs(&self, runs: &[NewRun], at: Millis) -> StoreResult<u64>;
    /// Claims up to `limit` live runs due at `now`, holding them until `lease_until`.
    async fn claim_due_runs(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<RunRecord>>;
    /// The live runs of these customers.
    async fn live_runs_of(&self, customers: &[CustomerId]) -> StoreResult<Vec<RunRecord>>;
    /// Records where runs went and the messages their steps decided, in one transaction; a
    /// change computed from a move count the run has left is dropped with its messages.
    async fn advance_runs(&self, changes: &[RunChange], at: Millis) -> StoreResult<()>;
    async fn step_counts(&self, journey: i64) -> StoreResult<Vec<StepCount>>;

    /// Events after `after` (by id), oldest first, with their properties opened.
    async fn events_after(&self, after: i64, limit: u32) -> StoreResult<Vec<FeedEvent>>;
    /// Whether the customer (or one merged into them) did `name` at or after `since`.
    async fn did_event_since(
        &self,
        customer: CustomerId,
        name: &str,
        since: Millis,
    ) -> StoreResult<bool>;
    /// A named position in a feed; `None` when never saved.
    async fn cursor(&self, name: &str) -> StoreResult<Option<i64>>;
    async fn save_cursor(&self, name: &str, position: i64) -> StoreResult<()>;
    /// Moves a cursor from `expected` (`None`: never saved) to `position` if nobody moved it
    /// since; answers whether this call did. What one of several servers claims.
    async fn swap_cursor(
        &self,
        name: &str,
        expected: Option<i64>,
        position: i64,
    ) -> StoreResult<bool>;
    /// The id of the newest event: where a journey engine that never ran starts following.
    async fn newest_event_id(&self) -> StoreResult<i64>;
}
