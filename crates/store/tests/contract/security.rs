//! API keys, settings (original names and defaults), IP blocks.

use chrono::{Duration, Utc};
use serde_json::json;
use store::{ApiKeyPatch, KeyLimits, NewApiKey, Settings, Store, StoreError, hash_secret};

/// A key named `name` with no scope or limits.
fn named_key(name: &str) -> NewApiKey {
    NewApiKey {
        name: name.into(),
        ..NewApiKey::default()
    }
}

pub async fn keys(store: &Store) {
    assert_eq!(store.count_api_keys().await.unwrap(), 0);
    let limits = KeyLimits {
        models: Some(vec!["claude-sonnet-4.5".into()]),
        rpm: Some(60),
        max_concurrency: Some(2),
    };
    let (key, secret) = store
        .create_api_key(NewApiKey {
            name: "ci".into(),
            limits: limits.clone(),
            ..NewApiKey::default()
        })
        .await
        .unwrap();
    assert!(secret.expose().starts_with("sk-"));
    assert!(secret.expose().starts_with(&key.prefix) && key.prefix.len() < 12);
    assert!(key.enabled && key.expires_at.is_none());
    assert_eq!(key.limits, limits);

    let found = store.find_api_key(secret.expose()).await.unwrap().unwrap();
    assert_eq!(found, key);
    assert!(store.find_api_key("sk-wrong").await.unwrap().is_none());
    // Lookup by digest, and the digest list the gateway's key ring holds.
    let by_hash = store
        .find_api_key_by_hash(&hash_secret(secret.expose()))
        .await
        .unwrap();
    assert_eq!(by_hash.as_ref(), Some(&key));
    assert!(
        store
            .find_api_key_by_hash(&hash_secret("sk-wrong"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.api_key_hashes().await.unwrap(),
        [(key.id.clone(), hash_secret(secret.expose()))]
    );
    assert!(!format!("{key:?}").contains(secret.expose()));
    assert!(
        !serde_json::to_string(&key)
            .unwrap()
            .contains(secret.expose())
    );
    assert_eq!(hash_secret(secret.expose()).len(), 64);

    // The original single apiKey becomes a key with a chosen secret; duplicates conflict.
    let legacy = store
        .create_api_key_with_secret(named_key("legacy apiKey"), "legacy-secret-123")
        .await
        .unwrap();
    assert!(legacy.limits.models.is_none());
    let dup = store
        .create_api_key_with_secret(named_key("again"), "legacy-secret-123")
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup}");
    assert_eq!(
        store
            .find_api_key("legacy-secret-123")
            .await
            .unwrap()
            .unwrap()
            .id,
        legacy.id
    );

    let past = Utc::now() - Duration::hours(1);
    let patched = store
        .update_api_key(
            &key.id,
            ApiKeyPatch {
                enabled: Some(false),
                models: Some(None),
                rpm: Some(None),
                expires_at: Some(Some(past)),
                ..ApiKeyPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(!patched.enabled && patched.limits.models.is_none() && patched.limits.rpm.is_none());
    assert_eq!(patched.limits.max_concurrency, Some(2));
    assert!(patched.expires_at.is_some_and(|e| e < Utc::now()));
    let now = Utc::now();
    store.touch_api_key(&key.id, now).await.unwrap();
    let touched = store.get_api_key(&key.id).await.unwrap().unwrap();
    assert_eq!(
        touched.last_used_at.map(|t| t.timestamp_millis()),
        Some(now.timestamp_millis())
    );
    assert_eq!(store.list_api_keys().await.unwrap().len(), 2);
    assert!(store.delete_api_key(&key.id).await.unwrap());
    assert!(store.find_api_key(secret.expose()).await.unwrap().is_none());
    assert!(matches!(
        store
            .update_api_key(&key.id, ApiKeyPatch::default())
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
}

pub async fn settings(store: &Store) {
    // Fresh database: exactly the original defaults.
    let s = store.settings().await.unwrap();
    assert_eq!(s, Settings::default());
    assert_eq!(
        s.to_public_json(),
        json!({"apiKey": "", "debugLog": false, "enableRequestLog": true, "logRetentionDays": 30,
               "enableIPRateLimit": false, "ipRateLimitWindow": 1, "ipRateLimitMax": 100})
    );
    assert!(
        s.admin_password_hash.is_none(),
        "default admin password must be flagged"
    );

    let mut s2 = s.clone();
    for (k, v) in [
        ("debugLog", json!(true)),
        ("logRetentionDays", json!(7)),
        ("enableIPRateLimit", json!(true)),
        ("ipRateLimitWindow", json!(5)),
        ("ipRateLimitMax", json!(20)),
        ("apiKey", json!("sk-legacy")),
        ("enableRequestLog", json!(false)),
    ] {
        s2.apply_json(k, &v).unwrap();
    }
    assert!(matches!(
        s2.apply_json("nope", &json!(1)).unwrap_err(),
        StoreError::Invalid(_)
    ));
    assert!(matches!(
        s2.apply_json("ipRateLimitMax", &json!("20")).unwrap_err(),
        StoreError::Invalid(_)
    ));
    store.save_settings(&s2).await.unwrap();
    store
        .set_admin_password_hash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
        .await
        .unwrap();
    let back = store.settings().await.unwrap();
    assert_eq!(
        back.admin_password_hash.as_deref(),
        Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
    );
    assert_eq!(
        Settings {
            admin_password_hash: None,
            ..back.clone()
        },
        s2
    );
    assert!(!format!("{back:?}").contains("argon2") && !format!("{back:?}").contains("sk-legacy"));
    // Saving typed settings never touches the password.
    store.save_settings(&Settings::default()).await.unwrap();
    assert!(
        store
            .settings()
            .await
            .unwrap()
            .admin_password_hash
            .is_some()
    );
    assert_eq!(
        store.get_setting_raw("debugLog").await.unwrap().as_deref(),
        Some("false")
    );

    // Generic name/value pairs, with upsert.
    let theme = "console.theme";
    assert!(store.get_setting_raw(theme).await.unwrap().is_none());
    store.set_setting_raw(theme, "dark").await.unwrap();
    store.set_setting_raw(theme, "light ☀").await.unwrap();
    assert_eq!(
        store.get_setting_raw(theme).await.unwrap().as_deref(),
        Some("light ☀")
    );
    assert!(store.delete_setting_raw(theme).await.unwrap());
    assert!(store.get_setting_raw(theme).await.unwrap().is_none());
    // A bad hand edit falls back to the default instead of failing.
    store
        .set_setting_raw("ipRateLimitMax", "lots")
        .await
        .unwrap();
    assert_eq!(store.settings().await.unwrap().ip_rate_limit_max, 100);
}

pub async fn ip_blocks(store: &Store) {
    let now = Utc::now();
    let net = store
        .block_ip("127.1.2.3/8", Some("scanner"), None)
        .await
        .unwrap();
    assert_eq!(net.ip, "127.0.0.0/8");
    let single = store
        .block_ip("192.0.2.7", None, Some(now + Duration::hours(1)))
        .await
        .unwrap();
    let expired = store
        .block_ip(
            "2001:db8::/32",
            Some("old"),
            Some(now - Duration::minutes(1)),
        )
        .await
        .unwrap();
    assert_eq!(expired.ip, "2001:db8::/32");
    assert!(matches!(
        store.block_ip("300.1.1.1", None, None).await.unwrap_err(),
        StoreError::Invalid(_)
    ));

    let active = store.list_blocked_ips(Some(now)).await.unwrap();
    let mut ips: Vec<_> = active.iter().map(|b| b.ip.as_str()).collect();
    ips.sort_unstable();
    assert_eq!(ips, ["127.0.0.0/8", "192.0.2.7"]);
    assert_eq!(store.list_blocked_ips(None).await.unwrap().len(), 3);
    let blocked = |ip: &str| active.iter().any(|b| b.blocks(ip.parse().unwrap(), now));
    assert!(blocked("127.200.1.1") && blocked("::ffff:127.0.0.9") && blocked("192.0.2.7"));
    assert!(!blocked("128.0.0.1") && !blocked("192.0.2.8") && !blocked("2001:db8::1"));
    assert!(!single.blocks("192.0.2.7".parse().unwrap(), now + Duration::hours(2)));

    // Blocking again (in another spelling) updates the one entry.
    let again = store
        .block_ip("127.9.9.9/8", Some("still scanning"), None)
        .await
        .unwrap();
    assert_eq!(
        (again.id, again.reason.as_deref()),
        (net.id, Some("still scanning"))
    );
    assert_eq!(store.list_blocked_ips(None).await.unwrap().len(), 3);

    assert_eq!(store.purge_expired_blocks(now).await.unwrap(), 1);
    assert!(store.unblock_ip("127.0.0.1/8").await.unwrap());
    assert!(!store.unblock_ip("127.0.0.0/8").await.unwrap());
    let left: Vec<_> = store
        .list_blocked_ips(None)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.ip)
        .collect();
    assert_eq!(left, ["192.0.2.7"]);
}
