//! Shared simulator state: clock, ids, the registry behind one mutex, and stream counters.
//!
//! One short-held `std::sync::Mutex` is enough: handlers take it for microseconds and never across
//! an `.await`, and the benchmark path touches it once per stream.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

use crate::accounts::{AccountTokens, Accounts};
use crate::clock::SimClock;
use crate::config::{AccountSpec, AuthKind, SimConfig};
use crate::faults::QueuedFault;
use crate::ids::Ids;
use crate::log::LogEntry;
use crate::plan::Counters;
use crate::script::Script;
use crate::validate::RuleSet;

/// An OIDC client registration (§2.3).
#[derive(Debug, Clone)]
pub struct OidcClient {
    pub client_secret: String,
    pub secret_expires_at_s: i64,
}

/// Device-code state machine (§8.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum DeviceState {
    Pending,
    Approved { account: Option<String> },
    Denied,
    Consumed,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub device_code: String,
    pub user_code: String,
    pub client_id: String,
    pub state: DeviceState,
    pub expires_at_ms: i64,
    pub interval_s: i64,
    pub last_poll_ms: Option<i64>,
    pub polls: u64,
}

/// A Kiro `/login` session awaiting `/oauth/token` (§8.3).
#[derive(Debug, Clone)]
pub struct KiroLogin {
    pub challenge: String,
    pub redirect_uri: String,
    pub account: Option<String>,
}

/// A script waiting for the next chat request of an account (or of anyone).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct QueuedScript {
    #[serde(default)]
    pub account: Option<String>,
    pub script: Script,
}

/// Everything mutable.
#[derive(Debug)]
pub struct Registry {
    pub config: SimConfig,
    pub accounts: Accounts,
    pub clients: HashMap<String, OidcClient>,
    pub devices: HashMap<String, Device>,
    pub logins: HashMap<String, KiroLogin>,
    pub scripts: VecDeque<QueuedScript>,
    pub faults: VecDeque<QueuedFault>,
    pub rules: RuleSet,
    pub log: VecDeque<LogEntry>,
    pub log_seq: u64,
}

impl Registry {
    fn new(config: SimConfig) -> Self {
        Self {
            rules: RuleSet::new(&config.rules),
            config,
            accounts: Accounts::default(),
            clients: HashMap::new(),
            devices: HashMap::new(),
            logins: HashMap::new(),
            scripts: VecDeque::new(),
            faults: VecDeque::new(),
            log: VecDeque::new(),
            log_seq: 0,
        }
    }

    /// Creates an account; Builder ID / IdC accounts get an OIDC client registration so their
    /// refresh token can be redeemed at `/token`.
    pub fn add_account(&mut self, spec: &AccountSpec, ids: &Ids, now_ms: i64) -> AccountTokens {
        let (client, ttl) = if spec.kind == AuthKind::Social {
            (None, self.config.kiro.access_ttl_s)
        } else {
            let id = ids.token("sim-client-", 22);
            let secret = ids.token("", 300);
            self.clients.insert(
                id.clone(),
                OidcClient {
                    client_secret: secret.clone(),
                    secret_expires_at_s: now_ms / 1000 + self.config.oidc.registration_lifetime_s,
                },
            );
            (Some((id, secret)), self.config.oidc.access_ttl_s)
        };
        let mut tokens =
            self.accounts
                .create(spec, ids, now_ms, ttl, client.as_ref().map(|c| c.0.clone()));
        tokens.client_secret = client.map(|c| c.1);
        tokens
    }

    /// Pops the first queued fault entry matching this request.
    pub fn take_fault(&mut self, operation: &str, account: Option<&str>) -> Vec<String> {
        let pos = self.faults.iter().position(|f| {
            f.operation.as_deref().is_none_or(|o| o == operation)
                && f.account.as_deref().is_none_or(|a| Some(a) == account)
        });
        let Some(i) = pos else { return Vec::new() };
        let Some(entry) = self.faults.get_mut(i) else {
            return Vec::new();
        };
        let faults = entry.faults.clone();
        entry.count = entry.count.saturating_sub(1);
        if entry.count == 0 {
            self.faults.remove(i);
        }
        faults
    }

    /// Pops the next script queued for `account` (account-specific first, then global).
    /// Whether [`Self::take_script`] would return a script for `account`.
    pub fn has_script(&self, account: &str) -> bool {
        self.scripts
            .iter()
            .any(|s| s.account.is_none() || s.account.as_deref() == Some(account))
    }

    pub fn take_script(&mut self, account: &str) -> Option<Script> {
        let i = self
            .scripts
            .iter()
            .position(|s| s.account.as_deref() == Some(account))
            .or_else(|| self.scripts.iter().position(|s| s.account.is_none()))?;
        self.scripts.remove(i).map(|s| s.script)
    }
}

/// State shared by every handler.
#[derive(Debug)]
pub struct Shared {
    pub clock: SimClock,
    pub ids: Ids,
    pub counters: Arc<Counters>,
    pub errors_sent: AtomicU64,
    reg: Mutex<Registry>,
    initial: SimConfig,
}

impl Shared {
    pub fn new(config: SimConfig) -> Arc<Self> {
        let clock = config
            .clock_start_ms
            .map_or_else(SimClock::system, SimClock::frozen);
        let shared = Arc::new(Self {
            clock,
            ids: Ids::new(config.seed),
            counters: Arc::new(Counters::default()),
            errors_sent: AtomicU64::new(0),
            reg: Mutex::new(Registry::new(config.clone())),
            initial: config,
        });
        shared.seed_accounts();
        shared
    }

    fn seed_accounts(&self) {
        let now = self.clock.now_ms();
        let mut reg = self.reg();
        for spec in self.initial.accounts.clone() {
            reg.add_account(&spec, &self.ids, now);
        }
    }

    /// Locks the registry (a poisoned lock is still usable: every mutation is self-contained).
    pub fn reg(&self) -> MutexGuard<'_, Registry> {
        self.reg.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Back to the start-up state: configured accounts only, empty queues and log, clock offset 0.
    pub fn reset(&self) {
        {
            let mut reg = self.reg();
            *reg = Registry::new(self.initial.clone());
        }
        self.clock.reset();
        self.seed_accounts();
    }
}
