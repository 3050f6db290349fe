//! Versioned schema migrations (issue 7, Storage: "versioned migrations with the same history on
//! every backend").
//!
//! Why not `sea-orm-migration`: it would add ~25 crates (and a CLI we do not ship) for what is a
//! list of numbered steps plus a version table. Why not `Schema::create_table_from_entity`: that
//! derives DDL from the *current* entity structs, so editing an entity would silently change what
//! "migration 1" creates and two databases at the same version could differ. Instead each step is
//! written once with sea-query's schema builders (rendered per backend, so the *history* — the
//! list of steps and what they create — is identical on SQLite, MySQL/MariaDB and PostgreSQL) and
//! never edited after release; a change to the schema is a new step appended to [`MIGRATIONS`].
//!
//! All steps run in one transaction under a backend lock (`pg_advisory_xact_lock` on PostgreSQL,
//! `GET_LOCK` on MySQL; SQLite serialises writers itself), so several instances starting at once
//! against one shared database apply each step exactly once.

use sea_orm::sea_query::{ColumnDef, Index, IndexCreateStatement, Table, TableCreateStatement};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use crate::StoreError;
use crate::time::now_ms;

/// One schema step.
struct Migration {
    version: i64,
    name: &'static str,
    up: fn(DbBackend) -> Vec<Statement>,
}

/// The whole history, oldest first. Append only.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial tables",
        up: v1_initial,
    },
    Migration {
        version: 2,
        name: "stored responses",
        up: v2_stored_responses,
    },
];

/// The schema version this build creates.
pub const LATEST_VERSION: i64 = 2;

const MYSQL_LOCK: &str = "claude_api_migrate";
const PG_LOCK_KEY: i64 = 0x636c_6175_6465; // "claude"

/// Brings the schema to [`LATEST_VERSION`]; returns the version found before.
pub(crate) async fn run(db: &DatabaseConnection) -> Result<i64, StoreError> {
    let backend = db.get_database_backend();
    // SQLite: IMMEDIATE takes the write lock up front; a deferred transaction that reads the
    // version and then writes could fail with SQLITE_BUSY when another process migrates first.
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    match backend {
        DbBackend::Postgres => {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock($1)",
                [PG_LOCK_KEY.into()],
            ))
            .await?;
        }
        DbBackend::MySql => {
            let got = txn
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT GET_LOCK(?, 60) AS got",
                    [MYSQL_LOCK.into()],
                ))
                .await?
                .map(|r| r.try_get::<Option<i64>>("", "got"))
                .transpose()?
                .flatten();
            if got != Some(1) {
                return Err(StoreError::Connect(
                    "another instance held the migration lock for 60 s".into(),
                ));
            }
        }
        _ => {}
    }
    let result = apply_pending(&txn, backend).await;
    if backend == DbBackend::MySql {
        // MySQL DDL commits implicitly, so the lock (not the transaction) is what guards the steps.
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT RELEASE_LOCK(?)",
            [MYSQL_LOCK.into()],
        ))
        .await?;
    }
    match result {
        Ok(before) => {
            txn.commit().await?;
            Ok(before)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

async fn apply_pending(txn: &DatabaseTransaction, backend: DbBackend) -> Result<i64, StoreError> {
    let version_table = Table::create()
        .table("schema_version")
        .if_not_exists()
        .col(
            ColumnDef::new("version")
                .big_integer()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new("name").string_len(200).not_null())
        .col(ColumnDef::new("applied_at").big_integer().not_null())
        .to_owned();
    txn.execute(&version_table).await?;
    let current = current_version(txn, backend).await?;
    if current > LATEST_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: LATEST_VERSION,
        });
    }
    for step in MIGRATIONS.iter().filter(|m| m.version > current) {
        let fail = |source: DbErr| StoreError::Migration {
            version: step.version,
            name: step.name,
            source,
        };
        for stmt in (step.up)(backend) {
            txn.execute_raw(stmt).await.map_err(fail)?;
        }
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            insert_version_sql(backend),
            [step.version.into(), step.name.into(), now_ms().into()],
        ))
        .await
        .map_err(fail)?;
        tracing::info!(
            version = step.version,
            name = step.name,
            "applied schema migration"
        );
    }
    Ok(current)
}

fn insert_version_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)"
        }
        _ => "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
    }
}

pub(crate) async fn current_version(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
) -> Result<i64, StoreError> {
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT MAX(version) AS v FROM schema_version",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<Option<i64>>("", "v"))
        .transpose()?
        .flatten()
        .unwrap_or(0))
}

/// Long free text: MySQL's `TEXT` stops at 64 KiB, so bodies and JSON use `MEDIUMTEXT` there.
fn long_text(col: &mut ColumnDef, backend: DbBackend) -> ColumnDef {
    match backend {
        DbBackend::MySql => col.custom("MEDIUMTEXT").to_owned(),
        _ => col.text().to_owned(),
    }
}

fn id_col(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx
}

fn v1_initial(b: DbBackend) -> Vec<Statement> {
    let c = Cols(b);
    let mut out: Vec<Statement> = [
        accounts(&c),
        api_keys(&c),
        settings(&c),
        request_logs(&c),
        blocked_ips(),
        admin_sessions(),
        audit_log(&c),
    ]
    .iter()
    .map(|t| b.build(t))
    .collect();
    out.extend(
        [
            index("idx_accounts_status", "accounts", &["status"]),
            index("idx_request_logs_at", "request_logs", &["at"]),
            index(
                "idx_request_logs_account",
                "request_logs",
                &["account_id", "at"],
            ),
            index("idx_request_logs_key", "request_logs", &["key_id", "at"]),
            index(
                "idx_admin_sessions_expires",
                "admin_sessions",
                &["expires_at"],
            ),
            index("idx_audit_log_at", "audit_log", &["at"]),
        ]
        .iter()
        .map(|i| b.build(i)),
    );
    out
}

/// A millisecond timestamp or a counter (`BIGINT NOT NULL`).
fn ms(n: &'static str) -> ColumnDef {
    ColumnDef::new(n).big_integer().not_null().to_owned()
}

fn ms_null(n: &'static str) -> ColumnDef {
    ColumnDef::new(n).big_integer().null().to_owned()
}

fn s(n: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(n).string_len(len).not_null().to_owned()
}

fn s_null(n: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(n).string_len(len).null().to_owned()
}

/// The backend's long-text type (MySQL `MEDIUMTEXT`, else `TEXT`).
struct Cols(DbBackend);

impl Cols {
    fn text_null(&self, n: &'static str) -> ColumnDef {
        self.long_text(ColumnDef::new(n).null())
    }

    fn long_text(&self, col: &mut ColumnDef) -> ColumnDef {
        long_text(col, self.0)
    }
}

/// The upstream accounts and their tokens.
fn accounts(c: &Cols) -> TableCreateStatement {
    Table::create()
        .table("accounts")
        .col(s("id", 64).primary_key())
        .col(s("label", 255))
        .col(s("auth_method", 32))
        .col(s("oidc_region", 64))
        .col(s("api_region", 64))
        .col(s_null("start_url", 512))
        .col(c.text_null("client_id"))
        .col(c.text_null("client_secret"))
        .col(ms_null("client_expires_at"))
        .col(c.long_text(ColumnDef::new("refresh_token").not_null()))
        .col(c.text_null("access_token"))
        .col(ms_null("expires_at"))
        .col(s_null("profile_arn", 512))
        .col(ColumnDef::new("weight").integer().not_null())
        .col(ColumnDef::new("max_concurrency").integer().not_null())
        .col(s_null("proxy_url", 512))
        .col(ColumnDef::new("enabled").boolean().not_null())
        .col(s("status", 32))
        .col(s_null("status_reason", 1024))
        .col(c.text_null("models"))
        .col(ColumnDef::new("quota_used").double().null())
        .col(ColumnDef::new("quota_limit").double().null())
        .col(ms_null("quota_resets_at"))
        .col(ms("success_count"))
        .col(ms("error_count"))
        .col(ms_null("last_used_at"))
        .col(ms_null("last_refresh_at"))
        .col(ms("created_at"))
        .col(ms("updated_at"))
        .to_owned()
}

/// Client API keys (hashed).
fn api_keys(c: &Cols) -> TableCreateStatement {
    Table::create()
        .table("api_keys")
        .col(s("id", 64).primary_key())
        .col(s("name", 255))
        .col(s("key_hash", 64).unique_key())
        .col(s("prefix", 32))
        .col(ColumnDef::new("enabled").boolean().not_null())
        .col(c.text_null("models"))
        .col(ColumnDef::new("rpm").integer().null())
        .col(ColumnDef::new("max_concurrency").integer().null())
        .col(ms_null("expires_at"))
        .col(ms_null("last_used_at"))
        .col(ms("created_at"))
        .col(ms("updated_at"))
        .to_owned()
}

/// Settings set at run time (name → JSON).
fn settings(c: &Cols) -> TableCreateStatement {
    Table::create()
        .table("settings")
        .col(s("name", 128).primary_key())
        .col(c.long_text(ColumnDef::new("value").not_null()))
        .col(ms("updated_at"))
        .to_owned()
}

/// One row per `/v1` request.
fn request_logs(c: &Cols) -> TableCreateStatement {
    Table::create()
        .table("request_logs")
        .col(id_col("id"))
        .col(ms("at"))
        .col(s("client_ip", 64))
        .col(s_null("key_id", 64))
        .col(s_null("account_id", 64))
        .col(s("model_requested", 255))
        .col(s_null("model_used", 255))
        .col(s("dialect", 32))
        .col(ColumnDef::new("stream").boolean().not_null())
        .col(ColumnDef::new("status").integer().not_null())
        .col(s_null("error_class", 128))
        .col(ms("input_tokens"))
        .col(ms("output_tokens"))
        .col(ms_null("ttfb_ms"))
        .col(ms("duration_ms"))
        .col(c.text_null("rules_fired"))
        .col(c.text_null("request_body"))
        .col(c.text_null("response_body"))
        .to_owned()
}

/// Blocked client addresses.
fn blocked_ips() -> TableCreateStatement {
    Table::create()
        .table("blocked_ips")
        .col(id_col("id"))
        .col(s("ip", 64).unique_key())
        .col(s_null("reason", 1024))
        .col(ms_null("expires_at"))
        .col(ms("created_at"))
        .to_owned()
}

/// Admin console sessions (hashed tokens).
fn admin_sessions() -> TableCreateStatement {
    Table::create()
        .table("admin_sessions")
        .col(s("token_hash", 64).primary_key())
        .col(ms("created_at"))
        .col(ms("expires_at"))
        .col(ms_null("revoked_at"))
        .col(ms_null("last_seen_at"))
        .col(s_null("ip", 64))
        .to_owned()
}

/// Admin actions.
fn audit_log(c: &Cols) -> TableCreateStatement {
    Table::create()
        .table("audit_log")
        .col(id_col("id"))
        .col(ms("at"))
        .col(s("actor", 255))
        .col(s("action", 128))
        .col(s_null("target", 255))
        .col(c.text_null("detail"))
        .col(s_null("ip", 64))
        .to_owned()
}

/// Responses API answers kept for `previous_response_id` (issue 18).
fn v2_stored_responses(b: DbBackend) -> Vec<Statement> {
    let table = Table::create()
        .table("stored_responses")
        .col(ColumnDef::new("id").string_len(64).not_null().primary_key())
        .col(ColumnDef::new("key_id").string_len(64).null())
        .col(ColumnDef::new("model").string_len(255).not_null())
        .col(ColumnDef::new("created_at").big_integer().not_null())
        .col(long_text(ColumnDef::new("items").not_null(), b))
        .to_owned();
    vec![
        b.build(&table),
        b.build(&index(
            "idx_stored_responses_created",
            "stored_responses",
            &["created_at"],
        )),
    ]
}
