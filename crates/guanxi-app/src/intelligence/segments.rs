//! Segments in the engine: their definitions loaded from the store, checked before a save,
//! previewed, and redefined when they change here or on another server.

use super::activity::needs_of;
use super::{Intelligence, Known, Model, lock, now_ms, read, write};
use crate::ShopSettings;
use guanxi_domain::{CustomerId, ShopTimeZone};
use guanxi_engine::segment::{Definition, Rule, RuleError, preview};
use guanxi_store::{SegmentRecord, Store, StoreResult};
use std::sync::Arc;

/// How many customers a preview shows.
pub const PREVIEW_SAMPLE: usize = 20;

/// A rule's reach before it is saved.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub count: u64,
    /// Live customers in it, the first `PREVIEW_SAMPLE` by id.
    pub sample: Vec<CustomerId>,
}

/// A stored segment with its parsed rule, or why it does not parse any more.
#[derive(Debug, Clone)]
pub struct SegmentView {
    pub record: SegmentRecord,
    pub rule: Result<Rule, RuleError>,
}

impl SegmentView {
    pub fn of(record: SegmentRecord) -> Self {
        let rule = serde_json::from_str(&record.rule)
            .map_err(|e| RuleError::new("rule", format!("is not JSON: {e}")))
            .and_then(|v| Rule::from_json(&v));
        Self { record, rule }
    }
}

pub(super) async fn stored_views(store: &dyn Store) -> StoreResult<Vec<SegmentView>> {
    Ok(store
        .segments()
        .await?
        .into_iter()
        .map(SegmentView::of)
        .collect())
}

/// Minor units per major unit: rules compare money in major units (`spent >= 500` is ¥500).
fn minor_per_major(settings: &ShopSettings) -> f64 {
    10f64.powi(settings.current().currency.decimals() as i32)
}

impl Intelligence {
    /// Installs stored definitions: those that parse and refer to nothing broken. The rest are
    /// logged and left out. Answers the ids installed.
    pub(super) fn install(
        &self,
        views: &[SegmentView],
        model: &mut Model,
        settings: &ShopSettings,
    ) -> Vec<i64> {
        let mut defs = Vec::new();
        for v in views {
            match &v.rule {
                Ok(rule) => defs.push(Definition {
                    id: v.record.id,
                    key: v.record.key.clone(),
                    rule: rule.clone(),
                    auto_tag: v.record.auto_tag.clone(),
                }),
                Err(e) => tracing::error!(
                    segment = %v.record.key,
                    error = %e,
                    "a stored segment rule does not parse; it is not evaluated"
                ),
            }
        }
        let minor = minor_per_major(settings);
        let mut segments = lock(&self.segments);
        // Definitions are installed all or nothing: drop the one refused and try again.
        while let Err(e) = segments.define(&defs, &mut model.people, minor) {
            tracing::error!(
                segment = %e.segment,
                error = %e.error,
                "a stored segment cannot be evaluated"
            );
            defs.retain(|d| d.key != e.segment);
        }
        *write(&self.known) = views
            .iter()
            .map(|v| Known {
                id: v.record.id,
                key: v.record.key.clone(),
                name: v.record.name.clone(),
                updated_at: v.record.updated_at,
                auto_tag: v.record.auto_tag.clone(),
            })
            .collect();
        defs.iter().map(|d| d.id).collect()
    }

    /// Installs the stored definitions again (one was created, changed or deleted) and
    /// evaluates everyone against them.
    pub async fn redefine(
        self: &Arc<Self>,
        store: &dyn Store,
        settings: &ShopSettings,
    ) -> StoreResult<()> {
        let views = stored_views(store).await?;
        let needs = needs_of(views.iter().filter_map(|v| v.rule.as_ref().ok()));
        self.ensure_needs(store, settings, &needs).await?;
        {
            let mut model = write(&self.model);
            // While building, the build installs the definitions itself.
            let Some(model) = model.as_mut() else {
                return Ok(());
            };
            self.install(&views, model, settings);
            model.activity.keep_only(&needs);
        }
        self.evaluate_everyone(store, settings).await;
        Ok(())
    }

    /// The keys of the segments a customer is in now.
    pub fn segments_of(&self, customer: CustomerId) -> Vec<String> {
        lock(&self.segments)
            .of_customer(customer.0)
            .into_iter()
            .map(|(_, key)| key.to_owned())
            .collect()
    }

    /// Who a rule reaches now; `None` while the engine builds. Order days the rule needs and
    /// no segment kept yet are read first.
    pub async fn preview(
        &self,
        store: &dyn Store,
        rule: &Rule,
        settings: &ShopSettings,
        zone: ShopTimeZone,
    ) -> StoreResult<Option<Result<Preview, RuleError>>> {
        self.ensure_needs(store, settings, &needs_of([rule]))
            .await?;
        Ok(self.preview_now(rule, settings, zone))
    }

    fn preview_now(
        &self,
        rule: &Rule,
        settings: &ShopSettings,
        zone: ShopTimeZone,
    ) -> Option<Result<Preview, RuleError>> {
        let now = now_ms();
        let model = read(&self.model);
        let model = model.as_ref()?;
        let segments = lock(&self.segments);
        let compiled = match segments.compile(rule, &model.people, minor_per_major(settings)) {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        };
        let pass = model.pass(zone, now);
        let (count, sample) = preview(&compiled, &pass, &segments, PREVIEW_SAMPLE);
        Some(Ok(Preview {
            count,
            sample: sample.into_iter().map(CustomerId).collect(),
        }))
    }

    /// Whether the stored definitions differ from those installed (another server saved).
    pub(super) async fn definitions_changed(&self, store: &dyn Store) -> StoreResult<bool> {
        let stored = store.segment_versions().await?;
        let known = read(&self.known);
        let installed: Vec<(i64, i64)> = known.iter().map(|k| (k.id, k.updated_at)).collect();
        Ok(stored != installed)
    }
}
