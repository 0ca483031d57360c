//! Staff accounts, sessions, custom roles and the audit log.

use crate::{TestDb, assert_not_found};
use guanxi_domain::access::{DataScope, FieldAccess, FieldPolicy, Permission, Role};
use guanxi_store::{AuditQuery, AuditStore, NewAuditEntry, NewUser, Session, Store, StoreError};
use serde_json::json;

pub(crate) fn new_user(email: &str, role: &str) -> NewUser {
    NewUser {
        email: email.to_owned(),
        display_name: "Li Na".to_owned(),
        role: role.to_owned(),
        locale: "zh-CN".to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
    }
}

pub async fn users_and_log_in_failures(store: &dyn Store) {
    assert_eq!(store.count_users().await.expect("count"), 0);
    let owner = store
        .create_user(&new_user("owner@shop.cn", "owner"), 1_000)
        .await
        .expect("create the owner");
    assert_eq!(owner.email, "owner@shop.cn");
    assert_eq!(owner.failed_logins, 0);
    assert_eq!(owner.locked_until, None);
    assert_eq!(owner.created_at, 1_000);
    assert_eq!(store.user(owner.id).await.expect("by id"), owner);
    assert_eq!(
        store
            .user_by_email("owner@shop.cn")
            .await
            .expect("by email"),
        owner
    );
    assert_not_found(store.user_by_email("nobody@shop.cn").await, "unknown email");
    match store
        .create_user(&new_user("owner@shop.cn", "analyst"), 2_000)
        .await
    {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a second account with one email must conflict, got {other:?}"),
    }

    assert_eq!(
        store
            .record_login_failure(owner.id, None)
            .await
            .expect("fail"),
        1
    );
    assert_eq!(
        store
            .record_login_failure(owner.id, Some(9_000))
            .await
            .expect("fail"),
        2
    );
    // A later failure without a lock of its own keeps the lock in force.
    assert_eq!(
        store
            .record_login_failure(owner.id, None)
            .await
            .expect("fail"),
        3
    );
    let locked = store.user(owner.id).await.expect("read");
    assert_eq!(
        (locked.failed_logins, locked.locked_until),
        (3, Some(9_000))
    );
    store.record_login_success(owner.id).await.expect("success");
    let fresh = store.user(owner.id).await.expect("read");
    assert_eq!((fresh.failed_logins, fresh.locked_until), (0, None));

    store
        .set_password(owner.id, "$argon2id$new")
        .await
        .expect("password");
    store.set_locale(owner.id, "en").await.expect("locale");
    store.set_role(owner.id, "analyst").await.expect("role");
    store
        .set_totp(owner.id, Some("JBSWY3DPEHPK3PXP"))
        .await
        .expect("totp");
    let changed = store.user(owner.id).await.expect("read");
    assert_eq!(changed.password_hash, "$argon2id$new");
    assert_eq!(changed.locale, "en");
    assert_eq!(changed.role, "analyst");
    assert_eq!(changed.totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
    assert_not_found(store.set_locale(999, "en").await, "unknown user");
    store
        .set_disabled(owner.id, Some(5_000))
        .await
        .expect("disable");
    assert_eq!(
        store.user(owner.id).await.expect("read").disabled_at,
        Some(5_000)
    );
    store.set_disabled(owner.id, None).await.expect("enable");
    assert_eq!(store.user(owner.id).await.expect("read").disabled_at, None);

    let agent = store
        .create_user(&new_user("agent@shop.cn", "service_agent"), 3_000)
        .await
        .expect("second user");
    let listed: Vec<i64> = store
        .list_users()
        .await
        .expect("list")
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, vec![owner.id, agent.id]);
    assert_eq!(store.count_users().await.expect("count"), 2);
}

pub async fn sessions_expire_and_end(store: &dyn Store) {
    let user = store
        .create_user(&new_user("agent@shop.cn", "service_agent"), 1_000)
        .await
        .expect("user");
    let session = Session {
        token_hash: "t1".to_owned(),
        user_id: user.id,
        csrf_token: "csrf1".to_owned(),
        created_at: 1_000,
        last_seen_at: 1_000,
        expires_at: 5_000,
    };
    store.create_session(&session).await.expect("create");
    assert_eq!(store.session("t1").await.expect("read"), session);
    store
        .touch_session("t1", 2_000, 6_000)
        .await
        .expect("touch");
    let touched = store.session("t1").await.expect("read");
    assert_eq!((touched.last_seen_at, touched.expires_at), (2_000, 6_000));
    store.delete_session("t1").await.expect("log out");
    assert_not_found(store.session("t1").await, "a session after log-out");
    assert_not_found(
        store.touch_session("t1", 3_000, 7_000).await,
        "touching a gone session",
    );

    for token in ["a", "b"] {
        store
            .create_session(&Session {
                token_hash: token.to_owned(),
                ..session.clone()
            })
            .await
            .expect("create");
    }
    store.delete_sessions_of(user.id).await.expect("everywhere");
    assert_not_found(store.session("a").await, "session a");
    assert_not_found(store.session("b").await, "session b");
}

pub async fn custom_roles_round_trip(store: &dyn Store) {
    let mut role = Role {
        key: "night_shift".to_owned(),
        name: Some("夜班客服".to_owned()),
        builtin: false,
        permissions: ["customers:view", "orders:view"]
            .iter()
            .map(|p| Permission::parse(p).expect("known"))
            .collect(),
        scope: DataScope::Team,
        fields: FieldPolicy {
            name: FieldAccess::Masked,
            phone: FieldAccess::Revealable,
            email: FieldAccess::Hidden,
            address: FieldAccess::Masked,
        },
    };
    store.save_role(&role).await.expect("save");
    assert_eq!(
        store.custom_roles().await.expect("list"),
        vec![role.clone()]
    );
    role.scope = DataScope::Own;
    role.permissions.clear();
    store.save_role(&role).await.expect("replace");
    assert_eq!(
        store.custom_roles().await.expect("list"),
        vec![role.clone()]
    );

    let holder = store
        .create_user(&new_user("night@shop.cn", "night_shift"), 1_000)
        .await
        .expect("user");
    match store.delete_role("night_shift").await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a role someone holds must not be deleted, got {other:?}"),
    }
    store
        .set_role(holder.id, "service_agent")
        .await
        .expect("reassign");
    store.delete_role("night_shift").await.expect("delete");
    assert_eq!(store.custom_roles().await.expect("list"), vec![]);
    assert_not_found(store.delete_role("night_shift").await, "a deleted role");
}

pub async fn audit_log_is_append_only(db: &TestDb) {
    let store = &db.store;
    let entry = |at: i64, action: &str, actor: i64, target: &str| NewAuditEntry {
        at,
        actor_kind: "user".to_owned(),
        actor_id: Some(actor),
        action: action.to_owned(),
        target_kind: Some("customer".to_owned()),
        target_id: Some(target.to_owned()),
        detail: json!({"field": "phone", "reason": "回电 callback"}),
        ip: Some("127.0.0.1".to_owned()),
    };
    let first = store
        .append_audit(&entry(1_000, "reveal", 1, "42"))
        .await
        .expect("append");
    let second = store
        .append_audit(&entry(2_000, "login", 2, "2"))
        .await
        .expect("append");
    let third = store
        .append_audit(&entry(3_000, "reveal", 2, "43"))
        .await
        .expect("append");
    assert!(first < second && second < third, "ids increase");

    let all = store
        .audit_entries(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    let ids: Vec<i64> = all.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![third, second, first], "newest first");
    assert_eq!(
        all[2].detail,
        json!({"field": "phone", "reason": "回电 callback"})
    );
    assert_eq!(all[2].ip.as_deref(), Some("127.0.0.1"));

    let ids_of = |q: AuditQuery| async move {
        store
            .audit_entries(&q)
            .await
            .expect("query")
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    let q = AuditQuery {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        ids_of(AuditQuery {
            action: Some("reveal".into()),
            ..q.clone()
        })
        .await,
        vec![third, first]
    );
    assert_eq!(
        ids_of(AuditQuery {
            actor_id: Some(2),
            ..q.clone()
        })
        .await,
        vec![third, second]
    );
    assert_eq!(
        ids_of(AuditQuery {
            target_id: Some("42".into()),
            ..q.clone()
        })
        .await,
        vec![first]
    );
    assert_eq!(
        ids_of(AuditQuery {
            since: Some(2_000),
            until: Some(3_000),
            ..q.clone()
        })
        .await,
        vec![second]
    );
    assert_eq!(
        ids_of(AuditQuery {
            before: Some(third),
            limit: 1,
            ..q.clone()
        })
        .await,
        vec![second]
    );

    // Not even a direct SQL statement may rewrite history.
    assert!(
        db.try_execute("UPDATE audit_log SET action = 'nothing'")
            .await
            .is_err()
    );
    assert!(db.try_execute("DELETE FROM audit_log").await.is_err());
    assert_eq!(ids_of(q).await.len(), 3, "every entry survives");
}
