//! `sqlite::memory:` (handy for other crates' tests) keeps one database across queries.

use store::{AuthMethod, NewAccount};

#[tokio::test]
async fn in_memory_sqlite_is_one_database() {
    let store = crate::connect("sqlite::memory:").await;
    let a = store
        .create_account(NewAccount::new(AuthMethod::Social, "rt-mem"))
        .await
        .unwrap();
    // Many sequential and concurrent reads all see the same database.
    let reads = crate::concurrently(8, |_| {
        let (s, id) = (store.clone(), a.id.clone());
        async move {
            s.get_account(&id)
                .await
                .unwrap()
                .unwrap()
                .credentials
                .refresh_token
        }
    })
    .await;
    for r in reads {
        assert_eq!(r.expose(), "rt-mem");
    }
    assert_eq!(store.settings().await.unwrap().log_retention_days, 30);
}
