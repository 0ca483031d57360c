//! Shop settings: saved together, read back as saved, a later save of a name replacing it.

use crate::fixtures::T0;
use guanxi_store::Store;
use std::collections::BTreeMap;

fn pairs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

pub async fn settings_are_saved_and_replaced(store: &dyn Store) {
    assert!(
        store.saved_settings().await.expect("read").is_empty(),
        "a new shop has saved nothing: the configuration's values apply"
    );
    store
        .save_settings(
            &pairs(&[("time_zone", "Asia/Shanghai"), ("currency", "CNY")]),
            None,
            T0,
        )
        .await
        .expect("save");
    store
        .save_settings(
            &pairs(&[("currency", "USD"), ("shop_name", "丝绸之家 & Co")]),
            None,
            T0 + 1,
        )
        .await
        .expect("save again");
    let saved = store.saved_settings().await.expect("read");
    let expected: BTreeMap<String, String> = pairs(&[
        ("currency", "USD"),
        ("shop_name", "丝绸之家 & Co"),
        ("time_zone", "Asia/Shanghai"),
    ])
    .into_iter()
    .collect();
    assert_eq!(saved, expected);
}
