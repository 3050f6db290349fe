//! Accounts: CRUD, filters and paging, encryption at rest, token rotation surviving a restart,
//! status, concurrent counters, quota and models.

use chrono::{Duration, TimeZone as _, Utc};
use store::{
    Account, AccountFilter, AccountPatch, AccountSettings, AccountStatus, AuthMethod, Cipher,
    ClientRegistration, NewAccount, Quota, Secret, Store, StoreConfig, StoreError, TokenUpdate,
};

fn ts(s: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(s, 0).unwrap()
}

/// Applies the operator edit `set` makes to an empty patch.
async fn edit(store: &Store, id: &str, set: impl FnOnce(&mut AccountPatch)) -> Account {
    let mut patch = AccountPatch::default();
    set(&mut patch);
    store.update_account(id, patch).await.unwrap()
}

#[expect(
    clippy::too_many_lines,
    reason = "the account contract run against one engine, in order: later checks read what earlier ones wrote"
)]
pub async fn run(store: &Store, url: &str) {
    let mut builder = NewAccount::new(AuthMethod::BuilderId, "rt-plain-builder-0001");
    builder.settings = AccountSettings {
        label: "Alice Builder".into(),
        oidc_region: "us-east-1".into(),
        api_region: "eu-central-1".into(),
        start_url: Some("https://view.awsapps.com/start".into()),
        profile_arn: Some("arn:aws:codewhisperer:us-east-1:1:profile/ABC".into()),
        weight: 3,
        max_concurrency: 4,
        proxy_url: Some("http://127.0.0.1:3128".into()),
        enabled: true,
    };
    builder.credentials.client = Some(ClientRegistration {
        client_id: "client-id-1".into(),
        client_secret: Secret::new("client-secret-plain-1"),
        expires_at: Some(ts(1_900_000_000)),
    });
    builder.credentials.access_token = Some(Secret::new("at-plain-0001"));
    builder.credentials.expires_at = Some(ts(1_800_000_000));
    let a = store.create_account(builder).await.unwrap();
    assert_eq!(a.settings.label, "Alice Builder");
    assert_eq!(a.auth_method, AuthMethod::BuilderId);
    assert_eq!(
        (
            a.settings.oidc_region.as_str(),
            a.settings.api_region.as_str()
        ),
        ("us-east-1", "eu-central-1")
    );
    assert_eq!(
        a.credentials.refresh_token.expose(),
        "rt-plain-builder-0001"
    );
    assert_eq!(
        a.credentials.access_token.as_ref().unwrap().expose(),
        "at-plain-0001"
    );
    let client = a.credentials.client.as_ref().unwrap();
    assert_eq!(client.client_secret.expose(), "client-secret-plain-1");
    assert_eq!(client.client_id, "client-id-1");
    assert_eq!(client.expires_at, Some(ts(1_900_000_000)));
    assert_eq!(a.credentials.expires_at, Some(ts(1_800_000_000)));
    assert_eq!((a.settings.weight, a.settings.max_concurrency), (3, 4));
    assert_eq!(a.status, AccountStatus::Active);
    assert!(a.settings.enabled && a.quota.is_none() && a.models.is_none());
    assert_eq!((a.success_count, a.error_count), (0, 0));
    // Debug output of an account never shows a credential.
    let dbg = format!("{a:?}");
    assert!(
        !dbg.contains("rt-plain")
            && !dbg.contains("at-plain")
            && !dbg.contains("client-secret-plain")
    );

    // At rest: every credential column is versioned ciphertext, not the plaintext.
    for (col, plain) in [
        ("refresh_token", "rt-plain-builder-0001"),
        ("access_token", "at-plain-0001"),
        ("client_secret", "client-secret-plain-1"),
    ] {
        let raw = store
            .raw_account_secret_column(&a.id, col)
            .await
            .unwrap()
            .unwrap();
        assert!(raw.starts_with("v1:"), "{col}: {raw}");
        assert!(!raw.contains(plain), "{col} stored in plaintext");
        assert!(
            raw.len() > plain.len() + 24,
            "{col} too short to hold nonce + tag"
        );
    }

    let mut social = NewAccount::new(AuthMethod::Social, "rt-plain-social-0002");
    social.id = Some("acct-social".into());
    social.settings.label = "bob social".into();
    let b = store.create_account(social.clone()).await.unwrap();
    assert_eq!(b.id, "acct-social");
    // 0 = no own cap: the pool applies its `default_max_concurrency`.
    assert_eq!((b.settings.weight, b.settings.max_concurrency), (1, 0));
    assert!(b.credentials.client.is_none() && b.credentials.access_token.is_none());
    let dup = store.create_account(social).await.unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup}");

    let mut idc = NewAccount::new(AuthMethod::Idc, "rt-plain-idc-0003");
    idc.settings.label = "Carol 100%_idc".into();
    idc.settings.enabled = false;
    let c = store.create_account(idc).await.unwrap();
    assert_eq!(c.status, AccountStatus::Disabled);
    assert!(
        store
            .create_account(NewAccount::new(AuthMethod::Idc, ""))
            .await
            .is_err()
    );

    // Listing: order, status filter, case-insensitive q with LIKE wildcards taken literally, paging.
    let all = store.all_accounts().await.unwrap();
    assert_eq!(
        all.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        [&a.id, &b.id, &c.id]
    );
    let page = |status, q: Option<&str>, page, per_page| AccountFilter {
        status,
        q: q.map(str::to_owned),
        page,
        per_page,
    };
    let p = store.list_accounts(&page(None, None, 1, 2)).await.unwrap();
    assert_eq!(
        (p.total, p.items.len(), p.items[0].id.as_str()),
        (3, 2, a.id.as_str())
    );
    let p = store.list_accounts(&page(None, None, 2, 2)).await.unwrap();
    assert_eq!(
        (p.total, p.items.len(), p.items[0].id.as_str()),
        (3, 1, c.id.as_str())
    );
    // (status, q, the accounts listed); "0%x" finds nothing: `%` must match literally.
    let filters: [(Option<AccountStatus>, Option<&str>, Vec<&String>); 5] = [
        (Some(AccountStatus::Disabled), None, vec![&c.id]),
        (None, Some("BOB"), vec![&b.id]),
        (None, Some("100%_"), vec![&c.id]),
        (None, Some("0%x"), vec![]),
        (None, Some("profile/abc"), vec![&a.id]),
    ];
    for (status, q, want) in filters {
        let p = store.list_accounts(&page(status, q, 1, 50)).await.unwrap();
        let ids: Vec<_> = p.items.iter().map(|x| &x.id).collect();
        assert_eq!(
            (p.total, ids),
            (want.len() as u64, want),
            "{status:?} {q:?}"
        );
    }

    // Operator edits.
    let patched = edit(store, &b.id, |p| {
        p.label = Some("Bob".into());
        p.weight = Some(5);
        p.max_concurrency = Some(1);
        p.proxy_url = Some(Some("socks5://127.0.0.1:1080".into()));
    })
    .await;
    assert_eq!(
        (
            patched.settings.label.as_str(),
            patched.settings.weight,
            patched.settings.max_concurrency
        ),
        ("Bob", 5, 1)
    );
    assert_eq!(
        patched.settings.proxy_url.as_deref(),
        Some("socks5://127.0.0.1:1080")
    );
    let cleared = edit(store, &b.id, |p| p.proxy_url = Some(None)).await;
    assert!(cleared.settings.proxy_url.is_none());
    let enabled = edit(store, &c.id, |p| p.enabled = Some(true)).await;
    assert_eq!(
        (enabled.settings.enabled, enabled.status),
        (true, AccountStatus::Active)
    );
    let missing = store
        .update_account("nope", AccountPatch::default())
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { .. }), "{missing}");

    // Token rotation: persisted in one update and still there after a "restart".
    let refreshed_at = Utc::now();
    store
        .update_tokens(
            &a.id,
            TokenUpdate {
                access_token: Secret::new("at-plain-0002"),
                expires_at: ts(1_800_003_600),
                refresh_token: Some(Secret::new("rt-plain-builder-ROTATED")),
                refreshed_at,
            },
        )
        .await
        .unwrap();
    // Without a rotated refresh token the stored one is kept.
    store
        .update_tokens(
            &b.id,
            TokenUpdate {
                access_token: Secret::new("at-plain-b"),
                expires_at: ts(1_800_000_100),
                refresh_token: None,
                refreshed_at,
            },
        )
        .await
        .unwrap();
    let restarted = crate::connect(url).await;
    let a2 = restarted.get_account(&a.id).await.unwrap().unwrap();
    assert_eq!(
        a2.credentials.refresh_token.expose(),
        "rt-plain-builder-ROTATED"
    );
    assert_eq!(
        a2.credentials.access_token.unwrap().expose(),
        "at-plain-0002"
    );
    assert_eq!(a2.credentials.expires_at, Some(ts(1_800_003_600)));
    assert_eq!(
        a2.last_refresh_at.map(|t| t.timestamp_millis()),
        Some(refreshed_at.timestamp_millis())
    );
    assert_eq!(
        a2.credentials.client.unwrap().client_secret.expose(),
        "client-secret-plain-1"
    );
    let b2 = restarted.get_account(&b.id).await.unwrap().unwrap();
    assert_eq!(
        b2.credentials.refresh_token.expose(),
        "rt-plain-social-0002"
    );
    assert_eq!(b2.credentials.access_token.unwrap().expose(), "at-plain-b");
    restarted.close().await.unwrap();
    let raw = store
        .raw_account_secret_column(&a.id, "refresh_token")
        .await
        .unwrap()
        .unwrap();
    assert!(!raw.contains("ROTATED"));
    assert!(
        store
            .update_tokens(
                "nope",
                TokenUpdate {
                    access_token: Secret::new("x"),
                    expires_at: ts(0),
                    refresh_token: None,
                    refreshed_at,
                }
            )
            .await
            .is_err()
    );

    // The wrong key cannot read credentials.
    let wrong = Store::connect(StoreConfig::new(
        url,
        Cipher::from_key_bytes(&[1; 32]).unwrap(),
    ))
    .await
    .unwrap();
    // It still lists them (one bad row must not hide the others, issue 16 §6): without
    // credentials, `needs_login`, with the reason; and it reports them as undecryptable.
    let locked = wrong.get_account(&a.id).await.unwrap().unwrap();
    assert_eq!(locked.status, AccountStatus::NeedsLogin);
    assert_eq!(
        locked.status_reason.as_deref(),
        Some(store::UNDECRYPTABLE_REASON)
    );
    assert_eq!(locked.credentials.refresh_token.expose(), "");
    assert!(locked.credentials.access_token.is_none() && locked.credentials.client.is_none());
    let all = wrong.all_accounts().await.unwrap();
    assert!(all.iter().all(|x| x.status == AccountStatus::NeedsLogin));
    let listed = wrong
        .list_accounts(&AccountFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), all.len());
    let (rows, failures) = wrong.undecryptable_accounts().await.unwrap();
    assert_eq!(rows, all.len());
    assert_eq!(failures.len(), rows, "every row fails under the wrong key");
    assert!(
        failures
            .iter()
            .any(|(id, why)| id == &a.id && why.contains("cannot decrypt"))
    );
    // A row written under another key is the one failure the right key reports.
    let foreign = wrong
        .create_account(NewAccount::new(AuthMethod::Social, "rt-foreign-key"))
        .await
        .unwrap();
    wrong.close().await.unwrap();
    let (rows, failures) = store.undecryptable_accounts().await.unwrap();
    assert_eq!(rows, all.len() + 1);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, foreign.id);
    let got = store.get_account(&foreign.id).await.unwrap().unwrap();
    assert_eq!(got.status, AccountStatus::NeedsLogin);
    assert_eq!(got.credentials.refresh_token.expose(), "");
    assert_eq!(
        store
            .get_account(&a.id)
            .await
            .unwrap()
            .unwrap()
            .credentials
            .refresh_token
            .expose(),
        "rt-plain-builder-ROTATED"
    );
    assert!(store.delete_account(&foreign.id).await.unwrap());

    // Status, concurrent counters, quota, models.
    store
        .set_account_status(&a.id, AccountStatus::NeedsLogin, Some("invalid_grant"))
        .await
        .unwrap();
    crate::concurrently(20, |i| {
        let (s, id) = (store.clone(), a.id.clone());
        async move {
            let at = ts(1_700_000_000 + i64::from(i));
            s.record_account_usage(&id, 1, u64::from(i % 2 == 0), Some(at))
                .await
                .unwrap();
        }
    })
    .await;
    store
        .set_account_quota(
            &a.id,
            Some(Quota {
                used: 12.5,
                limit: 50.0,
                resets_at: Some(ts(1_801_000_000)),
            }),
        )
        .await
        .unwrap();
    store
        .set_account_models(
            &a.id,
            Some(&[
                "claude-sonnet-4.5".to_owned(),
                "claude-4.5-opus-high".to_owned(),
            ]),
        )
        .await
        .unwrap();
    let a3 = store.get_account(&a.id).await.unwrap().unwrap();
    assert_eq!(
        (a3.status, a3.status_reason.as_deref()),
        (AccountStatus::NeedsLogin, Some("invalid_grant"))
    );
    assert_eq!((a3.success_count, a3.error_count), (20, 10));
    assert!(a3.last_used_at.unwrap() >= ts(1_700_000_000));
    assert!(a3.last_used_at.unwrap() <= ts(1_700_000_019));
    assert_eq!(
        a3.quota,
        Some(Quota {
            used: 12.5,
            limit: 50.0,
            resets_at: Some(ts(1_801_000_000))
        })
    );
    assert_eq!(
        a3.models.as_deref().unwrap(),
        ["claude-sonnet-4.5", "claude-4.5-opus-high"]
    );
    // A banned account stays banned when "enabled" again.
    store
        .set_account_status(&b.id, AccountStatus::Banned, Some("suspended"))
        .await
        .unwrap();
    let b3 = edit(store, &b.id, |p| p.enabled = Some(true)).await;
    assert_eq!(b3.status, AccountStatus::Banned);
    assert!(a3.updated_at >= a3.created_at - Duration::seconds(1));

    // Delete.
    assert!(store.delete_account(&c.id).await.unwrap());
    assert!(!store.delete_account(&c.id).await.unwrap());
    assert!(store.get_account(&c.id).await.unwrap().is_none());
    assert_eq!(store.all_accounts().await.unwrap().len(), 2);

    // Two creates racing for one id: exactly one wins, the other is a Conflict (not a raw DB
    // error), whichever of the pre-check or the unique key catches it.
    let racers = crate::concurrently(4, |i| {
        let s = store.clone();
        async move {
            let mut n = NewAccount::new(AuthMethod::Social, format!("rt-race-{i}"));
            n.id = Some("acct-race".into());
            s.create_account(n).await
        }
    })
    .await;
    let mut wins = 0;
    for r in racers {
        match r {
            Ok(_) => wins += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("race loser got {e}"),
        }
    }
    assert_eq!(wins, 1);
    assert!(store.delete_account("acct-race").await.unwrap());
}
