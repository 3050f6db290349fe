//! Start-up check of the stored account credentials (issue 16 §6): one row that does not decrypt
//! must not take the service down, but a wrong key must still stop it.
//!
//! - Every row fails: the key is wrong (or the database belongs to another key). Refuse to start
//!   with that clear message: serving would mean marking every account unusable.
//! - Some rows fail: start. Each of those accounts is set `needs_login` with the reason (the store
//!   already reads it that way, without credentials), gets an audit entry and an error log line,
//!   and shows up in the console's account list with that status.

use anyhow::bail;
use store::{AccountStatus, NewAuditEntry, Store};

/// Runs the check; `Err` = refuse to start.
pub async fn run(store: &Store) -> anyhow::Result<()> {
    let (rows, failures) = store.undecryptable_accounts().await?;
    if failures.is_empty() {
        return Ok(());
    }
    if failures.len() == rows {
        let first = failures
            .first()
            .map(|(_, why)| why.as_str())
            .unwrap_or_default();
        bail!(
            "none of the {rows} stored accounts' credentials can be decrypted ({first}): the \
             encryption key (security.encryption_key / encryption_key_file) is not the one they \
             were stored with"
        );
    }
    for (id, why) in &failures {
        tracing::error!(
            account = %id,
            reason = %why,
            "account credentials cannot be decrypted; marked needs_login (log the account in again)"
        );
        let reason = store::UNDECRYPTABLE_REASON;
        store
            .set_account_status(id, AccountStatus::NeedsLogin, Some(reason))
            .await?;
        let entry = NewAuditEntry {
            actor: "system".into(),
            action: "account.undecryptable".into(),
            target: Some(id.clone()),
            detail: Some(serde_json::json!({"status": "needs_login", "reason": why})),
            ip: None,
        };
        store.append_audit(entry).await?;
    }
    Ok(())
}
