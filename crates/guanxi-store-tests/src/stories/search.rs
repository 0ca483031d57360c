//! Finding customers: by identity, by name, by tag, page by page.

use crate::{T0, customer_with, key, source, traits};
use guanxi_domain::CustomerId;
use guanxi_domain::resolution::MergeDecision;
use guanxi_store::{CustomerQuery, Store};
use serde_json::json;

async fn search(store: &dyn Store, query: CustomerQuery) -> Vec<CustomerId> {
    store.search_customers(&query).await.expect("search")
}

fn by_name(text: &str) -> CustomerQuery {
    CustomerQuery {
        name: Some(text.to_owned()),
        limit: 50,
        ..CustomerQuery::default()
    }
}

pub async fn search_finds_customers(store: &dyn Store) {
    let web = source(store, "web").await.id;
    let names = [
        "Zhang Wei",
        "Li Na",
        "zhang san",
        "100% Tea",
        "tea_lover",
        "王芳",
        "Zhao Lei",
        r"C:\Users",
    ];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let id = customer_with(store, web, &[&format!("email:c{i}@shop.cn")], T0).await;
        let mut tx = store.begin_write().await.expect("begin");
        tx.set_traits(&[(id, traits(json!({ "name": name })))], T0)
            .await
            .expect("traits");
        if i % 2 == 0 {
            tx.add_tags(id, &["vip".to_owned()]).await.expect("tag");
        }
        tx.commit().await.expect("commit");
        ids.push(id);
    }
    let nameless = customer_with(store, web, &["phone:13912345678"], T0).await;

    // Newest first, every surviving customer when nothing narrows the search.
    let mut everyone: Vec<_> = ids.iter().copied().chain([nameless]).collect();
    everyone.reverse();
    assert_eq!(
        search(
            store,
            CustomerQuery {
                limit: 50,
                ..CustomerQuery::default()
            }
        )
        .await,
        everyone
    );

    // Names are sealed: found whole, ignoring case and spacing, never by a part.
    assert_eq!(search(store, by_name("ZHANG  WEI")).await, vec![ids[0]]);
    assert_eq!(search(store, by_name(" 王芳 ")).await, vec![ids[5]]);
    assert!(search(store, by_name("王")).await.is_empty(), "no part");
    assert!(search(store, by_name("zhang")).await.is_empty(), "no part");
    assert_eq!(search(store, by_name("100% tea")).await, vec![ids[3]]);
    assert!(search(store, by_name("%")).await.is_empty(), "no wildcards");
    assert_eq!(search(store, by_name(r"c:\users")).await, vec![ids[7]]);
    assert!(search(store, by_name("nobody")).await.is_empty());
    assert!(
        search(store, by_name("  ")).await.is_empty(),
        "a blank name finds no one"
    );

    let by_identity = CustomerQuery {
        identities: vec![
            key("email:c1@shop.cn"),
            key("phone:13912345678"),
            key("email:none@shop.cn"),
        ],
        limit: 50,
        ..CustomerQuery::default()
    };
    assert_eq!(search(store, by_identity).await, vec![nameless, ids[1]]);
    // Identities and name are alternatives (one search box); the tag narrows.
    let either = CustomerQuery {
        identities: vec![key("email:c1@shop.cn")],
        ..by_name("zhao lei")
    };
    assert_eq!(search(store, either).await, vec![ids[6], ids[1]]);
    let tagged = CustomerQuery {
        tag: Some("vip".to_owned()),
        limit: 50,
        ..CustomerQuery::default()
    };
    assert_eq!(
        search(store, tagged.clone()).await,
        vec![ids[6], ids[4], ids[2], ids[0]]
    );
    let tagged_zhang = CustomerQuery {
        tag: Some("vip".to_owned()),
        ..by_name("zhang san")
    };
    assert_eq!(search(store, tagged_zhang).await, vec![ids[2]]);
    let untagged_li = CustomerQuery {
        tag: Some("vip".to_owned()),
        ..by_name("li na")
    };
    assert!(search(store, untagged_li).await.is_empty());

    // Keyset pagination.
    let page = |before| CustomerQuery {
        limit: 3,
        before,
        ..CustomerQuery::default()
    };
    let first = search(store, page(None)).await;
    assert_eq!(first, everyone[..3]);
    let second = search(store, page(first.last().copied())).await;
    assert_eq!(second, everyone[3..6]);
    let third = search(store, page(second.last().copied())).await;
    assert_eq!(third, everyone[6..]);
    let tagged_page = search(
        store,
        CustomerQuery {
            limit: 2,
            before: Some(ids[4]),
            ..tagged
        },
    )
    .await;
    assert_eq!(tagged_page, vec![ids[2], ids[0]]);

    // Merged-away customers are never listed, whatever matches them.
    let mut tx = store.begin_write().await.expect("begin");
    let merge = MergeDecision {
        from: ids[0],
        into: ids[1],
        reason: "email".to_owned(),
    };
    tx.merge_customer(&merge, T0).await.expect("merge");
    tx.commit().await.expect("commit");
    assert!(
        search(store, by_name("zhang wei")).await.is_empty(),
        "the survivor's own name wins the merge"
    );
    assert_eq!(search(store, by_name("li na")).await, vec![ids[1]]);
    let old_identity = CustomerQuery {
        identities: vec![key("email:c0@shop.cn")],
        limit: 50,
        ..CustomerQuery::default()
    };
    assert_eq!(
        search(store, old_identity).await,
        vec![ids[1]],
        "a merged identity finds the survivor"
    );
    let vip = search(
        store,
        CustomerQuery {
            tag: Some("vip".to_owned()),
            limit: 50,
            ..CustomerQuery::default()
        },
    )
    .await;
    assert_eq!(
        vip,
        vec![ids[6], ids[4], ids[2], ids[1]],
        "tags follow the merge"
    );
    let all = search(
        store,
        CustomerQuery {
            limit: 50,
            ..CustomerQuery::default()
        },
    )
    .await;
    assert!(!all.contains(&ids[0]));
    assert_eq!(all.len(), everyone.len() - 1);
}
