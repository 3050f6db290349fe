//! `claude-server backup --to FILE` (issue 7 "Storage"): a consistent online copy of the SQLite
//! database with `VACUUM INTO`, which reads one snapshot (WAL readers do not block writers and
//! vice versa) and writes a compact, self-contained file, while the gateway keeps serving.

use std::path::Path;

use sea_orm::{ConnectionTrait as _, Statement};

use crate::{Backend, Store, StoreError};

impl Store {
    /// Writes a consistent copy of the SQLite database to `path`, which must not exist yet.
    /// Other backends have their own tools (`pg_dump`, `mariadb-dump`) and get `Unsupported`.
    pub async fn backup_sqlite_to(&self, path: &Path) -> Result<(), StoreError> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::Unsupported(format!(
                "online backup is built in for SQLite only; use the {} tools",
                self.backend().as_str()
            )));
        }
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "backup target {} already exists",
                path.display()
            )));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Invalid("backup path is not UTF-8".into()))?;
        // The file name is a bound parameter (VACUUM INTO takes an expression), never spliced in.
        self.db()
            .execute_raw(Statement::from_sql_and_values(
                self.db_backend(),
                "VACUUM INTO ?",
                [target.into()],
            ))
            .await?;
        Ok(())
    }
}
