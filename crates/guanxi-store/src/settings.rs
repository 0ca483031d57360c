//! Shop settings saved from the console.

use crate::StoreResult;
use async_trait::async_trait;
use guanxi_domain::Millis;
use std::collections::BTreeMap;

/// Settings as names and text values. The application knows what they mean and validates them
/// before saving; the store only keeps them, with who saved each and when.
#[async_trait]
pub trait SettingsStore {
    /// Every saved setting, by name.
    async fn saved_settings(&self) -> StoreResult<BTreeMap<String, String>>;
    /// Saves `values` in one transaction, replacing earlier values of the same names.
    async fn save_settings(
        &self,
        values: &[(String, String)],
        by_user: Option<i64>,
        at: Millis,
    ) -> StoreResult<()>;
}
