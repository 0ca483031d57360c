//! The product catalogue that orders and imports keep up to date.

use crate::{T0, TestDb};
use guanxi_store::{ProductRow, Store};

fn product(sku: &str, name: &str, category: Option<&str>, price: Option<i64>) -> ProductRow {
    ProductRow {
        sku: sku.to_owned(),
        name: name.to_owned(),
        category: category.map(str::to_owned),
        price,
        currency: "CNY".to_owned(),
    }
}

async fn catalogue(db: &TestDb) -> Vec<Vec<String>> {
    db.rows("SELECT sku, name, category, price_minor, updated_at FROM products ORDER BY sku")
        .await
}

fn row(values: [&str; 5]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// There is no read call for products yet, so this story reads the table directly.
pub async fn products_upsert(db: &TestDb) {
    let store: &dyn Store = &db.store;
    let t1 = T0.to_string();
    let t2 = (T0 + 1).to_string();

    let mut tx = store.begin_write().await.expect("begin");
    // The same SKU twice in one batch (an order with the item on two lines): the last wins.
    tx.upsert_products(
        &[
            product("LJ-250", "Longjing 250g", Some("tea"), Some(12_800)),
            product("BLC-100", "Biluochun 100g", None, None),
            product(
                "LJ-250",
                "Longjing 250g (2024)",
                Some("green tea"),
                Some(13_800),
            ),
        ],
        T0,
    )
    .await
    .expect("upsert with a repeated SKU");
    tx.commit().await.expect("commit");
    assert_eq!(
        catalogue(db).await,
        vec![
            row(["BLC-100", "Biluochun 100g", "NULL", "NULL", &t1]),
            row(["LJ-250", "Longjing 250g (2024)", "green tea", "13800", &t1]),
        ]
    );

    // A later source that knows less keeps what we knew: category and price are kept when absent.
    let mut tx = store.begin_write().await.expect("begin");
    tx.upsert_products(
        &[
            product("LJ-250", "龙井 250g", None, None),
            product("BLC-100", "Biluochun 100g", Some("tea"), Some(6_600)),
        ],
        T0 + 1,
    )
    .await
    .expect("upsert again");
    tx.upsert_products(&[], T0 + 1)
        .await
        .expect("upsert nothing");
    tx.commit().await.expect("commit");
    assert_eq!(
        catalogue(db).await,
        vec![
            row(["BLC-100", "Biluochun 100g", "tea", "6600", &t2]),
            row(["LJ-250", "龙井 250g", "green tea", "13800", &t2]),
        ]
    );
}
