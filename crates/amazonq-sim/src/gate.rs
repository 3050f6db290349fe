//! Stages shared by chat and the account APIs: authentication (§8.4 stage 1) and fault selection
//! (§8.1: queued faults matched by operation/account, then the opt-in `x-sim-fault` header).

use axum::http::HeaderMap;

use crate::accounts::AuthOutcome;
use crate::errors::QError;
use crate::faults::Fault;
use crate::log::LogMeta;
use crate::render::Dialect;
use crate::state::Shared;

/// The account a request runs as, plus the faults chosen for it.
#[derive(Debug)]
pub struct Admitted {
    pub account: String,
    pub faults: Vec<Fault>,
    pub fault_names: Vec<String>,
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Authenticates and picks faults. `Err` carries the account (if known) for the log.
#[expect(
    clippy::result_large_err,
    reason = "one error per request; boxing buys nothing"
)]
pub fn admit(
    s: &Shared,
    headers: &HeaderMap,
    operation: &str,
) -> Result<Admitted, (QError, Option<String>)> {
    let now = s.clock.now_ms();
    let mut reg = s.reg();
    let auth_on = reg.rules.on("auth");
    let account = match reg.accounts.authenticate(bearer(headers), now) {
        AuthOutcome::Suspended(a) if auth_on => {
            let uid = reg
                .accounts
                .accounts
                .get(&a)
                .map(|x| x.user_id.clone())
                .unwrap_or_default();
            return Err((QError::suspended(&uid), Some(a)));
        }
        AuthOutcome::Ok(a) | AuthOutcome::Suspended(a) => a,
        AuthOutcome::Invalid if auth_on => return Err((QError::bearer_invalid(), None)),
        AuthOutcome::Invalid => {
            // Auth switched off: run as the first account, creating an anonymous one if needed.
            let first = reg.accounts.accounts.keys().min().cloned();
            if let Some(a) = first {
                a
            } else {
                let spec = crate::config::AccountSpec {
                    id: "anonymous".to_owned(),
                    ..Default::default()
                };
                reg.add_account(&spec, &s.ids, now).account
            }
        }
    };
    let mut fault_names = reg.take_fault(operation, Some(&account));
    let allow_header = reg.config.chat.allow_fault_header;
    drop(reg);
    if allow_header && let Some(h) = headers.get("x-sim-fault").and_then(|v| v.to_str().ok()) {
        fault_names.extend(
            h.split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty()),
        );
    }
    let mut faults = Vec::with_capacity(fault_names.len());
    for n in &fault_names {
        match n.parse::<Fault>() {
            Ok(f) => faults.push(f),
            Err(e) => {
                return Err((
                    QError::validation(&e.to_string(), None).rule("fault-spec"),
                    Some(account),
                ));
            }
        }
    }
    Ok(Admitted {
        account,
        faults,
        fault_names,
    })
}

/// [`admit`] for a handler that logs through `meta` (the account, the chosen faults' names) and
/// answers an HTTP-level fault at once with its §5.1 row in `dialect` — the first stage of chat,
/// MCP and the account APIs alike.
pub fn admit_logged(
    s: &Shared,
    headers: &HeaderMap,
    operation: &str,
    dialect: Dialect,
    meta: &mut LogMeta,
) -> Result<Admitted, QError> {
    let a = admit(s, headers, operation).map_err(|(e, account)| {
        meta.account = account;
        e
    })?;
    meta.account = Some(a.account.clone());
    meta.faults.clone_from(&a.fault_names);
    if let Some(Fault::Http(h)) = a.faults.iter().find(|f| matches!(f, Fault::Http(_))) {
        let reg = s.reg();
        return Err(QError::from_fault(
            *h,
            dialect,
            reg.config.chat.q_monthly_status,
            reg.config.chat.kiro_monthly_status,
        ));
    }
    Ok(a)
}

/// The request's `content-type`, lower-cased (empty when absent).
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}
