//! Personal data at rest: what the database holds is sealed, what the store answers is plain,
//! exact look-ups still find people, keys rotate, and rows stored before sealing get sealed.

use crate::TestDb;
use crate::fixtures::{T0, event, key, source, traits};
use guanxi_domain::{CustomerId, EventKind, EventProperties};
use guanxi_store::{ConsentStore, CustomerQuery, MessagingStore, Store, StoreError};
use guanxi_store_sql::MasterKey;
use serde_json::{Value, json};

/// The personal values `one_customer` stores, none of which may appear in the database.
const PERSONAL: [&str; 6] = [
    "li.na@shop.cn",
    "13812345678",
    "李娜",
    "南京路",
    "1990-05-01",
    "13900001111",
];

fn profile() -> Value {
    json!({
        "name": "李娜", "email": "li.na@shop.cn", "birthday": "1990-05-01",
        "address": {"street": "南京路 1 号", "city": "上海"}, "plan": "gold"
    })
}

fn viewed() -> Value {
    json!({"sku": "LJ-250", "receiver_phone": "13900001111"})
}

/// One customer with an email, a phone and a WeChat id, personal traits and an event whose
/// properties hold a phone.
/// A suppressed address and an in-app message naming the customer: sealed too.
async fn messaging_data(store: &dyn Store, id: CustomerId) {
    use guanxi_domain::messaging::{Channel, DeliveryStatus};
    store
        .suppress(Channel::Email, "li.na@shop.cn", "bounced", T0)
        .await
        .expect("suppress");
    let mut tx = store.begin_write().await.expect("begin");
    let delivery = guanxi_store::NewDelivery {
        origin: "campaign:1".into(),
        customer: id,
        channel: Channel::InApp,
        variant: String::new(),
        status: DeliveryStatus::Queued,
        reason: None,
        run_at: T0,
        marketing: true,
    };
    tx.insert_deliveries(&[delivery], T0)
        .await
        .expect("delivery");
    tx.commit().await.expect("commit");
    let claimed = store.claim_deliveries(T0, T0 + 1, 1).await.expect("claim");
    store
        .add_inbox_message(&guanxi_store::InboxMessage {
            delivery: claimed[0].id,
            customer: id,
            subject: "李娜，您好".into(),
            text: "li.na@shop.cn".into(),
            created_at: T0,
            read_at: None,
        })
        .await
        .expect("inbox");
}

async fn one_customer(store: &dyn Store) -> CustomerId {
    let web = source(store, "web").await;
    let mut tx = store.begin_write().await.expect("begin");
    let id = tx.create_customers(1, T0).await.expect("create")[0];
    let keys = [
        "email:li.na@shop.cn",
        "phone:13812345678",
        "wechat_openid:o-abc",
    ];
    let keys: Vec<_> = keys.iter().map(|k| (key(k), id, web.id)).collect();
    tx.attach_identities(&keys, T0).await.expect("attach");
    tx.set_traits(&[(id, traits(profile()))], T0)
        .await
        .expect("traits");
    let mut viewed_event = event(web.id, "m-1", id, T0);
    viewed_event.properties = EventProperties::new(EventKind::Track, &viewed());
    tx.insert_events(&[viewed_event]).await.expect("event");
    tx.commit().await.expect("commit");
    id
}

/// Every stored text that could hold personal data, in one string.
async fn stored_text(db: &TestDb) -> String {
    let mut all = String::new();
    for sql in [
        "SELECT kind, value, COALESCE(sealed_value, '') FROM identities",
        "SELECT traits, COALESCE(name_index, '') FROM customers",
        "SELECT properties FROM events",
        "SELECT address, sealed_address FROM suppressions",
        "SELECT sealed_content FROM inbox_messages",
    ] {
        for row in db.rows(sql).await {
            all.push_str(&row.join(" "));
            all.push('\n');
        }
    }
    all
}

/// What a user of the store reads back about the customer.
async fn assert_reads_plain(store: &dyn Store, id: CustomerId) {
    assert_eq!(
        Value::Object(store.customer(id).await.expect("customer").traits),
        profile()
    );
    let identities = store.customer_identities(id).await.expect("identities");
    for lookup in [
        "email:li.na@shop.cn",
        "phone:13812345678",
        "wechat_openid:o-abc",
    ] {
        assert!(
            identities.contains(&key(lookup)),
            "{lookup} in {identities:?}"
        );
        assert_eq!(
            store.find_by_identity(&key(lookup)).await.expect(lookup),
            id
        );
    }
    let found = store
        .search_customers(&CustomerQuery {
            name: Some("李娜".to_owned()),
            limit: 10,
            ..CustomerQuery::default()
        })
        .await
        .expect("search");
    assert_eq!(found, [id], "found by whole name");
    let events = store.customer_events(id, None, 10).await.expect("events");
    assert_eq!(events[0].properties, viewed());
    // Work over many customers that needs a personal trait (birthdays) reads it opened.
    let opened = store
        .opened_traits_between(CustomerId(id.0 - 1), id)
        .await
        .expect("opened traits");
    assert_eq!(opened.len(), 1);
    assert_eq!(
        opened[0].1.get("birthday"),
        Some(&Value::from("1990-05-01"))
    );
}

pub async fn personal_data_is_sealed_at_rest(db: &TestDb) {
    let id = one_customer(&db.store).await;
    let stored = stored_text(db).await;
    for value in PERSONAL {
        assert!(
            !stored.contains(value),
            "{value} is stored readable:\n{stored}"
        );
    }
    // What is not personal stays readable for reports and segments.
    for plain in ["\"plan\":\"gold\"", "LJ-250", "o-abc"] {
        assert!(
            stored.contains(plain),
            "{plain} should stay plain:\n{stored}"
        );
    }
    assert_reads_plain(&db.store, id).await;
    assert_reads_plain(&db.reopen().await, id).await;

    // A process with another secret key is refused, naming the setting, and changes nothing.
    let stranger = MasterKey::parse(&MasterKey::generate()).expect("key");
    match db.open_with(&stranger).await {
        Err(e) => assert!(e.to_string().contains("GUANXI_SECRET_KEY"), "{e}"),
        Ok(_) => panic!("a wrong secret key opened the database"),
    }
    assert_reads_plain(&db.reopen().await, id).await;
}

pub async fn rotation_reseals_everything(db: &TestDb) {
    let id = one_customer(&db.store).await;
    messaging_data(&db.store, id).await;
    let old = db.master_key();
    let new = MasterKey::parse(&MasterKey::generate()).expect("key");
    let resealed = db
        .store
        .rotate_master_key(&old, &new)
        .await
        .expect("rotates");
    assert_eq!(
        (
            resealed.customers,
            resealed.identities,
            resealed.events,
            resealed.messaging
        ),
        (1, 2, 1, 2)
    );
    // One index key and the one new data key are left; everything is sealed with the latter.
    let keys = db
        .rows("SELECT id, purpose FROM data_keys ORDER BY id")
        .await;
    assert_eq!(keys, [["1", "index"], ["3", "data"]]);
    let stored = stored_text(db).await;
    assert!(
        !stored.contains("g1.2."),
        "nothing sealed with the retired key:\n{stored}"
    );
    for value in PERSONAL {
        assert!(
            !stored.contains(value),
            "{value} is stored readable:\n{stored}"
        );
    }

    // The old secret opens nothing any more; the new one opens everything, and look-ups by
    // blind index still find the customer (the index key did not change).
    assert!(
        db.open_with(&old).await.is_err(),
        "the old secret is refused"
    );
    let reopened = db.open_with(&new).await.expect("the new secret opens");
    assert_reads_plain(&reopened, id).await;
    let suppressed = reopened
        .suppressions(guanxi_domain::messaging::Channel::Email, 10)
        .await
        .expect("suppressions open");
    assert_eq!(suppressed[0].0, "li.na@shop.cn");
    let inbox = reopened.inbox(id, 10).await.expect("the inbox opens");
    assert_eq!(inbox[0].subject, "李娜，您好");

    // A process still holding the old keys refuses to seal with them.
    match db.store.begin_write().await {
        Err(StoreError::Other(e)) => assert!(e.to_string().contains("rotated"), "{e}"),
        Err(e) => panic!("expected a refusal naming the rotation, got {e:?}"),
        Ok(_) => panic!("a writer with retired keys began a transaction"),
    }
    assert!(db.store.begin_write().await.is_err(), "and keeps refusing");
    let mut tx = reopened.begin_write().await.expect("the new keys write");
    tx.set_traits(&[(id, traits(profile()))], T0)
        .await
        .expect("traits");
    tx.commit().await.expect("commit");
    reopened.close().await;
}

/// Rows as a release before sealing wrote them: plain values in the current schema.
pub async fn rows_stored_before_sealing_are_sealed_on_open(db: &TestDb) {
    let web = source(&db.store, "web").await;
    db.execute("DELETE FROM data_migrations").await;
    db.execute(
        "INSERT INTO customers (id, created_at, updated_at, traits) VALUES (900, 0, 0, \
         '{\"name\":\"李娜\",\"email\":\"li.na@shop.cn\",\"birthday\":\"1990-05-01\",\
         \"address\":{\"street\":\"南京路 1 号\",\"city\":\"上海\"},\"plan\":\"gold\"}')",
    )
    .await;
    for (kind, value) in [
        ("email", "li.na@shop.cn"),
        ("phone", "+8613812345678"),
        ("wechat_openid", "o-abc"),
    ] {
        db.execute(&format!(
            "INSERT INTO identities (kind, value, customer_id, source_id, created_at) \
             VALUES ('{kind}', '{value}', 900, {}, 0)",
            web.id.0
        ))
        .await;
    }
    db.execute(&format!(
        "INSERT INTO events (id, source_id, message_id, customer_id, kind, name, properties, \
         timestamp, received_at) VALUES (900, {}, 'old-1', 900, 'track', 'Product Viewed', \
         '{{\"sku\":\"LJ-250\",\"receiver_phone\":\"13900001111\"}}', 5, 6)",
        web.id.0
    ))
    .await;

    let reopened = db.reopen().await;
    let stored = stored_text(db).await;
    for value in PERSONAL {
        assert!(
            !stored.contains(value),
            "{value} is still readable:\n{stored}"
        );
    }
    assert_reads_plain(&reopened, CustomerId(900)).await;
    // Done once: the pass is recorded and not run again.
    assert_eq!(
        db.rows("SELECT name FROM data_migrations ORDER BY name")
            .await,
        [["purge_plain_copies"], ["seal_personal_data"]]
    );
    reopened.close().await;
}
