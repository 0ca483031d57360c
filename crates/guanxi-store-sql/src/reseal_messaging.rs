//! Re-sealing what messaging keeps sealed (suppressed addresses, in-app messages) after a key
//! rotation. Both were sealed from the first row, so only the rotation pass touches them; both
//! are small beside customers and events, so one pass each, in chunks, suffices.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::get;
use crate::vault::Purpose;
use guanxi_store::StoreResult;

const CHUNK: i64 = 2_000;

/// Re-seals the suppression list and the inbox with the current key; answers how many rows.
pub(crate) async fn reseal(store: &SqlStore) -> StoreResult<u64> {
    Ok(suppressions(store).await? + inbox(store).await?)
}

async fn suppressions(store: &SqlStore) -> StoreResult<u64> {
    let rows = sqlx::query("SELECT channel, address, sealed_address FROM suppressions")
        .fetch_all(&store.pool)
        .await
        .map_err(map_err)?;
    let mut rewritten = 0;
    for chunk in rows.chunks(CHUNK as usize) {
        let mut tx = store.pool.begin().await.map_err(map_err)?;
        for row in chunk {
            let sealed: String = get(row, "sealed_address")?;
            if store.vault.is_current(&sealed) {
                continue;
            }
            let plain = store.vault.open(Purpose::Suppression, &sealed)?;
            sqlx::query(
                "UPDATE suppressions SET sealed_address = $1 WHERE channel = $2 AND address = $3",
            )
            .bind(store.vault.seal(Purpose::Suppression, &plain))
            .bind(get::<String>(row, "channel")?)
            .bind(get::<String>(row, "address")?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            rewritten += 1;
        }
        tx.commit().await.map_err(map_err)?;
    }
    Ok(rewritten)
}

async fn inbox(store: &SqlStore) -> StoreResult<u64> {
    let (mut after, mut rewritten) = (0_i64, 0);
    loop {
        let rows = sqlx::query(
            "SELECT delivery_id, sealed_content FROM inbox_messages WHERE delivery_id > $1 \
             ORDER BY delivery_id LIMIT $2",
        )
        .bind(after)
        .bind(CHUNK)
        .fetch_all(&store.pool)
        .await
        .map_err(map_err)?;
        let Some(last) = rows.last() else {
            return Ok(rewritten);
        };
        after = get(last, "delivery_id")?;
        let mut tx = store.pool.begin().await.map_err(map_err)?;
        for row in &rows {
            let sealed: String = get(row, "sealed_content")?;
            if store.vault.is_current(&sealed) {
                continue;
            }
            let plain = store.vault.open(Purpose::Inbox, &sealed)?;
            sqlx::query("UPDATE inbox_messages SET sealed_content = $1 WHERE delivery_id = $2")
                .bind(store.vault.seal(Purpose::Inbox, &plain))
                .bind(get::<i64>(row, "delivery_id")?)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            rewritten += 1;
        }
        tx.commit().await.map_err(map_err)?;
    }
}
