//! The intelligence engine of this server: built in memory from the store's order facts and
//! people at start (with progress), then kept current from the change log, so every server
//! converges on its own. Reads answer from memory.
//!
//! - `build`: reading everything and fitting the models;
//! - `follow`: applying the change log, the calendar's turns and the periodic recut;
//! - `record`: writing segment entries and exits (members, history, timeline events, change
//!   log) and announcing them in-process;
//! - `segments`: defining segments and reading them.

mod activity;
mod build;
mod follow;
mod recommend;
mod record;
mod segments;

pub use recommend::Offer;
pub use segments::{Preview, SegmentView};

use guanxi_domain::{CustomerId, Millis, ShopTimeZone};
use guanxi_engine::features::{DAY_MS, Fact, OrderSummary};
use guanxi_engine::people::People;
use guanxi_engine::scores::{CustomerScores, Engine, RfmOverview};
use guanxi_engine::segment::{Segments, Transition};
use guanxi_store::OrderFact;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::{Notify, broadcast};

/// Where the engine is.
#[derive(Debug, Clone, PartialEq)]
pub enum Readiness {
    /// Reading order facts: customer ids up to `read` of `of` done.
    Building {
        read: i64,
        of: i64,
    },
    Ready {
        customers: usize,
        built_at: Millis,
    },
    Failed(String),
}

/// What the engine holds about customers: order features with the fitted models, and people.
pub(crate) struct Model {
    engine: Engine,
    people: People,
    /// Order days kept for the rules' purchase conditions.
    activity: guanxi_engine::segment::Activity,
}

impl Model {
    /// An evaluation pass over this model at `now`, in the shop's `zone`.
    fn pass(&self, zone: ShopTimeZone, now: Millis) -> guanxi_engine::segment::Pass<'_> {
        guanxi_engine::segment::Pass::new(
            &self.engine,
            &self.people,
            &self.activity,
            day_of(zone)(now),
            now,
        )
    }
}

/// A segment as the engine knows it, for events and reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Known {
    id: i64,
    key: String,
    name: String,
    updated_at: Millis,
    /// The tag members carry while they are members.
    auto_tag: Option<String>,
}

pub struct Intelligence {
    readiness: RwLock<Readiness>,
    /// Lock order: `model` before `segments`, never the other way.
    model: RwLock<Option<Model>>,
    segments: Mutex<Segments>,
    known: RwLock<Vec<Known>>,
    /// The change log is applied up to here.
    applied_seq: RwLock<i64>,
    /// Whether the last build's evaluation of every segment is recorded.
    settled: std::sync::atomic::AtomicBool,
    /// Orders changed since the quintile cuts were last computed.
    features_changed: std::sync::atomic::AtomicBool,
    /// Entries and exits decided but not yet recorded (the database was busy): retried.
    pending: Mutex<Vec<Transition>>,
    /// Held while changes are applied, and while a rule's new needs are read, so the two
    /// never interleave.
    follow_lock: tokio::sync::Mutex<()>,
    /// Poked after every commit of this process's writer, and when segments are redefined.
    wake: Arc<Notify>,
    /// The recommendation model, once learnt.
    recommender: RwLock<Option<Arc<recommend::Learnt>>>,
    /// Orders changed since the recommendations last learnt.
    orders_since_learnt: std::sync::atomic::AtomicBool,
    /// Told when a build finishes.
    built: Notify,
    /// The source segment events are recorded under, once looked up.
    engine_source: std::sync::OnceLock<guanxi_domain::SourceId>,
    /// Every recorded entry and exit, as it is committed.
    announce: broadcast::Sender<Arc<Vec<Transition>>>,
}

impl Default for Intelligence {
    fn default() -> Self {
        Self {
            readiness: RwLock::new(Readiness::Building { read: 0, of: 0 }),
            model: RwLock::new(None),
            segments: Mutex::new(Segments::default()),
            known: RwLock::new(Vec::new()),
            applied_seq: RwLock::new(0),
            features_changed: std::sync::atomic::AtomicBool::new(false),
            settled: std::sync::atomic::AtomicBool::new(false),
            pending: Mutex::new(Vec::new()),
            follow_lock: tokio::sync::Mutex::new(()),
            wake: Arc::new(Notify::new()),
            recommender: RwLock::new(None),
            built: Notify::new(),
            orders_since_learnt: std::sync::atomic::AtomicBool::new(false),
            engine_source: std::sync::OnceLock::new(),
            announce: broadcast::channel(1024).0,
        }
    }
}

/// Locks stay usable after a panic elsewhere: the engine's state is rebuilt from the store on
/// the next refit at worst.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

fn lock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The shop-local day of an instant.
fn day_of(zone: ShopTimeZone) -> impl Fn(i64) -> i64 {
    move |at| (at + zone.offset_ms_at(at)).div_euclid(DAY_MS)
}

/// The instant a shop-local day starts.
fn start_of_day(zone: ShopTimeZone, day: i64) -> Millis {
    let midnight = chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .unwrap_or_default()
        .naive_utc();
    zone.instant_of(midnight).unwrap_or(day * DAY_MS)
}

fn to_facts(facts: &[OrderFact]) -> Vec<Fact> {
    facts
        .iter()
        .map(|f| Fact {
            customer: f.customer.0,
            at: f.at,
            value: f.value,
        })
        .collect()
}

/// Each customer's summary from facts sorted by customer.
fn summaries(facts: &[Fact], zone: ShopTimeZone) -> Vec<(i64, OrderSummary)> {
    facts
        .chunk_by(|a, b| a.customer == b.customer)
        .filter_map(|one| Some((one[0].customer, OrderSummary::of(one, day_of(zone))?)))
        .collect()
}

fn now_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

impl Intelligence {
    pub fn readiness(&self) -> Readiness {
        read(&self.readiness).clone()
    }

    fn set_readiness(&self, r: Readiness) {
        *write(&self.readiness) = r;
    }

    /// Whether the engine is built and its first evaluation of every segment recorded (after
    /// an upgrade or a new segment on a large shop, that is many entries to write).
    pub fn is_settled(&self) -> bool {
        self.settled.load(std::sync::atomic::Ordering::Acquire) && lock(&self.pending).is_empty()
    }

    /// What the ingest writer pokes after each commit, so changes are applied at once rather
    /// than at the next poll.
    pub fn wake_handle(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Segment entries and exits, each batch as soon as it is recorded.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Vec<Transition>>> {
        self.announce.subscribe()
    }

    /// The shop's customers by RFM, now; `None` while building.
    pub fn rfm_overview(&self, zone: ShopTimeZone) -> Option<RfmOverview> {
        let now = now_ms();
        let model = read(&self.model);
        Some(model.as_ref()?.engine.rfm_overview(day_of(zone)(now), now))
    }

    /// Takes the RFM lines the shop set (Settings → Shop) into the engine.
    pub(crate) fn follow_lines(&self, settings: &crate::ShopSettings) {
        let rfm = settings.current().rfm;
        let lines = guanxi_engine::scores::ClassLines {
            recency_days: rfm.recent_days.map(f64::from),
            frequency: rfm.orders.map(f64::from),
            monetary: rfm.spent.map(|m| m as f64),
        };
        let same = read(&self.model)
            .as_ref()
            .is_none_or(|m| m.engine.class_lines == lines);
        if !same && let Some(model) = write(&self.model).as_mut() {
            model.engine.class_lines = lines;
        }
    }

    /// When a customer first ordered in the shop (counted orders); `None` for one without, or
    /// while building.
    pub fn first_order_at(&self, customer: CustomerId) -> Option<Millis> {
        let model = read(&self.model);
        Some(model.as_ref()?.engine.features.get(customer.0)?.first_at)
    }

    /// How predicted lifetime value spreads over the shop (an even sample of at most 50,000
    /// customers); `None` while building.
    pub fn clv_distribution(
        &self,
        zone: ShopTimeZone,
    ) -> Option<guanxi_engine::distribution::ClvDistribution> {
        let model = read(&self.model);
        let today = day_of(zone)(now_ms());
        Some(model.as_ref()?.engine.clv_distribution(today, 50_000))
    }

    /// The fitted models' parameters, or why there are none: for logs and benchmarks.
    pub fn describe(&self) -> String {
        let model = read(&self.model);
        match model.as_ref().map(|m| &m.engine.clv) {
            None => "not built".to_owned(),
            Some(Ok(m)) => format!(
                "BG/NBD {:?} (log-likelihood {:.1}); Gamma-Gamma {:?} (log-likelihood {:.1})",
                m.purchases.params,
                m.purchases.log_likelihood,
                m.spend.params,
                m.spend.log_likelihood
            ),
            Some(Err(e)) => format!("heuristic: {e}"),
        }
    }

    /// The scores of a customer with counted orders; `None` while building or for a customer
    /// without orders.
    pub fn scores(&self, customer: CustomerId, zone: ShopTimeZone) -> Option<CustomerScores> {
        let now = now_ms();
        let model = read(&self.model);
        model
            .as_ref()?
            .engine
            .scores(customer.0, day_of(zone)(now), now)
    }
}
