//! The in-app inbox, sealed at rest, and replaying a finished delivery.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{customer_id, get};
use crate::vault::Purpose;
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{InboxMessage, StoreError, StoreResult};
use serde_json::json;

impl SqlStore {
    pub(super) async fn insert_inbox(&self, m: &InboxMessage) -> StoreResult<()> {
        let content = json!({"subject": m.subject, "text": m.text}).to_string();
        sqlx::query(
            "INSERT INTO inbox_messages (delivery_id, customer_id, sealed_content, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (delivery_id) DO NOTHING",
        )
        .bind(m.delivery)
        .bind(m.customer.0)
        .bind(self.vault.seal(Purpose::Inbox, content.as_bytes()))
        .bind(m.created_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn inbox_of(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<InboxMessage>> {
        let rows = sqlx::query(
            "SELECT delivery_id, customer_id, sealed_content, created_at, read_at FROM inbox_messages \
             WHERE customer_id = $1 OR customer_id IN (SELECT id FROM customers WHERE merged_into = $1) \
             ORDER BY created_at DESC, delivery_id DESC LIMIT $2",
        )
        .bind(customer.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let sealed: String = get(r, "sealed_content")?;
                let content: serde_json::Value =
                    crate::rows::json(&self.vault.open_text(Purpose::Inbox, &sealed)?)?;
                let part = |k: &str| content[k].as_str().unwrap_or_default().to_owned();
                Ok(InboxMessage {
                    delivery: get(r, "delivery_id")?,
                    customer: customer_id(r, "customer_id")?,
                    subject: part("subject"),
                    text: part("text"),
                    created_at: get(r, "created_at")?,
                    read_at: get(r, "read_at")?,
                })
            })
            .collect()
    }

    pub(super) async fn read_inbox(
        &self,
        customer: CustomerId,
        delivery: i64,
        at: Millis,
    ) -> StoreResult<bool> {
        let marked = sqlx::query(
            "UPDATE inbox_messages SET read_at = $1 WHERE delivery_id = $2 AND read_at IS NULL \
             AND (customer_id = $3 OR customer_id IN (SELECT id FROM customers WHERE merged_into = $3))",
        )
        .bind(at)
        .bind(delivery)
        .bind(customer.0)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(marked.rows_affected() > 0)
    }

    pub(super) async fn replay(&self, id: i64, at: Millis) -> StoreResult<()> {
        let replayed = sqlx::query(
            "UPDATE deliveries SET status = 'queued', run_at = $1, attempts = 0, last_error = NULL \
             WHERE id = $2 AND status NOT IN ('queued', 'sending', 'holdout')",
        )
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if replayed.rows_affected() == 0 {
            self.one_delivery(id).await?;
            return Err(StoreError::Conflict("status"));
        }
        Ok(())
    }
}
