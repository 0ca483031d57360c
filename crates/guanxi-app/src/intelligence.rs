//! The intelligence engine of this server: built in memory from the store's order facts at
//! start (with progress), then kept current from the change log, so every server converges on
//! its own. Reads answer from memory.

use crate::ShopSettings;
use guanxi_domain::{CustomerId, Millis, ShopTimeZone};
use guanxi_engine::clv::ClvOptions;
use guanxi_engine::features::{DAY_MS, Fact, Features, OrderSummary};
use guanxi_engine::scores::{CustomerScores, Engine, RfmOverview};
use guanxi_store::{OrderFact, Store, StoreResult};
use std::collections::BTreeSet;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

/// Customers read per window while building.
const BUILD_WINDOW: i64 = 50_000;
/// Changes applied per step while following.
const FOLLOW_BATCH: u32 = 5_000;
/// How often the change log is read when there was nothing new.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);
/// How often the models are fitted again on everything.
const REFIT_EVERY: Duration = Duration::from_secs(6 * 3600);
/// How often the quintile cuts are recomputed while changes arrive (a sort of every customer).
const RECUT_EVERY: Duration = Duration::from_secs(60);

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

pub struct Intelligence {
    readiness: RwLock<Readiness>,
    engine: RwLock<Option<Engine>>,
    /// The change log is applied up to here.
    applied_seq: RwLock<i64>,
    cuts_at: RwLock<Option<std::time::Instant>>,
}

impl Default for Intelligence {
    fn default() -> Self {
        Self {
            readiness: RwLock::new(Readiness::Building { read: 0, of: 0 }),
            engine: RwLock::new(None),
            applied_seq: RwLock::new(0),
            cuts_at: RwLock::new(None),
        }
    }
}

/// The shop-local day of an instant.
fn day_of(zone: ShopTimeZone) -> impl Fn(i64) -> i64 {
    move |at| (at + zone.offset_ms_at(at)).div_euclid(DAY_MS)
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
        self.readiness
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_readiness(&self, r: Readiness) {
        *self
            .readiness
            .write()
            .unwrap_or_else(PoisonError::into_inner) = r;
    }

    /// The shop's customers by RFM, now; `None` while building.
    pub fn rfm_overview(&self, zone: ShopTimeZone) -> Option<RfmOverview> {
        let now = now_ms();
        let engine = self.engine.read().unwrap_or_else(PoisonError::into_inner);
        Some(engine.as_ref()?.rfm_overview(day_of(zone)(now), now))
    }

    /// The fitted models' parameters, or why there are none: for logs and benchmarks.
    pub fn describe(&self) -> String {
        let engine = self.engine.read().unwrap_or_else(PoisonError::into_inner);
        match engine.as_ref().map(|e| &e.clv) {
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
        let engine = self.engine.read().unwrap_or_else(PoisonError::into_inner);
        engine.as_ref()?.scores(customer.0, day_of(zone)(now), now)
    }

    /// Reads every customer's order facts and fits the models.
    pub async fn build(&self, store: &dyn Store, settings: &ShopSettings) -> StoreResult<()> {
        let shop = settings.current();
        let currency = shop.currency.code().to_owned();
        // Changes after this point are applied by `follow`; re-reading a customer is harmless.
        let started = now_ms();
        let seq = store.last_change_seq().await?;
        let max_id = store.max_customer_id().await?;
        let mut features = Features::default();
        let mut after = 0;
        while after < max_id {
            let up_to = (after + BUILD_WINDOW).min(max_id);
            let facts = store
                .order_facts_between(CustomerId(after), CustomerId(up_to), &currency)
                .await?;
            for (customer, summary) in summaries(&to_facts(&facts), shop.time_zone) {
                features.set(customer, Some(summary));
            }
            after = up_to;
            self.set_readiness(Readiness::Building {
                read: after,
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
        .map_err(|e| guanxi_store::StoreError::other(format!("the engine build failed: {e}")))?;
        if let Err(e) = &engine.clv {
            tracing::info!(reason = %e, "lifetime value falls back to the heuristic");
        }
        let customers = engine.features.len();
        tracing::info!(
            customers,
            read_seconds = read_in as f64 / 1000.0,
            seconds = (now_ms() - started) as f64 / 1000.0,
            "the intelligence engine is built"
        );
        *self.engine.write().unwrap_or_else(PoisonError::into_inner) = Some(engine);
        *self
            .applied_seq
            .write()
            .unwrap_or_else(PoisonError::into_inner) = seq;
        *self.cuts_at.write().unwrap_or_else(PoisonError::into_inner) =
            Some(std::time::Instant::now());
        self.set_readiness(Readiness::Ready {
            customers,
            built_at: now,
        });
        Ok(())
    }

    /// Applies the change log once; answers how many changes it read.
    pub async fn catch_up(&self, store: &dyn Store, settings: &ShopSettings) -> StoreResult<usize> {
        let after = *self
            .applied_seq
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let changes = store.changes_after(after, FOLLOW_BATCH).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(0);
        };
        let touched: BTreeSet<CustomerId> = changes
            .iter()
            .filter(|c| matches!(c.kind.as_str(), "order" | "merged" | "merged_away"))
            .map(|c| c.customer)
            .collect();
        let touched: Vec<CustomerId> = touched.into_iter().collect();
        let shop = settings.current();
        let facts = store.order_facts_of(&touched, shop.currency.code()).await?;
        let found = summaries(&to_facts(&facts), shop.time_zone);
        if let Some(engine) = self
            .engine
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            let mut found = found.into_iter().peekable();
            for customer in &touched {
                let summary = found.next_if(|(c, _)| *c == customer.0).map(|(_, s)| s);
                engine.features.set(customer.0, summary);
            }
            let mut cuts_at = self.cuts_at.write().unwrap_or_else(PoisonError::into_inner);
            let stale =
                engine.cuts.is_none() || cuts_at.is_none_or(|at| at.elapsed() >= RECUT_EVERY);
            if !touched.is_empty() && stale {
                engine.refresh_cuts(now_ms());
                *cuts_at = Some(std::time::Instant::now());
            }
        }
        *self
            .applied_seq
            .write()
            .unwrap_or_else(PoisonError::into_inner) = last;
        Ok(changes.len())
    }

    /// Builds, then follows the change log for as long as the server runs, fitting the models
    /// again every few hours.
    pub async fn run(&self, store: &dyn Store, settings: &ShopSettings) {
        loop {
            if let Err(e) = self.build(store, settings).await {
                tracing::error!(error = %e, "the intelligence engine could not be built");
                self.set_readiness(Readiness::Failed(e.to_string()));
                tokio::time::sleep(Duration::from_secs(30)).await;
                continue;
            }
            let refit_at = tokio::time::Instant::now() + REFIT_EVERY;
            while tokio::time::Instant::now() < refit_at {
                match self.catch_up(store, settings).await {
                    Ok(0) => tokio::time::sleep(FOLLOW_EVERY).await,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read the change log");
                        tokio::time::sleep(FOLLOW_EVERY).await;
                    }
                }
            }
        }
    }
}
