//! What an origin sends: its spec, its templates and, for an A/B test whose time is up, the
//! winner (chosen once per server; the rest of the audience is moved to it).

use super::Dispatcher;
use crate::messaging::campaign::{CampaignSpec, UNDECIDED, results, spec_of};
use crate::messaging::template::TemplateContent;
use crate::messaging::templates::content_of;
use guanxi_store::{CampaignRecord, StoreError, StoreResult};
use std::collections::HashMap;

/// What one origin sends: its spec and templates.
pub(super) struct Plan {
    pub(super) spec: CampaignSpec,
    pub(super) templates: HashMap<String, TemplateContent>,
    /// An A/B test's winner, once chosen: what undecided deliveries get.
    pub(super) winner: Option<String>,
}

fn record_origin(record: &CampaignRecord) -> String {
    crate::messaging::campaign::origin_of(record.id)
}

impl Dispatcher {
    /// What an origin sends; with `undecided` deliveries of an A/B test, its winner too.
    pub(super) async fn plan(&self, origin: &str, undecided: bool) -> StoreResult<Option<Plan>> {
        let Some(id) = origin
            .strip_prefix("campaign:")
            .and_then(|id| id.parse().ok())
        else {
            return Ok(None);
        };
        let store = self.messaging.store.as_ref();
        let record = match store.campaign(id).await {
            Ok(r) => r,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let spec = spec_of(&record)?;
        let mut templates = HashMap::new();
        for variant in &spec.variants {
            match store.template_by_key(&variant.template).await {
                Ok(t) => {
                    templates.insert(variant.template.clone(), content_of(&t)?);
                }
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let winner = if undecided && spec.ab_test.is_some() {
            self.winner_of(&record).await?
        } else {
            None
        };
        Ok(Some(Plan {
            spec,
            templates,
            winner,
        }))
    }

    /// The A/B test's winner, chosen once per server; the rest of the audience is moved to it.
    async fn winner_of(&self, record: &CampaignRecord) -> StoreResult<Option<String>> {
        if let Some(known) = self.winners.lock().await.get(&record.id) {
            return Ok(Some(known.clone()));
        }
        let Some(winner) = results::winner(&self.messaging, record).await? else {
            return Ok(None);
        };
        let moved = self
            .messaging
            .store
            .reassign_variant(&record_origin(record), UNDECIDED, &winner)
            .await?;
        tracing::info!(campaign.id = record.id, variant = %winner, moved, "A/B test decided");
        self.winners.lock().await.insert(record.id, winner.clone());
        Ok(Some(winner))
    }
}
