//! Keeping the engine current: the change log applied as soon as this process's writer
//! commits (and polled, for other processes' writes), customers due at a day's turn evaluated
//! at its first instant, the quintile cuts and drifting segments refreshed every minute, and
//! the models fitted again every few hours.

use super::activity::{Touched, activity_update};
use super::build::person;
use super::{
    Intelligence, Readiness, day_of, lock, now_ms, read, start_of_day, summaries, to_facts, write,
};
use crate::ShopSettings;
use guanxi_domain::CustomerId;
use guanxi_store::{Store, StoreResult};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Changes applied per step while following.
const FOLLOW_BATCH: u32 = 5_000;
/// How often the change log is read when nothing woke the engine (other processes' writes).
const FOLLOW_EVERY: Duration = Duration::from_millis(200);
/// How often the models are fitted again on everything.
const REFIT_EVERY: Duration = Duration::from_secs(6 * 3600);
/// How often the quintile cuts are recomputed (a sort of every customer) and segments that
/// depend on them or on the models evaluated again.
const RECUT_EVERY: Duration = Duration::from_secs(60);
/// How often the stored definitions are compared with those installed (another server's edit).
const DEFINITIONS_EVERY: Duration = Duration::from_secs(30);

/// Change kinds that alter a customer's orders, and those that alter who they are.
fn touches_orders(kind: &str) -> bool {
    matches!(kind, "order" | "merged" | "merged_away")
}

/// Kinds that alter a customer's behaviour events (a merge moves them to the survivor).
fn touches_events(kind: &str) -> bool {
    matches!(kind, "event" | "merged" | "merged_away")
}

/// Kinds that alter a customer's traits.
fn touches_traits(kind: &str) -> bool {
    matches!(kind, "traits" | "merged" | "merged_away")
}

fn touches_person(kind: &str) -> bool {
    matches!(
        kind,
        "created" | "identified" | "merged" | "merged_away" | "tags"
    )
}

impl Intelligence {
    /// Applies the change log once; answers how many changes it read.
    pub async fn catch_up(
        self: &Arc<Self>,
        store: &dyn Store,
        settings: &ShopSettings,
    ) -> StoreResult<usize> {
        let _following = self.follow_lock.lock().await;
        let after = *read(&self.applied_seq);
        let changes = store.changes_after(after, FOLLOW_BATCH).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(0);
        };
        let collect = |test: fn(&str) -> bool| -> Vec<CustomerId> {
            let set: BTreeSet<CustomerId> = changes
                .iter()
                .filter(|c| test(&c.kind))
                .map(|c| c.customer)
                .collect();
            set.into_iter().collect()
        };
        let (orders_of, people_of) = (collect(touches_orders), collect(touches_person));
        let (actors, described) = (collect(touches_events), collect(touches_traits));
        let shop = settings.current();
        let (facts, persons) = tokio::try_join!(
            store.order_facts_of(&orders_of, shop.currency.code()),
            store.person_facts_of(&people_of)
        )?;
        let found = summaries(&to_facts(&facts), shop.time_zone);
        let kept = match read(&self.model).as_ref() {
            Some(model) => model.activity.kept(),
            None => Default::default(),
        };
        let touched = Touched {
            buyers: &orders_of,
            actors: &actors,
            described: &described,
        };
        let done = activity_update(store, &kept, &touched, &facts, settings).await?;
        let decided = {
            let mut model = write(&self.model);
            let Some(model) = model.as_mut() else {
                return Ok(changes.len());
            };
            let mut found = found.into_iter().peekable();
            for customer in &orders_of {
                let summary = found.next_if(|(c, _)| *c == customer.0).map(|(_, s)| s);
                model.engine.features.set(customer.0, summary);
            }
            done.apply(&mut model.activity, &touched);
            let mut persons = persons.into_iter().peekable();
            for customer in &people_of {
                let now = persons.next_if(|p| p.customer == *customer).map(person);
                model.people.set(customer.0, now);
            }
            let now = now_ms();
            if !orders_of.is_empty() {
                self.features_changed.store(true, Ordering::Relaxed);
                self.orders_since_learnt.store(true, Ordering::Relaxed);
                // A shop's first orders get cuts at once; later ones at the next recut.
                if model.engine.cuts.is_none() {
                    model.engine.refresh_cuts(now);
                }
            }
            let pass = model.pass(shop.time_zone, now);
            // Events and traits move only rules on them: their customers are evaluated when
            // some are kept.
            let actors = match kept.events.is_empty() {
                true => &[][..],
                false => &actors[..],
            };
            let described = match kept.traits.is_empty() {
                true => &[][..],
                false => &described[..],
            };
            let evaluate: BTreeSet<CustomerId> = orders_of
                .iter()
                .chain(&people_of)
                .chain(actors)
                .chain(described)
                .copied()
                .collect();
            let mut segments = lock(&self.segments);
            let mut decided = Vec::new();
            for customer in evaluate {
                segments.evaluate(&pass, customer.0, &mut decided);
            }
            decided
        };
        self.record(store, decided).await;
        *write(&self.applied_seq) = last;
        Ok(changes.len())
    }

    /// Evaluates the customers due at the start of today (shop time).
    async fn turn_the_day(self: &Arc<Self>, store: &dyn Store, settings: &ShopSettings) {
        let zone = settings.current().time_zone;
        let now = now_ms();
        let today = day_of(zone)(now);
        let decided = {
            let model = read(&self.model);
            let Some(model) = model.as_ref() else { return };
            let mut segments = lock(&self.segments);
            if segments.next_turn_day().is_none_or(|day| day > today) {
                return;
            }
            let pass = model.pass(zone, now);
            let mut decided = Vec::new();
            for customer in segments.take_due(today) {
                segments.evaluate(&pass, customer, &mut decided);
            }
            decided
        };
        self.record(store, decided).await;
    }

    /// How long until the next customer is due, if sooner than `cap`.
    fn until_next_turn(&self, settings: &ShopSettings, cap: Duration) -> Duration {
        let Some(day) = lock(&self.segments).next_turn_day() else {
            return cap;
        };
        let at = start_of_day(settings.current().time_zone, day);
        let wait = u64::try_from(at - now_ms()).unwrap_or(0);
        cap.min(Duration::from_millis(wait))
    }

    /// Recomputes the quintile cuts and the purchase cycle, then evaluates everyone again if a
    /// segment depends on them or on the models (they drift with every order and every hour).
    async fn recut(self: &Arc<Self>, store: &dyn Store, settings: &ShopSettings) {
        let drifts = lock(&self.segments).any_drifts();
        if !self.features_changed.swap(false, Ordering::Relaxed) && !drifts {
            return;
        }
        if let Some(model) = write(&self.model).as_mut() {
            let now = now_ms();
            model.engine.refresh_cuts(now);
            let today = day_of(settings.current().time_zone)(now);
            model.engine.refresh_value_ranks(today);
        }
        if drifts {
            self.evaluate_everyone(store, settings).await;
        }
    }

    /// Builds, then follows the change log for as long as the server runs, fitting the models
    /// again every few hours; learns recommendations alongside.
    pub async fn run(self: &Arc<Self>, store: &dyn Store, settings: &ShopSettings) {
        tokio::join!(self.follow(store, settings), self.learn_forever(store));
    }

    async fn follow(self: &Arc<Self>, store: &dyn Store, settings: &ShopSettings) {
        loop {
            if let Err(e) = self.build(store, settings).await {
                tracing::error!(error = %e, "the intelligence engine could not be built");
                self.set_readiness(Readiness::Failed(e.to_string()));
                tokio::time::sleep(Duration::from_secs(30)).await;
                continue;
            }
            let refit_at = tokio::time::Instant::now() + REFIT_EVERY;
            let mut recut_at = tokio::time::Instant::now() + RECUT_EVERY;
            // Segments saved while the build read the shop are installed at once.
            let mut definitions_at = tokio::time::Instant::now();
            while tokio::time::Instant::now() < refit_at {
                match self.catch_up(store, settings).await {
                    Ok(0) => {}
                    // More may be waiting: read on before anything else.
                    Ok(_) => continue,
                    Err(e) => tracing::warn!(error = %e, "could not read the change log"),
                }
                self.record_pending(store).await;
                self.follow_lines(settings);
                self.turn_the_day(store, settings).await;
                let now = tokio::time::Instant::now();
                if now >= recut_at {
                    recut_at = now + RECUT_EVERY;
                    self.recut(store, settings).await;
                }
                if now >= definitions_at {
                    definitions_at = now + DEFINITIONS_EVERY;
                    match self.definitions_changed(store).await {
                        Ok(true) => {
                            if let Err(e) = self.redefine(store, settings).await {
                                tracing::warn!(error = %e, "could not read the segments");
                            }
                        }
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "could not read the segments"),
                    }
                }
                let wait = self.until_next_turn(settings, FOLLOW_EVERY);
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}
