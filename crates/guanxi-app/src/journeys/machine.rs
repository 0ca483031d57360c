//! Moving one run through its steps: from where it stands (or the start), through the steps
//! that act at once (branches, splits, sends, tags), to the next step that waits or the end.
//! What the steps decide comes back as data, recorded in one transaction by the runner.

use super::runner::JourneyRunner;
use guanxi_domain::journey::{Condition, Definition, Goal, StepKind};
use guanxi_domain::messaging::{Channel, DeliveryStatus};
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{FeedEvent, NewDelivery, RunChange, RunRecord, StoreError, StoreResult};
use serde_json::Value;

/// Steps one move may pass through: definitions have no loop without a wait, so this is a
/// guard against a corrupt one.
const MAX_STEPS_PER_MOVE: usize = 200;

/// Why a run moves.
pub(super) enum Cause<'a> {
    /// Its wake time came (a wait ended, a `wait_for` timed out, or it just entered).
    Due,
    /// The event its `wait_for` step waits for.
    Event(&'a FeedEvent),
}

/// A tag or trait change a step decided.
pub(super) struct Edit {
    pub customer: CustomerId,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub traits: serde_json::Map<String, Value>,
}

/// What a move decided: where the run goes (with the messages its steps decided) and the
/// tag and trait edits.
#[derive(Default)]
pub(super) struct Moved {
    pub change: Option<RunChange>,
    pub edits: Vec<Edit>,
}

/// A step's message to a run, unique per pass: `journey:ID:VERSION:STEP:RUN:MOVE`.
fn origin(run: &RunRecord, step: &str) -> String {
    format!(
        "journey:{}:{}:{}:{}:{}",
        run.journey, run.version, step, run.id, run.moves
    )
}

/// The message a step sends to a run, queued now; `marketing` when it counts toward caps.
fn queued(
    run: &RunRecord,
    step: &str,
    channel: Channel,
    marketing: bool,
    now: Millis,
) -> NewDelivery {
    NewDelivery {
        marketing,
        origin: origin(run, step),
        customer: run.customer,
        channel,
        variant: String::new(),
        status: DeliveryStatus::Queued,
        reason: None,
        run_at: now,
    }
}

/// A stable pick among weights for a run at a step.
fn pick(run: i64, step: &str, weights: &[u32]) -> usize {
    let mut h = (run as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in step.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    let mut point = h % total.max(1);
    for (i, w) in weights.iter().enumerate() {
        if point < u64::from(*w) {
            return i;
        }
        point -= u64::from(*w);
    }
    weights.len() - 1
}

impl JourneyRunner {
    pub(super) async fn ordered_since(
        &self,
        customer: CustomerId,
        since: Millis,
    ) -> StoreResult<bool> {
        let currency = self.messaging.settings.current().currency.code().to_owned();
        let facts = self
            .messaging
            .store
            .order_facts_of(&[customer], &currency)
            .await?;
        Ok(facts.iter().any(|f| f.at >= since))
    }

    async fn holds(&self, run: &RunRecord, condition: &Condition) -> StoreResult<bool> {
        let store = self.messaging.store.as_ref();
        match condition {
            Condition::InSegment(key) => {
                let id = match store.segment_id(key).await {
                    Ok(id) => id,
                    Err(StoreError::NotFound(_)) => return Ok(false),
                    Err(e) => return Err(e),
                };
                Ok(store
                    .customer_segments(run.customer)
                    .await?
                    .iter()
                    .any(|(s, _, _)| *s == id))
            }
            Condition::OrderedSinceEntry(wanted) => {
                Ok(self.ordered_since(run.customer, run.entered_at).await? == *wanted)
            }
            Condition::DidEvent(name) => {
                store
                    .did_event_since(run.customer, name, run.entered_at)
                    .await
            }
        }
    }

    /// Whether the journey's goal is reached, which ends the run as converted.
    pub(super) async fn goal_reached(
        &self,
        run: &RunRecord,
        definition: &Definition,
        event: Option<&FeedEvent>,
    ) -> StoreResult<bool> {
        match &definition.goal {
            Some(Goal::Ordered(true)) => self.ordered_since(run.customer, run.entered_at).await,
            Some(Goal::Event(name)) => Ok(event.is_some_and(|e| &e.name == name)),
            _ => Ok(false),
        }
    }

    /// Moves `run` for `cause` under `definition`.
    pub(super) async fn advance(
        &self,
        run: &RunRecord,
        definition: &Definition,
        cause: Cause<'_>,
    ) -> StoreResult<Moved> {
        let mut moved = Moved::default();
        let event = match cause {
            Cause::Event(e) => Some(e),
            Cause::Due => None,
        };
        let mut change = RunChange {
            id: run.id,
            moves: run.moves,
            step: run.step.clone(),
            wake_at: None,
            waiting_for: None,
            ended: None,
            entered: Vec::new(),
            deliveries: Vec::new(),
        };
        if self.goal_reached(run, definition, event).await? {
            change.ended = Some("converted");
            moved.change = Some(change);
            return Ok(moved);
        }
        let current = definition.step(&run.step).map(|s| &s.kind);
        let mut target: String = match (current, event) {
            (None, _) => definition.start.clone(),
            (
                Some(
                    StepKind::Wait { next, .. }
                    | StepKind::WaitUntil { next, .. }
                    | StepKind::WaitUntilDate { next, .. },
                ),
                None,
            ) => next.clone(),
            (Some(StepKind::WaitFor { timeout, .. }), None) => timeout.clone(),
            (Some(StepKind::WaitFor { then, .. }), Some(_)) => then.clone(),
            // Anything else was interrupted mid-move: take the step again.
            (Some(_), _) => run.step.clone(),
        };
        let now = self.messaging.clock.now();
        for _ in 0..MAX_STEPS_PER_MOVE {
            let Some(step) = definition.step(&target) else {
                return Err(StoreError::other(format!(
                    "journey {} has no step {target:?}",
                    run.journey
                )));
            };
            change.step = target.clone();
            change.entered.push(target.clone());
            let next = match &step.kind {
                StepKind::Wait { .. } => {
                    change.wake_at = Some(now + step.kind.wait_ms().unwrap_or(0));
                    break;
                }
                StepKind::WaitUntil { time, .. } => {
                    change.wake_at = Some(self.next_time_of_day(time, now));
                    break;
                }
                StepKind::WaitUntilDate {
                    attribute,
                    days_before,
                    time,
                    every_year,
                    next,
                    missing,
                } => {
                    let wait = self
                        .date_wake(
                            run.customer,
                            attribute,
                            *days_before,
                            time,
                            *every_year,
                            now,
                        )
                        .await?;
                    match wait {
                        Some(at) => {
                            change.wake_at = Some(at);
                            break;
                        }
                        None => missing.clone().unwrap_or_else(|| next.clone()),
                    }
                }
                StepKind::WaitFor {
                    event,
                    timeout_hours,
                    ..
                } => {
                    change.wake_at = Some(now + i64::from(*timeout_hours) * 3_600_000);
                    change.waiting_for = Some(event.clone());
                    break;
                }
                StepKind::Branch { condition, yes, no } => {
                    if self.holds(run, condition).await? {
                        yes.clone()
                    } else {
                        no.clone()
                    }
                }
                StepKind::Split { arms } => {
                    let weights: Vec<u32> = arms.iter().map(|a| a.weight).collect();
                    arms[pick(run.id, &step.id, &weights)].next.clone()
                }
                StepKind::Send { channel, next, .. } => {
                    let channel =
                        Channel::parse(channel).map_err(|e| StoreError::other(e.reason))?;
                    change
                        .deliveries
                        .push(queued(run, &step.id, channel, true, now));
                    next.clone()
                }
                StepKind::Webhook { next, .. } => {
                    change
                        .deliveries
                        .push(queued(run, &step.id, Channel::Webhook, false, now));
                    next.clone()
                }
                StepKind::Tag { add, remove, next } => {
                    moved.edits.push(Edit {
                        customer: run.customer,
                        add_tags: add.clone(),
                        remove_tags: remove.clone(),
                        traits: Default::default(),
                    });
                    next.clone()
                }
                StepKind::SetTrait { key, value, next } => {
                    let mut traits = serde_json::Map::new();
                    traits.insert(key.clone(), value.clone());
                    moved.edits.push(Edit {
                        customer: run.customer,
                        add_tags: Vec::new(),
                        remove_tags: Vec::new(),
                        traits,
                    });
                    next.clone()
                }
                StepKind::Exit => {
                    change.ended = Some("completed");
                    break;
                }
            };
            target = next;
        }
        moved.change = Some(change);
        Ok(moved)
    }

    /// The next moment the shop's clock shows `time` (`HH:MM`), after `now`.
    fn next_time_of_day(&self, time: &str, now: Millis) -> Millis {
        let zone = self.messaging.settings.current().time_zone;
        let Ok(at) = chrono::NaiveTime::parse_from_str(time, "%H:%M") else {
            return now;
        };
        let today = zone.format(now, "%Y-%m-%d");
        let day = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap_or_default();
        [day, day.succ_opt().unwrap_or(day)]
            .into_iter()
            .filter_map(|d| zone.instant_of(d.and_time(at)))
            .find(|t| *t > now)
            .unwrap_or(now + 86_400_000)
    }
}

#[cfg(test)]
mod tests {
    use super::pick;

    #[test]
    fn a_split_follows_its_weights_and_is_stable() {
        let weights = [80, 20];
        let firsts = (0..10_000)
            .filter(|run| pick(*run, "split", &weights) == 0)
            .count();
        assert!((7_700..8_300).contains(&firsts), "{firsts}");
        assert_eq!(pick(42, "split", &weights), pick(42, "split", &weights));
    }
}
