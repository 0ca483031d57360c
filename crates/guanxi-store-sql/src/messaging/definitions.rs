//! Templates and campaigns: definitions the application checks before they are saved.

use super::channel;
use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::get;
use async_trait::async_trait;
use guanxi_domain::Millis;
use guanxi_store::{
    CampaignRecord, MessagingStore, NewCampaign, NewTemplate, StoreError, StoreResult,
    TemplateRecord,
};
use sqlx::any::AnyRow;

const TEMPLATE_COLUMNS: &str = "id, key, name, channel, content, created_at, updated_at";
const CAMPAIGN_COLUMNS: &str =
    "id, name, channel, spec, status, scheduled_at, created_at, updated_at, launched_at";

fn template(row: &AnyRow) -> StoreResult<TemplateRecord> {
    Ok(TemplateRecord {
        id: get(row, "id")?,
        key: get(row, "key")?,
        name: get(row, "name")?,
        channel: channel(row, "channel")?,
        content: get(row, "content")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

fn campaign(row: &AnyRow) -> StoreResult<CampaignRecord> {
    Ok(CampaignRecord {
        id: get(row, "id")?,
        name: get(row, "name")?,
        channel: channel(row, "channel")?,
        spec: get(row, "spec")?,
        status: get(row, "status")?,
        scheduled_at: get(row, "scheduled_at")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        launched_at: get(row, "launched_at")?,
    })
}

impl SqlStore {
    async fn one_template(
        &self,
        filter: &str,
        value: QueryValue<'_>,
    ) -> StoreResult<TemplateRecord> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM message_templates WHERE {filter} = $1");
        let query = sqlx::query(&sql);
        let query = match value {
            QueryValue::Id(id) => query.bind(id),
            QueryValue::Key(key) => query.bind(key),
        };
        let row = query
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound("template"))?;
        template(&row)
    }
}

enum QueryValue<'a> {
    Id(i64),
    Key(&'a str),
}

#[async_trait]
impl MessagingStore for SqlStore {
    async fn create_template(&self, new: &NewTemplate, at: Millis) -> StoreResult<TemplateRecord> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO message_templates (key, name, channel, content, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(new.key.as_str())
        .bind(new.name.as_str())
        .bind(new.channel.as_str())
        .bind(new.content.as_str())
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("key"),
            other => other,
        })?;
        self.template(id).await
    }

    async fn update_template(
        &self,
        id: i64,
        new: &NewTemplate,
        at: Millis,
    ) -> StoreResult<TemplateRecord> {
        let updated = sqlx::query(
            "UPDATE message_templates SET name = $1, content = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(new.name.as_str())
        .bind(new.content.as_str())
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("template"));
        }
        self.template(id).await
    }

    async fn delete_template(&self, id: i64) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM message_templates WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("template"));
        }
        Ok(())
    }

    async fn template(&self, id: i64) -> StoreResult<TemplateRecord> {
        self.one_template("id", QueryValue::Id(id)).await
    }

    async fn template_by_key(&self, key: &str) -> StoreResult<TemplateRecord> {
        self.one_template("key", QueryValue::Key(key)).await
    }

    async fn templates(&self) -> StoreResult<Vec<TemplateRecord>> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM message_templates ORDER BY key");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(template).collect()
    }

    async fn create_campaign(&self, new: &NewCampaign, at: Millis) -> StoreResult<CampaignRecord> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (name, channel, spec, status, scheduled_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(new.name.as_str())
        .bind(new.channel.as_str())
        .bind(new.spec.as_str())
        .bind(new.status.as_str())
        .bind(new.scheduled_at)
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        self.campaign(id).await
    }

    async fn update_campaign(
        &self,
        id: i64,
        new: &NewCampaign,
        at: Millis,
    ) -> StoreResult<CampaignRecord> {
        // Only a campaign not launched yet can change.
        let updated = sqlx::query(
            "UPDATE campaigns SET name = $1, channel = $2, spec = $3, status = $4, \
             scheduled_at = $5, updated_at = $6 \
             WHERE id = $7 AND status IN ('draft', 'scheduled')",
        )
        .bind(new.name.as_str())
        .bind(new.channel.as_str())
        .bind(new.spec.as_str())
        .bind(new.status.as_str())
        .bind(new.scheduled_at)
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if updated.rows_affected() == 0 {
            self.campaign(id).await?;
            return Err(StoreError::Conflict("status"));
        }
        self.campaign(id).await
    }

    async fn move_campaign(&self, id: i64, from: &str, to: &str, at: Millis) -> StoreResult<()> {
        let launched = if to == "queuing" { Some(at) } else { None };
        let moved = sqlx::query(
            "UPDATE campaigns SET status = $1, updated_at = $2, \
             launched_at = COALESCE(launched_at, $3) WHERE id = $4 AND status = $5",
        )
        .bind(to)
        .bind(at)
        .bind(launched)
        .bind(id)
        .bind(from)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if moved.rows_affected() == 0 {
            self.campaign(id).await?;
            return Err(StoreError::Conflict("status"));
        }
        Ok(())
    }

    async fn campaign(&self, id: i64) -> StoreResult<CampaignRecord> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound("campaign"))?;
        campaign(&row)
    }

    async fn campaigns(&self) -> StoreResult<Vec<CampaignRecord>> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id DESC");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(campaign).collect()
    }

    async fn due_campaigns(&self, now: Millis) -> StoreResult<Vec<CampaignRecord>> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns \
             WHERE status = 'scheduled' AND scheduled_at <= $1 ORDER BY scheduled_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(now)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(campaign).collect()
    }

    async fn stalled_campaigns(&self, before: Millis) -> StoreResult<Vec<CampaignRecord>> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns \
             WHERE status = 'queuing' AND updated_at < $1 ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(before)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(campaign).collect()
    }

    async fn claim_deliveries(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<guanxi_store::Delivery>> {
        self.claim_due_deliveries(now, lease_until, limit).await
    }

    async fn delivery(&self, id: i64) -> StoreResult<guanxi_store::Delivery> {
        self.one_delivery(id).await
    }

    async fn delivery_counts(&self, origin: &str) -> StoreResult<Vec<guanxi_store::DeliveryCount>> {
        self.counts_of(origin).await
    }

    async fn customer_deliveries(
        &self,
        customer: guanxi_domain::CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<guanxi_store::Delivery>> {
        self.deliveries_of(customer, limit).await
    }

    async fn sent_since(
        &self,
        customers: &[guanxi_domain::CustomerId],
        since: Millis,
    ) -> StoreResult<
        Vec<(
            guanxi_domain::CustomerId,
            guanxi_domain::messaging::Channel,
            u32,
        )>,
    > {
        self.sent_counts(customers, since).await
    }

    async fn track_delivery(
        &self,
        id: i64,
        status: guanxi_domain::messaging::DeliveryStatus,
        at: Millis,
    ) -> StoreResult<bool> {
        self.track(id, status, at).await
    }

    async fn reassign_variant(&self, origin: &str, from: &str, to: &str) -> StoreResult<u64> {
        self.move_variant(origin, from, to).await
    }

    async fn replay_delivery(&self, id: i64, at: Millis) -> StoreResult<()> {
        self.replay(id, at).await
    }

    async fn origin_touches(&self, origin: &str) -> StoreResult<Vec<guanxi_store::Touch>> {
        self.touches_of_origin(origin).await
    }

    async fn origin_tree_touches(&self, prefix: &str) -> StoreResult<Vec<guanxi_store::Touch>> {
        self.touches_of_prefix(prefix).await
    }

    async fn undelivered(
        &self,
        prefix: &str,
        limit: u32,
    ) -> StoreResult<Vec<guanxi_store::Delivery>> {
        self.failed_of_prefix(prefix, limit).await
    }

    async fn customer_touches(
        &self,
        customers: &[guanxi_domain::CustomerId],
        since: Millis,
    ) -> StoreResult<Vec<guanxi_store::Touch>> {
        self.touches_of(customers, since).await
    }

    async fn add_inbox_message(&self, message: &guanxi_store::InboxMessage) -> StoreResult<()> {
        self.insert_inbox(message).await
    }

    async fn inbox(
        &self,
        customer: guanxi_domain::CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<guanxi_store::InboxMessage>> {
        self.inbox_of(customer, limit).await
    }

    async fn mark_inbox_read(
        &self,
        customer: guanxi_domain::CustomerId,
        delivery: i64,
        at: Millis,
    ) -> StoreResult<bool> {
        self.read_inbox(customer, delivery, at).await
    }
}
