//! The journey runner: follows the event feed (triggers, events a `wait_for` waits for, goals
//! reached) from a saved position, and wakes runs whose time has come. Everything a move
//! decides is recorded in one transaction with the run's new place; tag and trait edits go
//! through the writer first (applying one twice changes nothing), so a crash at any point
//! repeats no send and loses no step.

use super::machine::{Cause, Moved};
use super::{FEED_CURSOR, definition_of};
use crate::ingest::{IngestError, Ingestor, WriteItem, WriteOp};
use crate::messaging::Messaging;
use guanxi_domain::journey::{Definition, Goal, Reentry, StepKind, Trigger};
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{FeedEvent, NewRun, RunRecord, StoreError, StoreResult};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// Runs claimed at once, and how long a claim holds.
const BATCH: u32 = 200;
const LEASE_MS: i64 = 5 * 60_000;
/// Events read from the feed at once.
const FEED_BATCH: u32 = 1_000;
const IDLE_POLL: Duration = Duration::from_millis(500);
const DAY_MS: i64 = 86_400_000;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    pub events: usize,
    pub entered: u64,
    pub moved: usize,
}

pub struct JourneyRunner {
    pub(super) messaging: Messaging,
    ingestor: Ingestor,
    definitions: tokio::sync::Mutex<HashMap<(i64, i64), Arc<Definition>>>,
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn triggers(definition: &Definition, event: &FeedEvent) -> bool {
    let segment_is =
        |key: &str| event.properties.get("segment_key").and_then(Value::as_str) == Some(key);
    match &definition.trigger {
        Trigger::Event { name, filters } => {
            &event.name == name
                && filters
                    .iter()
                    .all(|(k, v)| event.properties.get(k) == Some(v))
        }
        Trigger::SegmentEntered(key) => event.name == "Entered Segment" && segment_is(key),
        Trigger::SegmentExited(key) => event.name == "Exited Segment" && segment_is(key),
        // The calendar starts these (`calendar.rs`), not events.
        Trigger::Date { .. } | Trigger::Schedule { .. } => false,
    }
}

/// The property a definition's `wait_for` steps correlate on, if any.
fn correlate_key(definition: &Definition) -> Option<&str> {
    definition.steps.iter().find_map(|s| match &s.kind {
        StepKind::WaitFor {
            correlate: Some(key),
            ..
        } => Some(key.as_str()),
        _ => None,
    })
}

impl JourneyRunner {
    pub fn new(messaging: Messaging, ingestor: Ingestor) -> Self {
        Self {
            messaging,
            ingestor,
            definitions: tokio::sync::Mutex::default(),
        }
    }

    /// Follows the feed and wakes due runs for as long as the server runs.
    pub async fn run(self: Arc<Self>) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "journeys could not advance; trying again shortly");
            }
            tokio::time::sleep(IDLE_POLL).await;
        }
    }

    /// Follows the feed and advances due runs until neither has anything left.
    pub async fn tick(&self) -> StoreResult<TickReport> {
        // The calendar fires at most once a day per journey: once a pass is enough.
        let mut report = TickReport {
            entered: self.follow_calendar().await?,
            ..TickReport::default()
        };
        loop {
            let (events, entered) = self.follow_feed().await?;
            let moved = self.advance_due().await?;
            report.events += events;
            report.entered += entered;
            report.moved += moved;
            if events == 0 && moved == 0 {
                return Ok(report);
            }
        }
    }

    async fn definition(&self, journey: i64, version: i64) -> StoreResult<Arc<Definition>> {
        if let Some(known) = self.definitions.lock().await.get(&(journey, version)) {
            return Ok(known.clone());
        }
        let text = self
            .messaging
            .store
            .journey_version(journey, version)
            .await?;
        let definition: Arc<Definition> =
            Arc::new(serde_json::from_str(&text).map_err(|e| {
                StoreError::other(format!("stored journey {journey} is corrupt: {e}"))
            })?);
        self.definitions
            .lock()
            .await
            .insert((journey, version), definition.clone());
        Ok(definition)
    }

    /// Reads the next events: starts the runs they trigger and moves the runs waiting for them.
    async fn follow_feed(&self) -> StoreResult<(usize, u64)> {
        let store = self.messaging.store.as_ref();
        let Some(cursor) = store.cursor(FEED_CURSOR).await? else {
            return Ok((0, 0)); // no journey ever went live
        };
        let events = store.events_after(cursor, FEED_BATCH).await?;
        let Some(last) = events.last().map(|e| e.id) else {
            return Ok((0, 0));
        };
        let mut active = Vec::new();
        for record in store
            .journeys()
            .await?
            .into_iter()
            .filter(|j| j.status == "active")
        {
            active.push((record.id, record.version, definition_of(&record)?));
        }
        let mut candidates: Vec<NewRun> = Vec::new();
        for event in &events {
            for (journey, version, definition) in &active {
                if triggers(definition, event) {
                    let correlation = correlate_key(definition)
                        .and_then(|k| event.properties.get(k))
                        .and_then(text_of);
                    candidates.push(NewRun {
                        journey: *journey,
                        version: *version,
                        customer: event.customer,
                        correlation,
                    });
                }
            }
        }
        // Runs already under way first: an event that starts a run does not also move it.
        self.resume(&events).await?;
        let entered = self.enter(&active, candidates, None).await?;
        store.save_cursor(FEED_CURSOR, last).await?;
        Ok((events.len(), entered))
    }

    /// Moves the live runs an event concerns: a `wait_for` it answers, a goal it reaches.
    async fn resume(&self, events: &[FeedEvent]) -> StoreResult<()> {
        let customers: Vec<CustomerId> = events
            .iter()
            .map(|e| e.customer)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let live = self.messaging.store.live_runs_of(&customers).await?;
        let mut moves = Vec::new();
        let mut moved: HashSet<i64> = HashSet::new();
        for event in events {
            for run in live.iter().filter(|r| r.customer == event.customer) {
                if moved.contains(&run.id) {
                    continue;
                }
                let definition = self.definition(run.journey, run.version).await?;
                if self.answers(run, &definition, event) {
                    moves.push(self.advance(run, &definition, Cause::Event(event)).await?);
                    moved.insert(run.id);
                }
            }
        }
        self.record(moves).await
    }

    fn answers(&self, run: &RunRecord, definition: &Definition, event: &FeedEvent) -> bool {
        if matches!(&definition.goal, Some(Goal::Event(name)) if name == &event.name) {
            return true;
        }
        if run.waiting_for.as_deref() != Some(event.name.as_str()) {
            return false;
        }
        match definition.step(&run.step).map(|s| &s.kind) {
            Some(StepKind::WaitFor {
                correlate: Some(key),
                ..
            }) => {
                run.correlation.is_none()
                    || event.properties.get(key).and_then(text_of) == run.correlation
            }
            Some(StepKind::WaitFor { .. }) => true,
            _ => false,
        }
    }

    /// Starts the candidates the journey's re-entry rule lets in; with `not_since`, nobody
    /// who entered at or after it (a calendar firing repeated after a crash).
    pub(super) async fn enter(
        &self,
        active: &[(i64, i64, Definition)],
        candidates: Vec<NewRun>,
        not_since: Option<Millis>,
    ) -> StoreResult<u64> {
        let store = self.messaging.store.as_ref();
        let now = self.messaging.clock.now();
        let mut started = 0;
        for (journey, _, definition) in active {
            let mut mine: Vec<NewRun> = candidates
                .iter()
                .filter(|c| c.journey == *journey)
                .cloned()
                .collect();
            if mine.is_empty() {
                continue;
            }
            let mut seen = HashSet::new();
            mine.retain(|r| seen.insert(r.customer));
            let customers: Vec<CustomerId> = mine.iter().map(|r| r.customer).collect();
            let last: HashMap<CustomerId, (i64, bool)> = store
                .last_entries(*journey, &customers)
                .await?
                .into_iter()
                .map(|(c, at, live)| (c, (at, live)))
                .collect();
            mine.retain(|r| {
                not_since.is_none_or(|t| last.get(&r.customer).is_none_or(|(at, _)| *at < t))
            });
            mine.retain(|r| match (last.get(&r.customer), definition.reentry) {
                (None, _) => true,
                (Some(_), Reentry::Never) => false,
                (Some((_, live)), Reentry::Always) => !live,
                (Some((at, live)), Reentry::AfterDays(days)) => {
                    !live && now - at >= i64::from(days) * DAY_MS
                }
            });
            started += store.start_runs(&mine, now).await?;
        }
        Ok(started)
    }

    /// Claims due runs and moves each one.
    async fn advance_due(&self) -> StoreResult<usize> {
        let now = self.messaging.clock.now();
        let runs = self
            .messaging
            .store
            .claim_due_runs(now, now + LEASE_MS, BATCH)
            .await?;
        let mut moves = Vec::with_capacity(runs.len());
        for run in &runs {
            let definition = self.definition(run.journey, run.version).await?;
            moves.push(self.advance(run, &definition, Cause::Due).await?);
        }
        self.record(moves).await?;
        Ok(runs.len())
    }

    async fn record(&self, moves: Vec<Moved>) -> StoreResult<()> {
        if moves.is_empty() {
            return Ok(());
        }
        let mut changes = Vec::with_capacity(moves.len());
        let mut items = Vec::new();
        for m in moves {
            changes.extend(m.change);
            items.extend(m.edits.into_iter().map(|e| WriteItem {
                receipt: None,
                ops: vec![WriteOp::EditCustomer {
                    customer: e.customer,
                    traits: e.traits,
                    add_tags: e.add_tags,
                    remove_tags: e.remove_tags,
                }],
            }));
        }
        if !items.is_empty() {
            self.ingestor.write(items).await.map_err(|e| match e {
                IngestError::Store(s) => s,
                other => StoreError::other(other.to_string()),
            })?;
        }
        self.messaging
            .store
            .advance_runs(&changes, self.messaging.clock.now())
            .await
    }
}
