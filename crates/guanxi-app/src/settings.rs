//! The shop's settings: the configuration gives their starting values, and what the owner saves
//! in the console wins. Handlers read the current value each time; a save replaces it for every
//! later request on this server, and other servers pick it up when they next refresh.

use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::access::{Action, Denied, Principal, Resource};
use guanxi_domain::{Currency, DefaultRegion, FieldError, ShopTimeZone};
use guanxi_store::{Store, StoreError};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

/// Shop-wide settings the use cases need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Shown in the console's header; empty until the owner names the shop.
    pub shop_name: String,
    /// Region assumed for phone numbers written without a country code.
    pub region: DefaultRegion,
    /// The shop's currency: spend is summed in it.
    pub currency: Currency,
    /// Days on the dashboard, times on screen and local times in imported files are in it.
    pub time_zone: ShopTimeZone,
    /// Where the eight RFM classes draw the line, where the shop sets it (else its averages).
    pub rfm: RfmLines,
}

/// The shop's own lines between high and low RFM: recent when the last order is at most
/// `recent_days` old, frequent above `orders` orders, valuable above `spent` (minor units).
/// `None`: the shop's average.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RfmLines {
    pub recent_days: Option<u32>,
    pub orders: Option<u32>,
    pub spent: Option<i64>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            shop_name: String::new(),
            region: DefaultRegion::default(),
            currency: Currency::CNY,
            time_zone: ShopTimeZone::CHINA,
            rfm: RfmLines::default(),
        }
    }
}

/// The longest shop name kept, in characters.
const MAX_SHOP_NAME: usize = 100;

/// The settings as a form submits them: text, parsed here.
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    pub shop_name: String,
    pub time_zone: String,
    pub currency: String,
    pub region: String,
    /// Blank: the shop's average.
    pub rfm_recent_days: String,
    pub rfm_orders: String,
    /// In the shop's currency (`500` or `500.00`).
    pub rfm_spent: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{}: {}", .0.field, .0.reason)]
    Invalid(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Settings {
    /// Each setting by the name it is saved under, as text.
    fn named_values(&self) -> [(&'static str, String); 7] {
        let text = |v: Option<String>| v.unwrap_or_default();
        [
            ("shop_name", self.shop_name.clone()),
            ("time_zone", self.time_zone.name().to_owned()),
            ("currency", self.currency.code().to_owned()),
            ("region", self.region.code().to_owned()),
            (
                "rfm_recent_days",
                text(self.rfm.recent_days.map(|d| d.to_string())),
            ),
            ("rfm_orders", text(self.rfm.orders.map(|n| n.to_string()))),
            (
                "rfm_spent",
                text(self.rfm.spent.map(|m| {
                    guanxi_domain::Money::from_minor(m, self.currency).to_decimal_string()
                })),
            ),
        ]
    }

    /// These settings with `name` set from its text; the error names the setting.
    fn with(mut self, name: &str, value: &str) -> Result<Self, FieldError> {
        match name {
            "shop_name" => self.shop_name = shop_name(value)?,
            "time_zone" => self.time_zone = ShopTimeZone::parse(value)?,
            "currency" => self.currency = Currency::parse(value)?,
            "region" => {
                self.region = value
                    .parse()
                    .map_err(|e: FieldError| FieldError::new("region", e.reason))?
            }
            "rfm_recent_days" => self.rfm.recent_days = whole("rfm_recent_days", value, 1, 36_500)?,
            "rfm_orders" => self.rfm.orders = whole("rfm_orders", value, 1, 1_000_000)?,
            "rfm_spent" => {
                self.rfm.spent = match value.trim() {
                    "" => None,
                    raw => Some(
                        guanxi_domain::Money::parse(raw, self.currency)
                            .map_err(|e| FieldError::new("rfm_spent", e.reason))?
                            .minor(),
                    ),
                }
            }
            // Saved by a newer version of Guanxi: kept, and left to it.
            _ => {}
        }
        Ok(self)
    }
}

/// A whole number from `min` to `max`, or nothing (blank).
fn whole(name: &'static str, raw: &str, min: u32, max: u32) -> Result<Option<u32>, FieldError> {
    match raw.trim() {
        "" => Ok(None),
        raw => raw
            .parse()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                FieldError::new(name, format!("must be a whole number from {min} to {max}"))
            }),
    }
}

fn shop_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "shop_name",
            "may not hold control characters",
        ));
    }
    if name.chars().count() > MAX_SHOP_NAME {
        return Err(FieldError::new(
            "shop_name",
            format!("is longer than {MAX_SHOP_NAME} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// The settings every handler reads, replaced whole when they change.
#[derive(Debug, Clone)]
pub struct ShopSettings {
    /// From the configuration: what applies where nothing is saved.
    defaults: Arc<Settings>,
    current: Arc<RwLock<Arc<Settings>>>,
}

impl ShopSettings {
    /// Settings that are never read from a store (tools and tests).
    pub fn fixed(settings: Settings) -> Self {
        let settings = Arc::new(settings);
        Self {
            defaults: settings.clone(),
            current: Arc::new(RwLock::new(settings)),
        }
    }

    /// The configuration's settings overlaid with those saved in the console.
    pub async fn load(store: &dyn Store, defaults: Settings) -> Result<Self, SettingsError> {
        let shared = Self::fixed(defaults);
        shared.refresh(store).await?;
        Ok(shared)
    }

    pub fn current(&self) -> Arc<Settings> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the saved settings again: another server may have changed them.
    pub async fn refresh(&self, store: &dyn Store) -> Result<(), SettingsError> {
        let saved = store.saved_settings().await?;
        let settings = overlay(&self.defaults, &saved).map_err(SettingsError::Invalid)?;
        self.replace(settings);
        Ok(())
    }

    fn replace(&self, settings: Settings) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(settings);
    }

    /// Saves what `form` changes, audited as `settings.change` with each value before and
    /// after (none of them personal). A form that changes nothing saves nothing.
    pub async fn change(
        &self,
        store: &dyn Store,
        by: &Principal,
        form: &SettingsForm,
        ip: Option<String>,
    ) -> Result<Arc<Settings>, SettingsError> {
        by.require(Resource::Settings, Action::Edit)?;
        let before = self.current();
        let submitted = [
            ("shop_name", &form.shop_name),
            ("time_zone", &form.time_zone),
            ("currency", &form.currency),
            ("region", &form.region),
            ("rfm_recent_days", &form.rfm_recent_days),
            ("rfm_orders", &form.rfm_orders),
            ("rfm_spent", &form.rfm_spent),
        ];
        let after = submitted
            .iter()
            .try_fold((*before).clone(), |s, (name, value)| s.with(name, value))
            .map_err(SettingsError::Invalid)?;
        let changed: Vec<(String, String, String)> = before
            .named_values()
            .into_iter()
            .zip(after.named_values())
            .filter(|((_, old), (_, new))| old != new)
            .map(|((name, old), (_, new))| (name.to_owned(), old, new))
            .collect();
        if changed.is_empty() {
            return Ok(before);
        }
        let values: Vec<(String, String)> = changed
            .iter()
            .map(|(name, _, new)| (name.clone(), new.clone()))
            .collect();
        let by_user =
            matches!(by.actor, guanxi_domain::access::Actor::Staff { .. }).then(|| by.actor.id());
        let now = chrono::Utc::now().timestamp_millis();
        store.save_settings(&values, by_user, now).await?;
        let detail: Map<String, Value> = changed
            .into_iter()
            .map(|(name, old, new)| (name, json!({ "from": old, "to": new })))
            .collect();
        audit::record(
            store,
            Audit {
                actor: AuditActor::Known(&by.actor),
                action: "settings.change",
                target: None,
                detail: json!({ "changed": detail }),
                ip,
            },
        )
        .await?;
        self.replace(after);
        Ok(self.current())
    }
}

fn overlay(defaults: &Settings, saved: &BTreeMap<String, String>) -> Result<Settings, FieldError> {
    saved
        .iter()
        .try_fold(defaults.clone(), |s, (name, value)| s.with(name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_values_win_over_the_configuration() {
        let saved = BTreeMap::from([
            ("time_zone".to_owned(), "America/New_York".to_owned()),
            ("currency".to_owned(), "USD".to_owned()),
            ("from_a_newer_version".to_owned(), "ignored".to_owned()),
        ]);
        let settings = overlay(&Settings::default(), &saved).expect("valid");
        assert_eq!(settings.time_zone.name(), "America/New_York");
        assert_eq!(settings.currency.code(), "USD");
        assert_eq!(
            settings.region,
            DefaultRegion::default(),
            "not saved: configured"
        );
    }

    #[test]
    fn a_bad_value_names_its_setting() {
        let err = Settings::default()
            .with("region", "Atlantis")
            .expect_err("bad");
        assert_eq!(err.field, "region");
        let err = Settings::default()
            .with("shop_name", &"店".repeat(101))
            .expect_err("too long");
        assert_eq!(err.field, "shop_name");
    }
}
