//! Merging trait updates into stored profiles: later values win, `null` removes a trait.

use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{StoreResult, Traits, WriteTx};
use std::collections::HashMap;

/// Applies patches in order and writes only the profiles that changed; answers which did.
pub(crate) async fn apply(
    tx: &mut dyn WriteTx,
    patches: &[(CustomerId, &Traits)],
    at: Millis,
) -> StoreResult<Vec<CustomerId>> {
    let mut ids: Vec<CustomerId> = patches
        .iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(c, _)| *c)
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut current: HashMap<CustomerId, Traits> =
        tx.customer_traits(&ids).await?.into_iter().collect();
    let before = current.clone();
    for (customer, patch) in patches {
        let Some(traits) = current.get_mut(customer) else {
            continue;
        };
        for (key, value) in patch.iter() {
            if value.is_null() {
                traits.remove(key);
            } else {
                traits.insert(key.clone(), value.clone());
            }
        }
    }
    let changed: Vec<(CustomerId, Traits)> = current
        .into_iter()
        .filter(|(id, t)| before.get(id) != Some(t))
        .collect();
    tx.set_traits(&changed, at).await?;
    Ok(changed.into_iter().map(|(id, _)| id).collect())
}
