//! Recording segment entries and exits: the member row and history spell, an event in the
//! customer's timeline and an entry in the change log, in one transaction per chunk; then
//! announcing them in-process. Decisions the database could not take yet wait in `pending`.

use super::{Intelligence, lock, now_ms, read};
use guanxi_domain::{CustomerId, EventKind, EventProperties, SourceId};
use guanxi_engine::segment::Transition;
use guanxi_store::{Change, ChangeKind, NewEvent, SegmentChange, Store, StoreResult};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

/// The source segment events are recorded under (created by the segments migration).
pub const ENGINE_SOURCE: &str = "guanxi:engine";
pub const ENTERED_SEGMENT: &str = "Entered Segment";
pub const EXITED_SEGMENT: &str = "Exited Segment";

/// Entries and exits per transaction.
const CHUNK: usize = 2_000;

impl Intelligence {
    /// Records what was decided, after whatever is still pending.
    pub(super) async fn record(&self, store: &dyn Store, decided: Vec<Transition>) {
        let mut all = std::mem::take(&mut *lock(&self.pending));
        all.extend(decided);
        let mut at = 0;
        while at < all.len() {
            let chunk = &all[at..(at + CHUNK).min(all.len())];
            match self.record_chunk(store, chunk).await {
                Ok(recorded) => {
                    if !recorded.is_empty() {
                        // Nobody listening is fine.
                        let _ = self.announce.send(Arc::new(recorded));
                    }
                    at += chunk.len();
                }
                Err(e) => {
                    tracing::warn!(error = %e, waiting = all.len() - at, "segment changes could not be recorded yet; retrying");
                    let mut pending = lock(&self.pending);
                    let later = std::mem::take(&mut *pending);
                    pending.extend_from_slice(&all[at..]);
                    pending.extend(later);
                    return;
                }
            }
        }
    }

    pub(super) async fn record_pending(&self, store: &dyn Store) {
        if !lock(&self.pending).is_empty() {
            self.record(store, Vec::new()).await;
        }
    }

    async fn record_chunk(
        &self,
        store: &dyn Store,
        chunk: &[Transition],
    ) -> StoreResult<Vec<Transition>> {
        // Looked up once: the migration made it and nothing renames it.
        let source = match self.engine_source.get() {
            Some(id) => *id,
            None => {
                let id = store.source_by_name(ENGINE_SOURCE).await?.id;
                *self.engine_source.get_or_init(|| id)
            }
        };
        let at = now_ms();
        let changes: Vec<SegmentChange> = chunk
            .iter()
            .map(|t| SegmentChange {
                segment: t.segment,
                customer: CustomerId(t.customer),
                entered: t.entered,
            })
            .collect();
        let mut tx = store.begin_write().await?;
        let applied = tx.apply_segment_changes(&changes, at).await?;
        let recorded: Vec<Transition> = chunk
            .iter()
            .zip(applied)
            .filter_map(|(t, applied)| applied.then_some(*t))
            .collect();
        let events = self.events(&recorded, source, at);
        tx.insert_events(&events).await?;
        let touched: HashSet<i64> = recorded.iter().map(|t| t.customer).collect();
        let mut feed: Vec<Change> = touched
            .into_iter()
            .map(|c| Change {
                customer: CustomerId(c),
                kind: ChangeKind::Segment,
            })
            .collect();
        // Automatic tags follow membership, in the same transaction.
        for (t, tag) in self.auto_tags(&recorded) {
            let customer = CustomerId(t.customer);
            if t.entered {
                tx.add_tags(customer, &[tag]).await?;
            } else {
                tx.remove_tags(customer, &[tag]).await?;
            }
            feed.push(Change {
                customer,
                kind: ChangeKind::Tags,
            });
        }
        feed.sort_by_key(|c| c.customer);
        feed.dedup();
        tx.append_changes(&feed, at).await?;
        tx.commit().await?;
        Ok(recorded)
    }

    /// The transitions of segments that tag their members, with the tag.
    fn auto_tags(&self, recorded: &[Transition]) -> Vec<(Transition, String)> {
        let known = read(&self.known);
        recorded
            .iter()
            .filter_map(|t| {
                let segment = known.iter().find(|k| k.id == t.segment)?;
                Some((*t, segment.auto_tag.clone()?))
            })
            .collect()
    }

    fn events(&self, recorded: &[Transition], source: SourceId, at: i64) -> Vec<NewEvent> {
        let known = read(&self.known);
        recorded
            .iter()
            .map(|t| {
                let segment = known.iter().find(|k| k.id == t.segment);
                let properties = json!({
                    "segment_id": t.segment,
                    "segment_key": segment.map(|s| s.key.as_str()),
                    "segment_name": segment.map(|s| s.name.as_str()),
                });
                let name = if t.entered {
                    ENTERED_SEGMENT
                } else {
                    EXITED_SEGMENT
                };
                NewEvent {
                    source,
                    message_id: format!(
                        "segment:{}:{}:{}:{at}",
                        t.segment,
                        t.customer,
                        if t.entered { "in" } else { "out" }
                    ),
                    customer: CustomerId(t.customer),
                    kind: EventKind::Track,
                    name: Some(name.to_owned()),
                    properties: EventProperties::new(EventKind::Track, &properties),
                    timestamp: at,
                    received_at: at,
                }
            })
            .collect()
    }
}
