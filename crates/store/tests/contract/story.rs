//! The one story every backend runs, in order.

use std::path::Path;

use store::{AuthMethod, Backend, LogFilter, NewAccount, SCHEMA_VERSION, Store, StoreError};

pub async fn run(store: Store, url: String) {
    // Migrations: at the latest version, and connecting again (a restart, or a second instance)
    // applies nothing twice.
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    let again = crate::connect(&url).await;
    assert_eq!(again.schema_version().await.unwrap(), SCHEMA_VERSION);
    again.close().await.unwrap();
    store.ping().await.unwrap();

    crate::accounts::run(&store, &url).await;
    crate::token_race::run(&store).await;
    crate::security::keys(&store).await;
    crate::security::settings(&store).await;
    crate::security::ip_blocks(&store).await;
    crate::admin::sessions(&store).await;
    crate::admin::audit(&store).await;
    crate::logs::run(&store).await;
    crate::writer::run(&store).await;
    crate::responses::run(&store, &url).await;

    if store.backend() != Backend::Sqlite {
        let err = store
            .backup_sqlite_to(&std::env::temp_dir().join("never.sqlite3"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Unsupported(_)), "{err}");
    }
}

/// SQLite only: an online backup is a complete, openable database with the same data.
pub async fn sqlite_backup(store: &Store, dir: &Path) {
    let marker = store
        .create_account(NewAccount::new(AuthMethod::Social, "rt-backup-marker"))
        .await
        .unwrap();
    let logs_before = store.count_logs(&LogFilter::default()).await.unwrap();
    let target = dir.join("backups").join("copy.sqlite3");
    store.backup_sqlite_to(&target).await.unwrap();
    let err = store.backup_sqlite_to(&target).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");

    let copy = crate::connect(&format!("sqlite://{}?mode=rwc", target.display())).await;
    let got = copy.get_account(&marker.id).await.unwrap().unwrap();
    assert_eq!(got.credentials.refresh_token.expose(), "rt-backup-marker");
    assert_eq!(
        copy.count_logs(&LogFilter::default()).await.unwrap(),
        logs_before
    );
    assert!(logs_before > 0);
    copy.close().await.unwrap();
}
