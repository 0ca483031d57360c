//! Writers that collide, and databases that are not there.

use crate::stories::customers::count;
use crate::{T0, TestDb};
use guanxi_store::{Store, StoreError};
use guanxi_store_sql::{Backend, ConnectOptions, MasterKey, SqlStore};

/// SQLite has one writer. While a write transaction is open, a writer from another process
/// waits for the busy timeout and then gets `Busy` (retryable), never a generic failure; the
/// first transaction's commit is durable, and the second writer succeeds once it is done.
pub async fn second_writer_waits_or_is_busy(db: &TestDb) {
    if db.backend() != Backend::Sqlite {
        return postgres_writers_take_turns(db).await;
    }
    let other: SqlStore = db.reopen().await;

    let mut first = db
        .store
        .begin_write()
        .await
        .expect("begin the first writer");
    first.create_customers(2, T0).await.expect("create");

    // The first writer holds the lock for as long as the second one waits: deterministic.
    match other.begin_write().await {
        Err(StoreError::Busy(_)) => {}
        Ok(_) => panic!("a second SQLite writer must not start while the first holds the lock"),
        Err(e) => panic!("a locked database must answer Busy, got {e:?}"),
    }
    // Readers are not blocked by the writer, and do not see its work.
    assert_eq!(count(&other, "customers").await, 0);

    first.commit().await.expect("commit the first writer");
    let mut second = other
        .begin_write()
        .await
        .expect("the second writer starts after the first commits");
    assert_eq!(
        second.create_customers(1, T0).await.expect("create").len(),
        1
    );
    second.commit().await.expect("commit the second writer");

    other.close().await;
    let reopened = db.reopen().await;
    assert_eq!(
        count(&reopened, "customers").await,
        3,
        "both commits are durable"
    );
    reopened.close().await;
}

/// PostgreSQL writers take turns too (an advisory lock, across every replica): a second writer
/// waits for the first to finish instead of reading identities it is about to change.
async fn postgres_writers_take_turns(db: &TestDb) {
    let other: SqlStore = db.reopen().await;
    let mut first = db
        .store
        .begin_write()
        .await
        .expect("begin the first writer");
    let mine = first.create_customers(2, T0).await.expect("create");
    // The second writer can only start once the first has committed.
    let (second, committed) = tokio::join!(other.begin_write(), first.commit());
    committed.expect("commit the first writer");
    let mut second = second.expect("the second writer starts after the first commits");
    assert_eq!(
        count(&db.store, "customers").await,
        2,
        "the first writer's work is visible"
    );
    let theirs = second.create_customers(2, T0).await.expect("create");
    second.commit().await.expect("commit the second writer");
    assert!(
        mine.iter().all(|id| !theirs.contains(id)),
        "ids are never handed out twice"
    );
    assert_eq!(count(&db.store, "customers").await, 4);
    other.close().await;
}

/// A store that cannot reach its database says so, instead of hanging or blaming the query.
pub async fn unreachable_database_is_reported() {
    let mut options = ConnectOptions::new("postgres://postgres@127.0.0.1:1/x", any_key());
    options.max_connections = 1;
    let error = match SqlStore::connect(&options).await {
        Err(e) => e,
        Ok(_) => panic!("nothing listens on port 1"),
    };
    let message = error.to_string();
    assert!(
        matches!(error, StoreError::Other(_)),
        "an outage is Other, not {error:?}"
    );
    assert!(
        message.contains("cannot connect"),
        "the message says it cannot connect: {message}"
    );

    match SqlStore::connect(&ConnectOptions::new("mysql://localhost/x", any_key())).await {
        Err(e) => assert!(e.to_string().contains("unsupported database URL"), "{e}"),
        Ok(_) => panic!("only SQLite and PostgreSQL are supported"),
    }
    match SqlStore::connect(&ConnectOptions::new("sqlite://:memory:", any_key())).await {
        Err(e) => assert!(e.to_string().contains("in-memory"), "{e}"),
        Ok(_) => panic!("an in-memory SQLite database would lose everything"),
    }
}

/// A writer may remember who owns an identifier, but never past another process's commit: after
/// a second process merges the owner away, and after a rolled-back attach, look-ups answer what
/// is stored.
pub async fn owners_follow_other_writers(db: &TestDb) {
    let store = &db.store;
    let web = crate::source(store, "web").await;
    let a = crate::customer_with(store, web.id, &["email:a@shop.cn"], T0).await;
    let b =
        crate::customer_with(store, web.id, &["email:b@shop.cn", "wechat_openid:o-b"], T0).await;

    // Read once, so a writer that caches has it cached.
    let mut tx = store.begin_write().await.expect("begin");
    let seen = tx
        .identity_owners(&[crate::key("email:a@shop.cn")])
        .await
        .expect("owners");
    assert_eq!(seen, vec![(crate::key("email:a@shop.cn"), a)]);
    tx.commit().await.expect("commit");

    // Another process merges `a` into `b`.
    let other: SqlStore = db.reopen().await;
    let mut tx = other.begin_write().await.expect("begin elsewhere");
    tx.merge_customer(
        &guanxi_domain::resolution::MergeDecision {
            from: a,
            into: b,
            reason: "test".into(),
        },
        T0,
    )
    .await
    .expect("merge elsewhere");
    tx.commit().await.expect("commit elsewhere");
    other.close().await;

    // An attach that is rolled back leaves no owner behind.
    let mut tx = store.begin_write().await.expect("begin");
    let seen = tx
        .identity_owners(&[crate::key("email:a@shop.cn")])
        .await
        .expect("owners");
    assert_eq!(
        seen,
        vec![(crate::key("email:a@shop.cn"), b)],
        "the merge committed elsewhere is seen"
    );
    tx.attach_identities(&[(crate::key("email:c@shop.cn"), b, web.id)], T0)
        .await
        .expect("attach");
    drop(tx);
    let mut tx = store.begin_write().await.expect("begin");
    assert_eq!(
        tx.identity_owners(&[crate::key("email:c@shop.cn")])
            .await
            .expect("owners"),
        vec![],
        "a rolled-back attach is forgotten"
    );
    drop(tx);

    // Someone moves an identifier by hand, outside any write transaction (a WeChat id: emails
    // are stored as blind indexes, which a hand-written statement cannot name).
    let mut tx = store.begin_write().await.expect("begin");
    let seen = tx
        .identity_owners(&[crate::key("wechat_openid:o-b")])
        .await
        .expect("owners");
    assert_eq!(seen, vec![(crate::key("wechat_openid:o-b"), b)]);
    tx.commit().await.expect("commit");
    let c = crate::customer_with(store, web.id, &["email:c2@shop.cn"], T0).await;
    db.execute(&format!(
        "UPDATE identities SET customer_id = {} WHERE value = 'o-b'",
        c.0
    ))
    .await;
    let mut tx = store.begin_write().await.expect("begin");
    assert_eq!(
        tx.identity_owners(&[crate::key("wechat_openid:o-b")])
            .await
            .expect("owners"),
        vec![(crate::key("wechat_openid:o-b"), c)],
        "a change made outside the writer is seen"
    );
    drop(tx);
}

fn any_key() -> MasterKey {
    MasterKey::parse(&MasterKey::generate()).expect("a generated key parses")
}
