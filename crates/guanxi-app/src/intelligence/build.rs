//! Building the engine: every customer's order facts and people facts read in windows of ids,
//! the models fitted, the segments defined and evaluated against it all.

use super::activity::{filter_of, item_days, needs_of, order_days};
use super::{Intelligence, Model, Readiness, day_of, lock, now_ms, summaries, to_facts, write};
use crate::ShopSettings;
use guanxi_domain::CustomerId;
use guanxi_engine::clv::ClvOptions;
use guanxi_engine::features::Features;
use guanxi_engine::people::People;
use guanxi_engine::scores::Engine;
use guanxi_engine::segment::{Activity, IdentityKinds};
use guanxi_store::{PersonFact, Store, StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::Arc;

/// One window of the build's reading.
struct Window {
    up_to: i64,
    facts: Vec<guanxi_store::OrderFact>,
    persons: Vec<PersonFact>,
    items: Vec<guanxi_store::ItemFact>,
}

/// Customers read per window while building.
const BUILD_WINDOW: i64 = 50_000;
/// Members read per page when loading what is recorded.
const MEMBER_PAGE: u32 = 50_000;

pub(super) fn person(p: PersonFact) -> (IdentityKinds, Vec<String>) {
    let mut kinds = IdentityKinds::default();
    for k in &p.kinds {
        kinds.add(k);
    }
    (kinds, p.tags)
}

impl Intelligence {
    /// Reads every customer's facts, fits the models and evaluates the segments.
    pub async fn build(
        self: &Arc<Self>,
        store: &dyn Store,
        settings: &ShopSettings,
    ) -> StoreResult<()> {
        let _following = self.follow_lock.lock().await;
        let shop = settings.current();
        let currency = shop.currency.code().to_owned();
        // Decisions not yet recorded go first, so the members read below are current.
        self.record_pending(store).await;
        let views = super::segments::stored_views(store).await?;
        let needs = needs_of(views.iter().filter_map(|v| v.rule.as_ref().ok()));
        let filter = filter_of(&needs.items);
        let mut all_orders = HashMap::new();
        let mut all_items = HashMap::new();
        // Changes after this point are applied by `follow`; re-reading a customer is harmless.
        let started = now_ms();
        let seq = store.last_change_seq().await?;
        let max_id = store.max_customer_id().await?;
        let mut features = Features::default();
        let mut people = People::default();
        // One window is read while the one before is summarised: the database's work and ours
        // run side by side.
        let read = |after: i64| {
            let (filter, currency) = (&filter, &currency);
            async move {
                let up_to = (after + BUILD_WINDOW).min(max_id);
                let (from, to) = (CustomerId(after), CustomerId(up_to));
                let items = async {
                    match filter.is_empty() {
                        true => Ok(Vec::new()),
                        false => store.item_facts_between(from, to, filter, currency).await,
                    }
                };
                let (facts, persons, items) = tokio::try_join!(
                    store.order_facts_between(from, to, currency),
                    store.person_facts_between(from, to),
                    items
                )?;
                Ok::<_, StoreError>(Window {
                    up_to,
                    facts,
                    persons,
                    items,
                })
            }
        };
        let mut window = match max_id {
            0 => None,
            _ => Some(read(0).await?),
        };
        while let Some(current) = window.take() {
            let up_to = current.up_to;
            let following = (up_to < max_id).then(|| read(up_to));
            // The next read is polled first, so it is under way while this thread summarises.
            let (following, ()) = tokio::join!(
                async {
                    match following {
                        Some(reading) => Some(reading.await),
                        None => None,
                    }
                },
                async {
                    if needs.orders {
                        order_days(&current.facts, shop.time_zone, &mut all_orders);
                    }
                    item_days(&current.items, &needs.items, shop.time_zone, &mut all_items);
                    let facts = to_facts(&current.facts);
                    for (customer, summary) in summaries(&facts, shop.time_zone) {
                        features.set(customer, Some(summary));
                    }
                    for p in current.persons {
                        let customer = p.customer.0;
                        people.set(customer, Some(person(p)));
                    }
                }
            );
            window = following.transpose()?;
            self.set_readiness(Readiness::Building {
                read: up_to,
                of: max_id,
            });
        }
        let read_in = now_ms() - started;
        let now = now_ms();
        let today = day_of(shop.time_zone)(now);
        // Fitting takes seconds on a large shop: off the async threads.
        let engine = tokio::task::spawn_blocking(move || {
            Engine::build(features, today, now, ClvOptions::default())
        })
        .await
        .map_err(|e| StoreError::other(format!("the engine build failed: {e}")))?;
        if let Err(e) = &engine.clv {
            tracing::info!(reason = %e, "lifetime value falls back to the heuristic");
        }
        let customers = engine.features.len();
        let mut activity = Activity::default();
        if needs.orders {
            activity.set_all_orders(all_orders);
        }
        for item in &needs.items {
            activity.set_all_of_item(item.clone(), all_items.remove(item).unwrap_or_default());
        }
        // Events rules read are read apart: the event log is not read otherwise.
        let events = self
            .read_needs(store, settings, &needs, &activity.kept())
            .await?;
        activity.absorb(events);
        let mut model = Model {
            engine,
            people,
            activity,
        };
        let definitions = self.install(&views, &mut model, settings);
        for id in definitions {
            let mut members = Vec::new();
            let mut after = CustomerId(0);
            loop {
                let page = store.segment_members(id, after, MEMBER_PAGE).await?;
                let Some((last, _)) = page.last() else { break };
                after = *last;
                members.extend(page.iter().map(|(c, _)| c.0));
            }
            lock(&self.segments).load_members(id, members);
        }
        tracing::info!(
            customers,
            read_seconds = read_in as f64 / 1000.0,
            seconds = (now_ms() - started) as f64 / 1000.0,
            "the intelligence engine is built"
        );
        *write(&self.model) = Some(model);
        self.follow_lines(settings);
        *write(&self.applied_seq) = seq;
        self.set_readiness(Readiness::Ready {
            customers,
            built_at: now,
        });
        self.built.notify_waiters();
        self.evaluate_everyone(store, settings).await;
        self.settled
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Evaluates every segment for every customer and records what changed.
    pub(super) async fn evaluate_everyone(
        self: &Arc<Self>,
        store: &dyn Store,
        settings: &ShopSettings,
    ) {
        let zone = settings.current().time_zone;
        let this = Arc::clone(self);
        let decided = tokio::task::spawn_blocking(move || {
            let now = now_ms();
            let model = super::read(&this.model);
            let Some(model) = model.as_ref() else {
                return Vec::new();
            };
            let pass = model.pass(zone, now);
            lock(&this.segments).evaluate_all(&pass)
        })
        .await
        .unwrap_or_default();
        self.record(store, decided).await;
    }
}
