//! `sqlite::memory:` (handy for other crates' tests) keeps one database across queries.

use store::{AuthMethod, NewAccount};

#[tokio::test]
#[expect(
    clippy::disallowed_methods,
    reason = "test code: the task ends with the test (joined or dropped with its runtime)"
)]
async fn in_memory_sqlite_is_one_database() {
    let store = crate::connect("sqlite::memory:").await;
    let a = store
        .create_account(NewAccount::new(AuthMethod::Social, "rt-mem"))
        .await
        .unwrap();
    // Many sequential and concurrent reads all see the same database.
    let reads: Vec<_> = (0..8)
        .map(|_| {
            let s = store.clone();
            let id = a.id.clone();
            tokio::spawn(async move { s.get_account(&id).await.unwrap().unwrap().refresh_token })
        })
        .collect();
    for r in reads {
        assert_eq!(r.await.unwrap().expose(), "rt-mem");
    }
    assert_eq!(store.settings().await.unwrap().log_retention_days, 30);
}
