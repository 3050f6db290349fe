//! Compare-and-set token writes (issue 17 item 2): two refreshes made with the same refresh token
//! race to store their results; the first one to commit wins, the other finds the newer token and
//! writes nothing, so a rotated refresh token is never overwritten by an older generation.

use chrono::Utc;
use store::{AuthMethod, NewAccount, Secret, Store, TokenUpdate, TokenWrite};

fn update(access: &str, refresh: Option<&str>) -> TokenUpdate {
    TokenUpdate {
        access_token: Secret::new(access),
        expires_at: Utc::now() + chrono::Duration::hours(1),
        refresh_token: refresh.map(Secret::new),
        refreshed_at: Utc::now(),
    }
}

pub async fn run(store: &Store) {
    // A slow refresh finishing after a faster one, both made with rt-gen-0.
    let acc = store
        .create_account(NewAccount::new(AuthMethod::Social, "rt-gen-0"))
        .await
        .unwrap();
    let used = Secret::new("rt-gen-0");
    let fast = store
        .update_tokens_if(&acc.id, &used, update("at-fast", Some("rt-gen-1-fast")))
        .await
        .unwrap();
    assert!(matches!(fast, TokenWrite::Written), "{fast:?}");
    let slow = store
        .update_tokens_if(&acc.id, &used, update("at-slow", Some("rt-gen-1-slow")))
        .await
        .unwrap();
    let TokenWrite::Superseded(stored) = slow else {
        panic!("the slow writer overwrote the newer token: {slow:?}");
    };
    // The loser is handed the winner's pair to adopt.
    assert_eq!(stored.credentials.refresh_token.expose(), "rt-gen-1-fast");
    assert_eq!(
        stored.credentials.access_token.as_ref().unwrap().expose(),
        "at-fast"
    );
    let row = store.get_account(&acc.id).await.unwrap().unwrap();
    assert_eq!(row.credentials.refresh_token.expose(), "rt-gen-1-fast");
    assert_eq!(row.credentials.access_token.unwrap().expose(), "at-fast");
    // The next generation builds on the survivor.
    let next = store
        .update_tokens_if(
            &acc.id,
            &Secret::new("rt-gen-1-fast"),
            update("at-2", Some("rt-gen-2")),
        )
        .await
        .unwrap();
    assert!(matches!(next, TokenWrite::Written), "{next:?}");
    // A refresh that did not rotate keeps the refresh token and still compares on it.
    let same = store
        .update_tokens_if(&acc.id, &Secret::new("rt-gen-2"), update("at-3", None))
        .await
        .unwrap();
    assert!(matches!(same, TokenWrite::Written), "{same:?}");
    let row = store.get_account(&acc.id).await.unwrap().unwrap();
    assert_eq!(row.credentials.refresh_token.expose(), "rt-gen-2");
    assert_eq!(row.credentials.access_token.unwrap().expose(), "at-3");
    assert!(
        store
            .update_tokens_if("nope", &used, update("x", None))
            .await
            .is_err()
    );

    let first = acc.id.clone();

    // Really concurrent: eight writers with the same used token on separate connections; exactly
    // one commits, every other one is told about a newer token, and the row holds the winner's.
    let acc = store
        .create_account(NewAccount::new(AuthMethod::Social, "rt-race-0"))
        .await
        .unwrap();
    let writers = (0..8).map(|i| {
        let store = store.clone();
        let id = acc.id.clone();
        tokio::spawn(async move {
            let w = store
                .update_tokens_if(
                    &id,
                    &Secret::new("rt-race-0"),
                    update(&format!("at-race-{i}"), Some(&format!("rt-race-1-{i}"))),
                )
                .await
                .unwrap();
            (i, w)
        })
    });
    let mut winners = Vec::new();
    for w in writers {
        let (i, w) = w.await.unwrap();
        match w {
            TokenWrite::Written => winners.push(i),
            TokenWrite::Superseded(a) => {
                assert!(
                    a.credentials
                        .refresh_token
                        .expose()
                        .starts_with("rt-race-1-"),
                    "{a:?}"
                );
            }
        }
    }
    assert_eq!(winners.len(), 1, "writers that committed: {winners:?}");
    let row = store.get_account(&acc.id).await.unwrap().unwrap();
    assert_eq!(
        row.credentials.refresh_token.expose(),
        format!("rt-race-1-{}", winners[0])
    );
    assert_eq!(
        row.credentials.access_token.unwrap().expose(),
        format!("at-race-{}", winners[0])
    );
    for id in [&first, &acc.id] {
        assert!(store.delete_account(id).await.unwrap());
    }
}
