//! Recommendations in this server: the item-to-item model learnt from every customer's
//! purchases and product views once the engine is built, then again every hour; a customer's offer is computed
//! when asked, from what they bought.

use super::{Intelligence, Readiness, now_ms, read, write};
use guanxi_domain::{CustomerId, Millis};
use guanxi_engine::recommend::{Builder, Recommendation, Recommender};
use guanxi_store::{EventFact, ProductLine, Store, StoreError, StoreResult};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The longest the model goes without learning again from everything.
const RELEARN_EVERY: Duration = Duration::from_secs(3600);
/// The shortest pause between two learnings.
const MIN_PAUSE: Duration = Duration::from_secs(1);
/// Customers read per window while learning.
const LEARN_WINDOW: i64 = 50_000;

/// The model and when it learnt.
pub(super) struct Learnt {
    model: Recommender,
    at: Millis,
}

/// A customer's offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub items: Vec<Recommendation>,
    /// Products the model knows, and when it learnt them.
    pub products: usize,
    pub learnt_at: Millis,
}

/// The event whose `sku` (or `product_id`) property says which product was looked at.
const PRODUCT_VIEWED: &str = "Product Viewed";

/// Each customer's products bought (each once, newest first) and looked at, from lines by
/// customer and newest first and views by customer.
fn by_customer(lines: Vec<ProductLine>, views: Vec<EventFact>) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out: BTreeMap<CustomerId, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for line in lines {
        let (owned, _) = out.entry(line.customer).or_default();
        if !owned.contains(&line.sku) {
            owned.push(line.sku);
        }
    }
    for view in views {
        let Ok(properties) = serde_json::from_str::<serde_json::Value>(&view.properties) else {
            continue;
        };
        let sku = properties
            .get("sku")
            .or_else(|| properties.get("product_id"))
            .and_then(|v| v.as_str());
        if let Some(sku) = sku {
            let (_, viewed) = out.entry(view.customer).or_default();
            if !viewed.iter().any(|v| v == sku) {
                viewed.push(sku.to_owned());
            }
        }
    }
    out.into_values().collect()
}

impl Intelligence {
    /// Learns the model from every customer's purchases.
    pub(super) async fn learn_recommendations(&self, store: &dyn Store) -> StoreResult<()> {
        let started = now_ms();
        let max_id = store.max_customer_id().await?;
        let mut builder = Builder::default();
        let mut after = 0;
        while after < max_id {
            let up_to = (after + LEARN_WINDOW).min(max_id);
            let (from, to) = (CustomerId(after), CustomerId(up_to));
            let viewed = [PRODUCT_VIEWED.to_owned()];
            let (lines, views) = tokio::try_join!(
                store.product_lines_between(from, to),
                store.event_facts_between(from, to, &viewed)
            )?;
            // Counting pairs is CPU work: off the async threads.
            builder = tokio::task::spawn_blocking(move || {
                for (owned, viewed) in by_customer(lines, views) {
                    let owned: Vec<&str> = owned.iter().map(String::as_str).collect();
                    let viewed: Vec<&str> = viewed.iter().map(String::as_str).collect();
                    builder.add_customer(&owned, &viewed);
                }
                builder
            })
            .await
            .map_err(|e| StoreError::other(format!("learning recommendations failed: {e}")))?;
            after = up_to;
        }
        let model = tokio::task::spawn_blocking(move || builder.build())
            .await
            .map_err(|e| StoreError::other(format!("learning recommendations failed: {e}")))?;
        tracing::info!(
            products = model.products(),
            seconds = (now_ms() - started) as f64 / 1000.0,
            "recommendations learnt"
        );
        *write(&self.recommender) = Some(Arc::new(Learnt {
            model,
            at: now_ms(),
        }));
        Ok(())
    }

    /// Whether the recommendation model has learnt at least once.
    pub fn has_learnt(&self) -> bool {
        read(&self.recommender).is_some()
    }

    /// Up to `k` products for a customer; `None` until the model has learnt.
    pub async fn recommendations(
        &self,
        store: &dyn Store,
        customer: CustomerId,
        k: usize,
    ) -> StoreResult<Option<Offer>> {
        let Some(learnt) = read(&self.recommender).clone() else {
            return Ok(None);
        };
        let owned = store.customer_products(customer).await?;
        let owned: Vec<&str> = owned.iter().map(String::as_str).collect();
        Ok(Some(Offer {
            items: learnt.model.recommend(&owned, k),
            products: learnt.model.products(),
            learnt_at: learnt.at,
        }))
    }

    /// Learns once the engine is built, then again whenever orders have changed, no sooner
    /// than twenty times what the last learning took (so at most a twentieth of a core goes
    /// to it: a second for a small shop, minutes for millions of orders), and at least hourly.
    pub(super) async fn learn_forever(&self, store: &dyn Store) {
        loop {
            // Registered before the check, so a build finishing in between is not missed.
            let built = self.built.notified();
            tokio::pin!(built);
            built.as_mut().enable();
            if matches!(self.readiness(), Readiness::Ready { .. }) {
                break;
            }
            built.await;
        }
        loop {
            let started = std::time::Instant::now();
            self.orders_since_learnt
                .store(false, std::sync::atomic::Ordering::Relaxed);
            if let Err(e) = self.learn_recommendations(store).await {
                tracing::warn!(error = %e, "could not learn recommendations; trying again later");
            }
            let pause = (started.elapsed() * 20).clamp(MIN_PAUSE, RELEARN_EVERY);
            loop {
                tokio::time::sleep(pause).await;
                let changed = self
                    .orders_since_learnt
                    .load(std::sync::atomic::Ordering::Relaxed);
                if changed || started.elapsed() >= RELEARN_EVERY {
                    break;
                }
            }
        }
    }
}
