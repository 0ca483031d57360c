//! Shop settings saved from the console: one row per setting.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::get;
use async_trait::async_trait;
use guanxi_domain::Millis;
use guanxi_store::{SettingsStore, StoreResult};
use std::collections::BTreeMap;

#[async_trait]
impl SettingsStore for SqlStore {
    async fn saved_settings(&self) -> StoreResult<BTreeMap<String, String>> {
        let rows = sqlx::query("SELECT name, value FROM shop_settings")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| Ok((get(row, "name")?, get(row, "value")?)))
            .collect()
    }

    async fn save_settings(
        &self,
        values: &[(String, String)],
        by_user: Option<i64>,
        at: Millis,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for (name, value) in values {
            sqlx::query(
                "INSERT INTO shop_settings (name, value, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET \
                 value = excluded.value, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at",
            )
            .bind(name.as_str())
            .bind(value.as_str())
            .bind(by_user)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }
}
