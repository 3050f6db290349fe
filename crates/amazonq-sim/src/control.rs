//! Control API under `/__sim/` (amazon-q-protocol.md §8.1, issue 3 "Control API") and the
//! operations behind it, shared with [`crate::SimHandle`]'s direct methods.
//!
//! Reachable only from loopback peers unless `control_non_loopback` is set: it can mint tokens
//! and approve logins.
//!
//! | method and path | body / query | effect |
//! |---|---|---|
//! | `GET /__sim/health` | | `{"ok":true}` |
//! | `POST /__sim/reset` | | back to the configured accounts; queues, log and clock offset cleared |
//! | `GET /__sim/requests` | `?operation=chat&account=a1&since=<seq>&host=runtime` | request log (method, path, query, headers, body, JSON, host role, status, `x-sim-rule`, faults) |
//! | `DELETE /__sim/requests` | | clear the log |
//! | `GET /__sim/accounts`, `GET /__sim/accounts/{id}` | | accounts with counters (`usage`, `chat_calls`, `refresh_calls`) |
//! | `POST /__sim/accounts` | [`AccountSpec`] | create; returns [`AccountTokens`] (+ OIDC client id/secret) |
//! | `PATCH /__sim/accounts/{id}` | [`AccountPatch`] | suspend, limits, usage, throttle burst, models, TTL, rotation |
//! | `POST /__sim/accounts/{id}/revoke-refresh` | | refresh → `invalid_grant` from now on |
//! | `POST /__sim/accounts/{id}/expire-access` | | current access tokens → 403 bearer-invalid |
//! | `GET /__sim/oidc/devices` | | device authorizations and their state |
//! | `POST /__sim/oidc/approve` | `{"userCode","account"?}` | approve (token goes to `account`, created if new) |
//! | `POST /__sim/oidc/deny`, `/__sim/oidc/expire` | `{"userCode"}` | deny / expire a pending code |
//! | `POST /__sim/scripts` | `{"account"?, "directives": "…"}` or `{"account"?, "script": {…}}` | queue a script |
//! | `DELETE /__sim/scripts` | | clear scripts |
//! | `POST /__sim/faults` | [`QueuedFault`] | queue faults (`GET` lists, `DELETE` clears) |
//! | `GET /__sim/clock`, `POST /__sim/clock/advance` | `{"ms"}` | read / move the simulator clock |
//! | `GET /__sim/rules`, `PUT /__sim/rules` | `{"R6": false, …}` | read / switch validation checks |
//! | `GET /__sim/host-mode`, `PUT /__sim/host-mode` | `{"host_mode": "runtime" \| "legacy_q"}` | what the main listener plays (the legacy listener is always `legacy_q`) |
//! | `GET /__sim/stats` | | frames, bytes, streams started/active, own CPU ticks |

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::accounts::{Account, AccountTokens};
use crate::config::AccountSpec;
use crate::faults::{Fault, QueuedFault};
use crate::host::HostMode;
use crate::log::{LogEntry, LogFilter};
use crate::plan::StreamCounters;
use crate::script::{Script, directives};
use crate::state::{Device, DeviceState, QueuedScript, Shared};
use crate::terms::{Entitlement, Limits, TokenPolicy};

/// Errors of control operations.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ControlError {
    #[error("no such account {0}")]
    NoAccount(String),
    #[error("no pending device authorization with user code {0}")]
    NoDevice(String),
    #[error("{0}")]
    Invalid(String),
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::NoAccount(_) | Self::NoDevice(_) => StatusCode::NOT_FOUND,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// Changes to an account's state, field for field as in [`Account`]; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct AccountPatch {
    #[serde(flatten)]
    pub token_policy: TokenPolicy,
    pub suspended: Option<bool>,
    #[serde(flatten)]
    pub limits: Limits,
    pub usage: Option<u64>,
    pub throttle_next: Option<u32>,
    #[serde(flatten)]
    pub entitlement: Entitlement,
}

/// Streaming counters and the simulator process's own CPU time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    #[serde(flatten)]
    pub streams: StreamCounters<u64>,
    /// utime / stime of this process in clock ticks (USER_HZ = 100 on Linux), from /proc/self/stat.
    pub cpu_utime_ticks: Option<u64>,
    pub cpu_stime_ticks: Option<u64>,
}

/// `(utime, stime)` of the current process in clock ticks.
pub fn proc_cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may contain spaces; fields after the closing parenthesis are fixed.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')' the fields start at "state" (field 3); utime is field 14, stime 15.
    Some((f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?))
}

impl Shared {
    pub fn add_account(&self, spec: &AccountSpec) -> AccountTokens {
        let now = self.clock.now_ms();
        self.reg().add_account(spec, &self.ids, now)
    }

    pub fn account(&self, id: &str) -> Result<Account, ControlError> {
        self.reg()
            .accounts
            .accounts
            .get(id)
            .cloned()
            .ok_or_else(|| ControlError::NoAccount(id.to_owned()))
    }

    pub fn accounts(&self) -> Vec<Account> {
        let mut v: Vec<Account> = self.reg().accounts.accounts.values().cloned().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    pub fn patch_account(&self, id: &str, p: &AccountPatch) -> Result<Account, ControlError> {
        let mut reg = self.reg();
        let a = reg
            .accounts
            .accounts
            .get_mut(id)
            .ok_or_else(|| ControlError::NoAccount(id.to_owned()))?;
        a.token_policy.overlay(&p.token_policy);
        if let Some(v) = p.suspended {
            a.suspended = v;
        }
        a.limits.overlay(&p.limits);
        if let Some(v) = p.usage {
            a.usage = v;
        }
        if let Some(v) = p.throttle_next {
            a.throttle_next = v;
        }
        a.entitlement.overlay(&p.entitlement);
        Ok(a.clone())
    }

    pub fn revoke_refresh(&self, id: &str) -> Result<usize, ControlError> {
        self.account(id)?;
        Ok(self.reg().accounts.revoke_refresh(id))
    }

    pub fn expire_access(&self, id: &str) -> Result<usize, ControlError> {
        self.account(id)?;
        let now = self.clock.now_ms();
        Ok(self.reg().accounts.expire_access(id, now))
    }

    fn set_device(
        &self,
        user_code: &str,
        state: Option<DeviceState>,
        expire: bool,
    ) -> Result<Device, ControlError> {
        let now = self.clock.now_ms();
        let mut reg = self.reg();
        let d = reg
            .devices
            .values_mut()
            .find(|d| {
                d.user_code.eq_ignore_ascii_case(user_code) && d.state == DeviceState::Pending
            })
            .ok_or_else(|| ControlError::NoDevice(user_code.to_owned()))?;
        if let Some(s) = state {
            d.state = s;
        }
        if expire {
            d.expires_at_ms = now;
        }
        Ok(d.clone())
    }

    /// Approves a pending device code; the token goes to `account` (created if new) or a fresh account.
    pub fn approve_device(
        &self,
        user_code: &str,
        account: Option<&str>,
    ) -> Result<Device, ControlError> {
        self.set_device(
            user_code,
            Some(DeviceState::Approved {
                account: account.map(str::to_owned),
            }),
            false,
        )
    }

    pub fn deny_device(&self, user_code: &str) -> Result<Device, ControlError> {
        self.set_device(user_code, Some(DeviceState::Denied), false)
    }

    pub fn expire_device(&self, user_code: &str) -> Result<Device, ControlError> {
        self.set_device(user_code, None, true)
    }

    pub fn devices(&self) -> Vec<Device> {
        self.reg().devices.values().cloned().collect()
    }

    pub fn queue_script(&self, account: Option<&str>, script: Script) -> Result<(), ControlError> {
        for f in &script.faults {
            f.parse::<Fault>()
                .map_err(|e| ControlError::Invalid(e.to_string()))?;
        }
        self.reg().scripts.push_back(QueuedScript {
            account: account.map(str::to_owned),
            script,
        });
        Ok(())
    }

    /// Queues a script written in the directive grammar.
    pub fn queue_directives(&self, account: Option<&str>, text: &str) -> Result<(), ControlError> {
        let script = directives::parse(text)
            .map_err(|e| ControlError::Invalid(e.to_string()))?
            .unwrap_or_default();
        self.queue_script(account, script)
    }

    pub fn queue_fault(&self, q: QueuedFault) -> Result<(), ControlError> {
        for f in &q.faults {
            f.parse::<Fault>()
                .map_err(|e| ControlError::Invalid(e.to_string()))?;
        }
        if q.count > 0 {
            self.reg().faults.push_back(q);
        }
        Ok(())
    }

    pub fn requests(&self, filter: &LogFilter) -> Vec<LogEntry> {
        self.reg()
            .log
            .iter()
            .filter(|e| filter.matches(e))
            .cloned()
            .collect()
    }

    pub fn host_mode(&self) -> HostMode {
        self.reg().config.host_mode
    }

    /// Switches what the main listener plays from the next request on.
    pub fn set_host_mode(&self, mode: HostMode) {
        self.reg().config.host_mode = mode;
    }

    pub fn set_rule(&self, id: &str, on: bool) -> Result<(), ControlError> {
        if self.reg().rules.set(id, on) {
            Ok(())
        } else {
            Err(ControlError::Invalid(format!("unknown rule {id}")))
        }
    }

    pub fn stats(&self) -> Stats {
        let cpu = proc_cpu_ticks();
        Stats {
            streams: self.counters.snapshot(),
            cpu_utime_ticks: cpu.map(|c| c.0),
            cpu_stime_ticks: cpu.map(|c| c.1),
        }
    }
}

type S = State<Arc<Shared>>;

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "ok": true })) }))
        .route("/reset", post(|State(s): S| async move { s.reset(); Json(json!({ "ok": true })) }))
        .route("/requests", get(requests).delete(|State(s): S| async move { s.reg().log.clear(); Json(json!({ "ok": true })) }))
        .route("/accounts", get(|State(s): S| async move { Json(s.accounts()) }).post(|State(s): S, Json(spec): Json<AccountSpec>| async move { Json(s.add_account(&spec)) }))
        .route("/accounts/{id}", get(account).patch(patch))
        .route("/accounts/{id}/revoke-refresh", post(|State(s): S, Path(id): Path<String>| async move { s.revoke_refresh(&id).map(|n| Json(json!({ "revoked": n }))) }))
        .route("/accounts/{id}/expire-access", post(|State(s): S, Path(id): Path<String>| async move { s.expire_access(&id).map(|n| Json(json!({ "expired": n }))) }))
        .route("/oidc/devices", get(|State(s): S| async move { Json(s.devices()) }))
        .route("/oidc/approve", post(|State(s): S, Json(b): Json<DeviceReq>| async move { s.approve_device(&b.user_code, b.account.as_deref()).map(Json) }))
        .route("/oidc/deny", post(|State(s): S, Json(b): Json<DeviceReq>| async move { s.deny_device(&b.user_code).map(Json) }))
        .route("/oidc/expire", post(|State(s): S, Json(b): Json<DeviceReq>| async move { s.expire_device(&b.user_code).map(Json) }))
        .route("/scripts", post(scripts).delete(|State(s): S| async move { s.reg().scripts.clear(); Json(json!({ "ok": true })) }))
        .route("/faults", post(|State(s): S, Json(q): Json<QueuedFault>| async move { s.queue_fault(q).map(|()| Json(json!({ "ok": true }))) })
            .get(|State(s): S| async move { Json(s.reg().faults.iter().cloned().collect::<Vec<_>>()) })
            .delete(|State(s): S| async move { s.reg().faults.clear(); Json(json!({ "ok": true })) }))
        .route("/clock", get(|State(s): S| async move { Json(json!({ "nowMs": s.clock.now_ms() })) }))
        .route("/clock/advance", post(|State(s): S, Json(b): Json<Advance>| async move { s.clock.advance(b.ms); Json(json!({ "nowMs": s.clock.now_ms() })) }))
        .route("/rules", get(|State(s): S| async move { Json(s.reg().rules.clone()) }).put(put_rules))
        .route("/stats", get(|State(s): S| async move { Json(s.stats()) }))
        .route("/host-mode", get(|State(s): S| async move { Json(HostModeBody { host_mode: s.host_mode() }) })
            .put(|State(s): S, Json(b): Json<HostModeBody>| async move { s.set_host_mode(b.host_mode); Json(b) }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceReq {
    user_code: String,
    #[serde(default)]
    account: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct HostModeBody {
    host_mode: HostMode,
}

#[derive(Debug, Deserialize)]
struct Advance {
    ms: i64,
}

/// `POST /__sim/scripts`: `{"account"?, "script": {...}}` or `{"account"?, "directives": "#text 5\n…"}`.
#[derive(Debug, Deserialize)]
struct ScriptReq {
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    script: Option<Script>,
    #[serde(default)]
    directives: Option<String>,
}

async fn scripts(State(s): S, Json(b): Json<ScriptReq>) -> Result<Json<Value>, ControlError> {
    match (b.script, b.directives) {
        (Some(sc), None) => s.queue_script(b.account.as_deref(), sc)?,
        (None, Some(d)) => s.queue_directives(b.account.as_deref(), &d)?,
        _ => {
            return Err(ControlError::Invalid(
                "give exactly one of script / directives".to_owned(),
            ));
        }
    }
    Ok(Json(json!({ "ok": true })))
}

async fn requests(State(s): S, Query(q): Query<LogFilter>) -> Json<Vec<LogEntry>> {
    Json(s.requests(&q))
}

async fn account(State(s): S, Path(id): Path<String>) -> Result<Json<Account>, ControlError> {
    s.account(&id).map(Json)
}

async fn patch(
    State(s): S,
    Path(id): Path<String>,
    Json(p): Json<AccountPatch>,
) -> Result<Json<Account>, ControlError> {
    s.patch_account(&id, &p).map(Json)
}

async fn put_rules(
    State(s): S,
    Json(b): Json<std::collections::BTreeMap<String, bool>>,
) -> Result<Json<Value>, ControlError> {
    for (k, v) in &b {
        s.set_rule(k, *v)?;
    }
    Ok(Json(json!(s.reg().rules.clone())))
}
