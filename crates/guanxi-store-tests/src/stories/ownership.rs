//! Customer owners and teams: what data scopes stand on. A search within a scope returns only
//! what the scope reaches; a survivor nobody owned takes the merged customer's owner.

use crate::fixtures::{MINUTE, T0, assert_not_found, customer_with, customers, key, source};
use crate::stories::merges::merge;
use crate::stories::staff::new_user;
use guanxi_domain::CustomerId;
use guanxi_store::{CustomerQuery, OwnerFilter, Store, StoreError};

async fn search(store: &dyn Store, owner: OwnerFilter) -> Vec<CustomerId> {
    store
        .search_customers(&CustomerQuery {
            owner,
            limit: 100,
            ..CustomerQuery::default()
        })
        .await
        .expect("search")
}

async fn owner_of(store: &dyn Store, id: CustomerId) -> (Option<i64>, Option<i64>) {
    let owners = store.customer_owners(&[id]).await.expect("owners");
    assert_eq!(owners.len(), 1, "{owners:?}");
    (owners[0].owner, owners[0].team)
}

pub async fn owners_and_teams_scope_searches(store: &dyn Store) {
    let ann = store
        .create_user(&new_user("ann@shop.cn", "sales_rep"), T0)
        .await
        .expect("user");
    let bob = store
        .create_user(&new_user("bob@shop.cn", "sales_rep"), T0)
        .await
        .expect("user");
    let cai = store
        .create_user(&new_user("cai@shop.cn", "sales_rep"), T0)
        .await
        .expect("user");
    let east = store.create_team("华东组", T0).await.expect("team");
    let west = store.create_team("West", T0).await.expect("team");
    assert!(matches!(
        store.create_team("West", T0).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.teams().await.expect("teams"),
        vec![west.clone(), east.clone()],
        "by name"
    );
    store.set_team(ann.id, Some(east.id)).await.expect("team");
    store.set_team(bob.id, Some(east.id)).await.expect("team");
    store.set_team(cai.id, Some(west.id)).await.expect("team");
    assert_not_found(store.set_team(cai.id, Some(9_999)).await, "team");
    assert_not_found(store.set_team(9_999, None).await, "user");

    let ids = customers(store, 5, T0).await;
    let [a1, a2, b1, c1, pool] = ids[..] else {
        panic!("five customers")
    };
    for (customer, user) in [(a1, ann.id), (a2, ann.id), (b1, bob.id), (c1, cai.id)] {
        store
            .assign_customer(customer, Some(user), T0 + MINUTE)
            .await
            .expect("assign");
    }
    assert_eq!(owner_of(store, a1).await, (Some(ann.id), Some(east.id)));
    assert_eq!(owner_of(store, pool).await, (None, None), "the shared pool");
    let since = store.customer_owners(&[a1]).await.expect("owners")[0].since;
    assert_eq!(since, Some(T0 + MINUTE));

    assert_eq!(search(store, OwnerFilter::User(ann.id)).await, vec![a2, a1]);
    assert_eq!(
        search(
            store,
            OwnerFilter::UserOrTeam {
                user: bob.id,
                team: east.id
            }
        )
        .await,
        vec![b1, a2, a1],
        "Bob's and his team's"
    );
    assert_eq!(search(store, OwnerFilter::Anyone).await.len(), 5);

    // A search by identity stays within the scope too.
    let web = source(store, "web").await;
    let found_by_email = customer_with(store, web.id, &["email:vip@shop.cn"], T0).await;
    store
        .assign_customer(found_by_email, Some(ann.id), T0)
        .await
        .expect("assign");
    let by_email = |owner| CustomerQuery {
        identities: vec![key("email:vip@shop.cn")],
        owner,
        limit: 10,
        ..CustomerQuery::default()
    };
    let anns = store
        .search_customers(&by_email(OwnerFilter::User(ann.id)))
        .await
        .expect("search");
    assert_eq!(anns, vec![found_by_email]);
    let cais = store
        .search_customers(&by_email(OwnerFilter::User(cai.id)))
        .await
        .expect("search");
    assert!(cais.is_empty(), "not Cai's customer");
    store
        .assign_customer(found_by_email, None, T0)
        .await
        .expect("back to the pool");

    // Ann hands a customer to the pool; Bob's customer merges into it and brings him along.
    store
        .assign_customer(a2, None, T0 + 2 * MINUTE)
        .await
        .expect("release");
    assert_eq!(owner_of(store, a2).await, (None, None));
    merge(store, b1, a2, "same phone", T0 + 3 * MINUTE).await;
    assert_eq!(owner_of(store, a2).await, (Some(bob.id), Some(east.id)));
    // A survivor with an owner keeps it.
    merge(store, c1, a1, "same email", T0 + 4 * MINUTE).await;
    assert_eq!(owner_of(store, a1).await, (Some(ann.id), Some(east.id)));
    assert_eq!(
        search(store, OwnerFilter::User(cai.id)).await,
        vec![],
        "merged-away customers are nobody's to work"
    );
    assert_not_found(
        store.assign_customer(c1, Some(cai.id), T0).await,
        "customer",
    );
    assert_not_found(
        store.assign_customer(CustomerId(9_999), None, T0).await,
        "customer",
    );
}
