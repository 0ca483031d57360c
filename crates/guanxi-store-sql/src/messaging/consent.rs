//! Consent rows and suppression lists.

use super::channel;
use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{customer_id, get};
use crate::sealed::{identity_lookup_value, open_identity};
use crate::sql::{Placeholders, list};
use crate::vault::Purpose;
use async_trait::async_trait;
use guanxi_domain::messaging::{Channel, Consent, ConsentStatus, combined_status};
use guanxi_domain::{CustomerId, IdentityKey, IdentityKind, Millis};
use guanxi_store::{ConsentRow, ConsentStore, StoreError, StoreResult};
use std::collections::HashMap;

/// The identifier kind a channel's addresses are.
fn address_kind(channel: Channel) -> StoreResult<IdentityKind> {
    match channel {
        Channel::Email => Ok(IdentityKind::Email),
        Channel::Sms => Ok(IdentityKind::Phone),
        other => Err(StoreError::other(format!(
            "the {} channel has no addresses to suppress",
            other.as_str()
        ))),
    }
}

impl SqlStore {
    /// The blind index an address of the channel is stored under: the same as its identity's.
    fn address_index(&self, channel: Channel, address: &str) -> StoreResult<String> {
        let key = IdentityKey::from_stored(&address_kind(channel)?.name(), address)
            .map_err(|e| StoreError::other(format!("suppressed address: {e}")))?;
        Ok(identity_lookup_value(&self.vault, &key).into_owned())
    }
}

#[async_trait]
impl ConsentStore for SqlStore {
    async fn consent_rows_of(
        &self,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, ConsentRow)>> {
        let wanted: std::collections::HashSet<i64> = customers.iter().map(|c| c.0).collect();
        let mut out = Vec::new();
        for chunk in customers.chunks(400) {
            let sql = format!(
                "SELECT c.customer_id, k.merged_into, c.channel, c.status, c.source, c.at \
                 FROM consents c JOIN customers k ON k.id = c.customer_id \
                 WHERE c.customer_id IN ({}) OR k.merged_into IN ({})",
                list(Placeholders::Numbered { first: 1 }, chunk.len()),
                list(
                    Placeholders::Numbered {
                        first: chunk.len() + 1
                    },
                    chunk.len()
                )
            );
            let mut query = sqlx::query(&sql);
            for customer in chunk.iter().chain(chunk) {
                query = query.bind(customer.0);
            }
            for r in query.fetch_all(&self.pool).await.map_err(map_err)? {
                let row = consent_row(&r)?;
                let merged_into: Option<i64> = get(&r, "merged_into")?;
                for owner in [Some(row.customer.0), merged_into].into_iter().flatten() {
                    if wanted.contains(&owner) {
                        out.push((CustomerId(owner), row.clone()));
                    }
                }
            }
        }
        Ok(out)
    }

    async fn consent_rows(&self, customer: CustomerId) -> StoreResult<Vec<ConsentRow>> {
        let rows = sqlx::query(
            "SELECT c.customer_id, c.channel, c.status, c.source, c.at FROM consents c \
             WHERE c.customer_id = $1 \
                OR c.customer_id IN (SELECT id FROM customers WHERE merged_into = $1) \
             ORDER BY c.channel, c.at DESC",
        )
        .bind(customer.0)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(consent_row).collect()
    }

    async fn set_consent(&self, customer: CustomerId, consent: &Consent) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(
            "DELETE FROM consents WHERE channel = $1 \
             AND customer_id IN (SELECT id FROM customers WHERE merged_into = $2)",
        )
        .bind(consent.channel.as_str())
        .bind(customer.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO consents (customer_id, channel, status, source, at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, channel) DO UPDATE \
             SET status = excluded.status, source = excluded.source, at = excluded.at",
        )
        .bind(customer.0)
        .bind(consent.channel.as_str())
        .bind(consent.status.as_str())
        .bind(consent.source.clone())
        .bind(consent.at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn subscribed(&self, channel: Channel) -> StoreResult<Vec<CustomerId>> {
        let rows = sqlx::query(
            "SELECT COALESCE(k.merged_into, k.id) AS survivor, c.status FROM consents c \
             JOIN customers k ON k.id = c.customer_id \
             WHERE c.channel = $1 AND c.status <> 'unknown'",
        )
        .bind(channel.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut by_survivor: HashMap<i64, Vec<ConsentStatus>> = HashMap::new();
        for row in &rows {
            let status: String = get(row, "status")?;
            let status = ConsentStatus::parse(&status)
                .ok_or_else(|| StoreError::other(format!("stored consent status {status:?}")))?;
            by_survivor
                .entry(get(row, "survivor")?)
                .or_default()
                .push(status);
        }
        let mut subscribed: Vec<CustomerId> = by_survivor
            .into_iter()
            .filter(|(_, records)| combined_status(records.clone()) == ConsentStatus::Subscribed)
            .map(|(id, _)| CustomerId(id))
            .collect();
        subscribed.sort_unstable();
        Ok(subscribed)
    }

    async fn suppress(
        &self,
        channel: Channel,
        address: &str,
        reason: &str,
        at: Millis,
    ) -> StoreResult<()> {
        let index = self.address_index(channel, address)?;
        let sealed = self.vault.seal(Purpose::Suppression, address.as_bytes());
        sqlx::query(
            "INSERT INTO suppressions (channel, address, sealed_address, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, address) DO NOTHING",
        )
        .bind(channel.as_str())
        .bind(index)
        .bind(sealed)
        .bind(reason)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn unsuppress(&self, channel: Channel, address: &str) -> StoreResult<()> {
        let index = self.address_index(channel, address)?;
        let deleted = sqlx::query("DELETE FROM suppressions WHERE channel = $1 AND address = $2")
            .bind(channel.as_str())
            .bind(index)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("suppression"));
        }
        Ok(())
    }

    async fn suppressed(&self, channel: Channel, addresses: &[String]) -> StoreResult<Vec<String>> {
        let mut found = Vec::new();
        for address in addresses {
            let index = self.address_index(channel, address)?;
            let hit: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM suppressions WHERE channel = $1 AND address = $2",
            )
            .bind(channel.as_str())
            .bind(index)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
            if hit.is_some() {
                found.push(address.clone());
            }
        }
        Ok(found)
    }

    async fn suppressions(
        &self,
        channel: Channel,
        limit: u32,
    ) -> StoreResult<Vec<(String, String, Millis)>> {
        let rows = sqlx::query(
            "SELECT sealed_address, reason, created_at FROM suppressions WHERE channel = $1 \
             ORDER BY created_at DESC, address LIMIT $2",
        )
        .bind(channel.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let sealed: String = get(r, "sealed_address")?;
                Ok((
                    self.vault.open_text(Purpose::Suppression, &sealed)?,
                    get(r, "reason")?,
                    get(r, "created_at")?,
                ))
            })
            .collect()
    }

    async fn contact_addresses(
        &self,
        kind: IdentityKind,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, String)>> {
        let mut found = Vec::with_capacity(customers.len());
        for chunk in customers.chunks(500) {
            let sql = format!(
                "SELECT customer_id, kind, value, sealed_value FROM identities \
                 WHERE kind = $1 AND customer_id IN ({}) ORDER BY customer_id, created_at DESC",
                list(Placeholders::Numbered { first: 2 }, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(kind.name());
            for customer in chunk {
                query = query.bind(customer.0);
            }
            let rows = query.fetch_all(&self.pool).await.map_err(map_err)?;
            let mut last = None;
            for row in &rows {
                let customer = customer_id(row, "customer_id")?;
                if last == Some(customer) {
                    continue;
                }
                last = Some(customer);
                let sealed: Option<String> = get(row, "sealed_value")?;
                let key = open_identity(
                    &self.vault,
                    &get::<String>(row, "kind")?,
                    &get::<String>(row, "value")?,
                    sealed.as_deref(),
                )?;
                found.push((customer, key.value().to_owned()));
            }
        }
        Ok(found)
    }
}

fn consent_row(r: &sqlx::any::AnyRow) -> StoreResult<ConsentRow> {
    let status: String = get(r, "status")?;
    Ok(ConsentRow {
        customer: customer_id(r, "customer_id")?,
        consent: Consent {
            channel: channel(r, "channel")?,
            status: ConsentStatus::parse(&status)
                .ok_or_else(|| StoreError::other(format!("stored consent status {status:?}")))?,
            source: get(r, "source")?,
            at: get(r, "at")?,
        },
    })
}
