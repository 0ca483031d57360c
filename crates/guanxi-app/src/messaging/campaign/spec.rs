//! What a campaign is: its audience, variants, holdout and A/B test, checked against the
//! segments and templates there are before it is saved.

use crate::messaging::MessagingError;
use guanxi_domain::FieldError;
use guanxi_domain::messaging::{Channel, Purpose};
use guanxi_store::{CampaignRecord, Store, StoreError, StoreResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Customers in any of these segments (by key)…
    pub segments: Vec<String>,
    /// …and in none of these.
    #[serde(default)]
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// `a`, `b`, …
    pub key: String,
    /// The template's key.
    pub template: String,
}

/// A campaign as its author defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    pub audience: Audience,
    /// One variant, or several to test against each other.
    pub variants: Vec<Variant>,
    /// `transactional` messages ignore marketing consent (and are marked as such).
    #[serde(default)]
    pub transactional: bool,
    /// Percent of the audience kept back as the control group (0 to 50).
    #[serde(default)]
    pub holdout_percent: u8,
    /// With several variants: test them on a sample first, then send the winner to the rest.
    #[serde(default)]
    pub ab_test: Option<AbTest>,
    /// Days after launch an order counts as a conversion when comparing with the holdout.
    #[serde(default = "default_conversion_days")]
    pub conversion_days: u32,
    /// At most this many messages an hour, spread evenly (a shop's call centre, a gentle
    /// warm-up of a new sending domain); all at once when absent.
    #[serde(default)]
    pub per_hour: Option<u32>,
    /// Send at `send_at`'s time of day in each customer's own time zone (their `timezone`
    /// trait; the shop's when they have none).
    #[serde(default)]
    pub local_time: bool,
}

fn default_conversion_days() -> u32 {
    5
}

/// An A/B test on a sample of the audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbTest {
    /// Percent of the audience that gets a test variant (5 to 50).
    pub sample_percent: u8,
    /// `opened`, `clicked` or `converted`: what the winner is chosen by.
    pub metric: String,
    /// Hours after launch the winner is chosen and sent to the rest.
    pub decide_after_hours: u32,
}

/// The variant of deliveries waiting for an A/B test's winner.
pub const UNDECIDED: &str = "";

impl CampaignSpec {
    pub fn purpose(&self) -> Purpose {
        if self.transactional {
            Purpose::Transactional
        } else {
            Purpose::Marketing
        }
    }

    pub fn template_of(&self, variant: &str) -> Option<&str> {
        self.variants
            .iter()
            .find(|v| v.key == variant)
            .or_else(|| self.variants.first())
            .map(|v| v.template.as_str())
    }
}

pub fn origin_of(campaign: i64) -> String {
    format!("campaign:{campaign}")
}

pub fn spec_of(record: &CampaignRecord) -> StoreResult<CampaignSpec> {
    serde_json::from_str(&record.spec)
        .map_err(|e| StoreError::other(format!("stored campaign {} is corrupt: {e}", record.id)))
}

/// Reads and checks a spec for a campaign over `channel`.
pub(super) async fn check(
    store: &dyn Store,
    channel: Channel,
    value: &serde_json::Value,
) -> Result<CampaignSpec, MessagingError> {
    let spec: CampaignSpec = serde_json::from_value(value.clone())
        .map_err(|e| FieldError::new("spec", e.to_string()))?;
    if spec.audience.segments.is_empty() {
        return Err(
            FieldError::new("spec.audience.segments", "must name at least one segment").into(),
        );
    }
    for (list, keys) in [
        ("segments", &spec.audience.segments),
        ("exclude", &spec.audience.exclude),
    ] {
        for (i, key) in keys.iter().enumerate() {
            match store.segment_id(key).await {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => {
                    return Err(FieldError::new(
                        format!("spec.audience.{list}[{i}]"),
                        format!("no segment has the key {key:?}"),
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    if spec.variants.is_empty() || spec.variants.len() > 5 {
        return Err(FieldError::new("spec.variants", "must hold 1 to 5 variants").into());
    }
    for (i, variant) in spec.variants.iter().enumerate() {
        if variant.key.is_empty()
            || spec
                .variants
                .iter()
                .filter(|v| v.key == variant.key)
                .count()
                > 1
        {
            return Err(FieldError::new(
                format!("spec.variants[{i}].key"),
                "must be set and unique",
            )
            .into());
        }
        match store.template_by_key(&variant.template).await {
            Ok(t) if t.channel == channel => {}
            Ok(t) => {
                return Err(FieldError::new(
                    format!("spec.variants[{i}].template"),
                    format!(
                        "is a {} template, not {}",
                        t.channel.as_str(),
                        channel.as_str()
                    ),
                )
                .into());
            }
            Err(StoreError::NotFound(_)) => {
                return Err(FieldError::new(
                    format!("spec.variants[{i}].template"),
                    format!("no template has the key {:?}", variant.template),
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    if spec.holdout_percent > 50 {
        return Err(FieldError::new("spec.holdout_percent", "must be 0 to 50").into());
    }
    if let Some(ab) = &spec.ab_test {
        if spec.variants.len() < 2 {
            return Err(FieldError::new("spec.ab_test", "needs at least two variants").into());
        }
        if !(5..=50).contains(&ab.sample_percent) {
            return Err(FieldError::new("spec.ab_test.sample_percent", "must be 5 to 50").into());
        }
        if !matches!(ab.metric.as_str(), "opened" | "clicked" | "converted") {
            return Err(FieldError::new(
                "spec.ab_test.metric",
                "must be opened, clicked or converted",
            )
            .into());
        }
        if !(1..=24 * 14).contains(&ab.decide_after_hours) {
            return Err(
                FieldError::new("spec.ab_test.decide_after_hours", "must be 1 to 336").into(),
            );
        }
    }
    if spec.per_hour.is_some_and(|n| n == 0) {
        return Err(FieldError::new("spec.per_hour", "must be at least 1").into());
    }
    if !(1..=90).contains(&spec.conversion_days) {
        return Err(FieldError::new("spec.conversion_days", "must be 1 to 90").into());
    }
    Ok(spec)
}
