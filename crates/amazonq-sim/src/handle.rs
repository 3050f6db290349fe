//! Typed, in-process control of a running simulator: the same operations as the `/__sim/` API,
//! for tests that embed the simulator (issue 3 "Library API").

use crate::accounts::{Account, AccountTokens};
use crate::config::AccountSpec;
use crate::control::{AccountPatch, ControlError, Stats};
use crate::faults::QueuedFault;
use crate::host::HostMode;
use crate::log::{LogEntry, LogFilter};
use crate::script::Script;
use crate::server::SimHandle;
use crate::state::Device;

impl SimHandle {
    /// Adds an account and returns its tokens (plus OIDC client credentials for Builder ID / IdC).
    pub fn add_account(&self, spec: &AccountSpec) -> AccountTokens {
        self.shared.add_account(spec)
    }

    pub fn account(&self, id: &str) -> Result<Account, ControlError> {
        self.shared.account(id)
    }

    pub fn accounts(&self) -> Vec<Account> {
        self.shared.accounts()
    }

    pub fn patch_account(&self, id: &str, patch: &AccountPatch) -> Result<Account, ControlError> {
        self.shared.patch_account(id, patch)
    }

    /// Suspends (or un-suspends) an account.
    pub fn set_suspended(&self, id: &str, suspended: bool) -> Result<Account, ControlError> {
        self.patch_account(
            id,
            &AccountPatch {
                suspended: Some(suspended),
                ..AccountPatch::default()
            },
        )
    }

    /// Number of refresh calls (OIDC or Kiro) that named this account's refresh tokens.
    pub fn refresh_calls(&self, id: &str) -> Result<u64, ControlError> {
        self.account(id).map(|a| a.refresh_calls)
    }

    pub fn revoke_refresh(&self, id: &str) -> Result<usize, ControlError> {
        self.shared.revoke_refresh(id)
    }

    pub fn expire_access(&self, id: &str) -> Result<usize, ControlError> {
        self.shared.expire_access(id)
    }

    pub fn approve_device(
        &self,
        user_code: &str,
        account: Option<&str>,
    ) -> Result<Device, ControlError> {
        self.shared.approve_device(user_code, account)
    }

    pub fn deny_device(&self, user_code: &str) -> Result<Device, ControlError> {
        self.shared.deny_device(user_code)
    }

    pub fn expire_device(&self, user_code: &str) -> Result<Device, ControlError> {
        self.shared.expire_device(user_code)
    }

    pub fn devices(&self) -> Vec<Device> {
        self.shared.devices()
    }

    pub fn queue_script(&self, account: Option<&str>, script: Script) -> Result<(), ControlError> {
        self.shared.queue_script(account, script)
    }

    /// Queues a script written in the directive grammar (see the crate docs).
    pub fn queue_directives(&self, account: Option<&str>, text: &str) -> Result<(), ControlError> {
        self.shared.queue_directives(account, text)
    }

    /// Queues faults for the next `count` matching requests.
    pub fn queue_fault(&self, fault: QueuedFault) -> Result<(), ControlError> {
        self.shared.queue_fault(fault)
    }

    /// Shorthand: one fault spec for the next chat request of `account` (or of anyone).
    pub fn fault_next_chat(&self, account: Option<&str>, spec: &str) -> Result<(), ControlError> {
        self.queue_fault(QueuedFault {
            faults: vec![spec.to_owned()],
            account: account.map(str::to_owned),
            operation: Some("chat".to_owned()),
            count: 1,
        })
    }

    pub fn requests(&self, filter: &LogFilter) -> Vec<LogEntry> {
        self.shared.requests(filter)
    }

    pub fn all_requests(&self) -> Vec<LogEntry> {
        self.shared.requests(&LogFilter::default())
    }

    /// Requests served in one host role: `runtime`, `management`, `legacy_q` or `auth`.
    pub fn requests_on(&self, host: &str) -> Vec<LogEntry> {
        self.shared.requests(&LogFilter {
            host: Some(host.to_owned()),
            ..LogFilter::default()
        })
    }

    /// What the main listener plays now.
    pub fn host_mode(&self) -> HostMode {
        self.shared.host_mode()
    }

    /// Switches the main listener between runtime + management and the legacy `q.*` host.
    pub fn set_host_mode(&self, mode: HostMode) {
        self.shared.set_host_mode(mode);
    }

    pub fn set_rule(&self, id: &str, on: bool) -> Result<(), ControlError> {
        self.shared.set_rule(id, on)
    }

    /// Moves the simulator clock (token expiry, device codes, RPM windows).
    pub fn advance_clock_ms(&self, ms: i64) {
        self.shared.clock.advance(ms);
    }

    pub fn now_ms(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Back to the configured start state.
    pub fn reset(&self) {
        self.shared.reset();
    }
}
