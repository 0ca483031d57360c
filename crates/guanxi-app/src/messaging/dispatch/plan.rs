//! What an origin sends: a campaign's templates per variant and, for an A/B test whose time
//! is up, the winner (chosen once per server; the rest of the audience is moved to it); a
//! journey step's template or webhook address (`journey:ID:VERSION:STEP:RUN`).

use super::Dispatcher;
use crate::messaging::campaign::{UNDECIDED, results, spec_of};
use crate::messaging::template::TemplateContent;
use crate::messaging::templates::content_of;
use guanxi_domain::journey::{Definition, StepKind};
use guanxi_domain::messaging::Purpose;
use guanxi_store::{CampaignRecord, StoreError, StoreResult};
use std::collections::HashMap;

/// What one origin sends.
pub(super) struct Plan {
    pub(super) purpose: Purpose,
    /// The template of each variant (a journey step's under the empty variant).
    pub(super) templates: HashMap<String, TemplateContent>,
    /// An A/B test's winner, once chosen: what undecided deliveries get.
    pub(super) winner: Option<String>,
    /// Where a journey's webhook step posts, when it names its own address.
    pub(super) url: Option<String>,
    /// Sent on each customer's clock: quiet hours are theirs too.
    pub(super) local_time: bool,
}

impl Plan {
    /// The template a delivery of `variant` gets.
    pub(super) fn template(&self, variant: &str) -> Option<&TemplateContent> {
        let variant = match (&self.winner, variant) {
            (Some(winner), UNDECIDED) => winner.as_str(),
            _ => variant,
        };
        self.templates.get(variant).or_else(|| {
            // One template only (a campaign without a test): every delivery gets it.
            (self.templates.len() == 1)
                .then(|| self.templates.values().next())
                .flatten()
        })
    }
}

fn record_origin(record: &CampaignRecord) -> String {
    crate::messaging::campaign::origin_of(record.id)
}

impl Dispatcher {
    /// What an origin sends; with `undecided` deliveries of an A/B test, its winner too.
    pub(super) async fn plan(&self, origin: &str, undecided: bool) -> StoreResult<Option<Plan>> {
        if let Some(rest) = origin.strip_prefix("journey:") {
            return self.journey_plan(rest).await;
        }
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
            if let Some(content) = self.template_content(&variant.template).await? {
                templates.insert(variant.key.clone(), content);
            }
        }
        let winner = if undecided && spec.ab_test.is_some() {
            self.winner_of(&record).await?
        } else {
            None
        };
        Ok(Some(Plan {
            purpose: spec.purpose(),
            templates,
            winner,
            url: None,
            local_time: spec.local_time,
        }))
    }

    /// A journey step's message: `ID:VERSION:STEP:RUN`.
    async fn journey_plan(&self, origin: &str) -> StoreResult<Option<Plan>> {
        let mut parts = origin.splitn(4, ':');
        let (Some(id), Some(version), Some(step)) = (
            parts.next().and_then(|p| p.parse::<i64>().ok()),
            parts.next().and_then(|p| p.parse::<i64>().ok()),
            parts.next(),
        ) else {
            return Ok(None);
        };
        let definition = match self.messaging.store.journey_version(id, version).await {
            Ok(text) => text,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let definition: Definition = serde_json::from_str(&definition)
            .map_err(|e| StoreError::other(format!("stored journey {id} is corrupt: {e}")))?;
        let mut templates = HashMap::new();
        match definition.step(step).map(|s| &s.kind) {
            Some(StepKind::Send { template, .. }) => {
                if let Some(content) = self.template_content(template).await? {
                    templates.insert(UNDECIDED.to_owned(), content);
                }
                Ok(Some(Plan {
                    purpose: Purpose::Marketing,
                    templates,
                    winner: None,
                    url: None,
                    local_time: false,
                }))
            }
            // A call to the shop's own system: no message text, no consent to ask.
            // Checked when saved; checked again, as the configuration may have changed since.
            Some(StepKind::Webhook { url: Some(url), .. })
                if !self.messaging.config.webhook_allowed(url) =>
            {
                Ok(None)
            }
            Some(StepKind::Webhook { url, .. }) => {
                let mut content = TemplateContent::default();
                content.languages.insert("zh-CN".into(), Default::default());
                templates.insert(UNDECIDED.to_owned(), content);
                Ok(Some(Plan {
                    purpose: Purpose::Transactional,
                    templates,
                    winner: None,
                    url: url.clone(),
                    local_time: false,
                }))
            }
            _ => Ok(None),
        }
    }

    async fn template_content(&self, key: &str) -> StoreResult<Option<TemplateContent>> {
        match self.messaging.store.template_by_key(key).await {
            Ok(t) => Ok(Some(content_of(&t)?)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
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
