//! Admin sessions (expiry, revocation, revoke-all-but-mine, purge) and the audit log.

use chrono::{Duration, Utc};
use serde_json::json;
use store::{AuditFilter, NewAuditEntry, Store, hash_secret};

pub async fn sessions(store: &Store) {
    let now = Utc::now();
    let s1 = store
        .create_session("token-one", Some("127.0.0.1"), now + Duration::hours(12))
        .await
        .unwrap();
    assert_eq!(s1.token_hash, hash_secret("token-one"));
    assert!(s1.is_valid(now) && s1.revoked_at.is_none());
    assert_eq!(s1.ip.as_deref(), Some("127.0.0.1"));
    store
        .create_session("token-two", None, now + Duration::hours(12))
        .await
        .unwrap();
    store
        .create_session("token-three", None, now + Duration::hours(12))
        .await
        .unwrap();
    store
        .create_session("token-old", None, now - Duration::seconds(1))
        .await
        .unwrap();

    let v = store
        .validate_session("token-one", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        v.last_seen_at.map(|t| t.timestamp_millis()),
        Some(now.timestamp_millis())
    );
    assert!(
        store
            .validate_session("token-unknown", now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .validate_session("token-old", now)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        store
            .validate_session("token-one", now + Duration::hours(13))
            .await
            .unwrap()
            .is_none()
    );

    assert!(store.revoke_session("token-one").await.unwrap());
    assert!(!store.revoke_session("token-one").await.unwrap());
    assert!(
        store
            .validate_session("token-one", now)
            .await
            .unwrap()
            .is_none(),
        "revoked"
    );
    assert!(
        !store
            .session("token-one")
            .await
            .unwrap()
            .unwrap()
            .is_valid(now)
    );

    // Password change: revoke all but the caller's session.
    assert_eq!(
        store.revoke_all_sessions(Some("token-two")).await.unwrap(),
        2
    );
    assert!(
        store
            .validate_session("token-two", now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .validate_session("token-three", now)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.purge_sessions(now).await.unwrap(), 3);
    assert!(store.session("token-two").await.unwrap().is_some());
}

pub async fn audit(store: &Store) {
    for (action, target) in [
        ("account.create", "a1"),
        ("key.delete", "k1"),
        ("account.create", "a2"),
    ] {
        store
            .append_audit(NewAuditEntry {
                actor: "admin".into(),
                action: action.into(),
                target: Some(target.into()),
                detail: Some(json!({"target": target, "n": 1})),
                ip: Some("127.0.0.1".into()),
            })
            .await
            .unwrap();
    }
    let all = store.list_audit(&AuditFilter::default()).await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(
        all.items
            .iter()
            .map(|e| e.entry.target.as_deref().unwrap())
            .collect::<Vec<_>>(),
        ["a2", "k1", "a1"]
    );
    assert_eq!(
        all.items[0].entry.detail,
        Some(json!({"target": "a2", "n": 1}))
    );
    assert_eq!(all.items[0].entry.ip.as_deref(), Some("127.0.0.1"));
    assert!(all.items[0].at <= Utc::now() && all.items[0].at > Utc::now() - Duration::minutes(5));
    let creates = store
        .list_audit(&AuditFilter {
            action: Some("account.create".into()),
            per_page: 1,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!((creates.total, creates.items.len()), (2, 1));
    assert_eq!(creates.items[0].entry.target.as_deref(), Some("a2"));
}
