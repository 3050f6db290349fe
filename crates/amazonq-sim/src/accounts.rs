//! In-memory account and token registry (amazon-q-protocol.md §8.2 "token registry shared with the
//! q fake", §8.4 stages 1 and 6, §8.6 counters).
//!
//! An account owns its usage counters and limits; access and refresh tokens point at accounts.
//! All times are judged against [`crate::clock::SimClock`] milliseconds passed in by the caller,
//! which keeps this module free of I/O and globally-read clocks.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use crate::config::{AccountSpec, AuthKind, Rotation};
use crate::ids::Ids;
use crate::terms::{Entitlement, Limits, TokenPolicy};

/// Length of generated refresh tokens: real ones are long opaque strings and peers reject < 100 chars.
pub const REFRESH_TOKEN_LEN: usize = 180;
const ACCESS_TOKEN_LEN: usize = 120;

/// One simulated upstream account.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: String,
    pub kind: AuthKind,
    pub user_id: String,
    pub email: String,
    pub profile_arn: Option<String>,
    /// Own profiles (IdC / social) with region and catalog; None = the global list.
    pub profiles: Option<Vec<crate::config::ProfileSpec>>,
    #[serde(flatten)]
    pub token_policy: TokenPolicy,
    pub suspended: bool,
    #[serde(flatten)]
    pub limits: Limits,
    /// Accepted chat requests this month (feeds GetUsageLimits).
    pub usage: u64,
    /// Chat requests still to be answered with 429 (throttle burst).
    pub throttle_next: u32,
    #[serde(flatten)]
    pub entitlement: Entitlement,
    /// OIDC client this account's refresh tokens belong to (Builder ID / IdC).
    pub client_id: Option<String>,
    /// Number of refresh calls that reached this account (successful or not).
    pub refresh_calls: u64,
    /// Chat requests that passed authentication.
    pub chat_calls: u64,
    /// Clock ms of recent chat requests, for the RPM window.
    #[serde(skip)]
    pub recent: VecDeque<i64>,
}

/// What an access token resolves to.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub account: String,
    pub expires_at_ms: i64,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub account: String,
    /// OIDC client that may redeem it (None for Kiro social tokens).
    pub client_id: Option<String>,
    pub revoked: bool,
    /// When a rotation replaced it; it stays usable for the configured grace window.
    pub rotated_at_ms: Option<i64>,
}

impl RefreshToken {
    /// Not revoked, and not rotated away longer than `grace_ms` ago.
    pub fn usable(&self, now_ms: i64, grace_ms: i64) -> bool {
        !self.revoked && self.rotated_at_ms.is_none_or(|t| now_ms < t + grace_ms)
    }
}

/// Tokens handed out for an account (returned by `add_account` and the control API).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AccountTokens {
    pub account: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at_ms: i64,
    pub expires_in: i64,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub profile_arn: Option<String>,
}

/// Outcome of resolving a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    Ok(String),
    /// Missing, unknown, expired or revoked: 403 "bearer token … invalid".
    Invalid,
    /// Known account, suspended: 403 TEMPORARILY_SUSPENDED.
    Suspended(String),
}

/// Accounts plus the two token tables.
#[derive(Debug, Default)]
pub struct Accounts {
    pub accounts: HashMap<String, Account>,
    pub access: HashMap<String, AccessToken>,
    pub refresh: HashMap<String, RefreshToken>,
}

impl Accounts {
    /// Creates (or replaces) an account from a spec and mints its first token pair.
    pub fn create(
        &mut self,
        spec: &AccountSpec,
        ids: &Ids,
        now_ms: i64,
        default_ttl_s: i64,
        client_id: Option<String>,
    ) -> AccountTokens {
        let id = if spec.id.is_empty() {
            format!("acct-{}", &ids.uuid()[..8])
        } else {
            spec.id.clone()
        };
        let user_id = format!("{:012}", ids.next_u64() % 1_000_000_000_000);
        let account = Account {
            id: id.clone(),
            kind: spec.kind,
            email: spec
                .email
                .clone()
                .unwrap_or_else(|| format!("{id}@sim.invalid")),
            user_id,
            profile_arn: spec.profile_arn.clone().or_else(|| {
                (spec.kind == AuthKind::Social)
                    .then(|| crate::catalog::SOCIAL_DEFAULT_ARN.to_owned())
            }),
            profiles: spec.profiles.clone(),
            token_policy: spec.token_policy.clone(),
            suspended: spec.suspended,
            limits: spec.limits.clone(),
            usage: spec.usage,
            throttle_next: spec.throttle_first,
            entitlement: spec.entitlement.clone(),
            client_id: client_id.clone(),
            refresh_calls: 0,
            chat_calls: 0,
            recent: VecDeque::new(),
        };
        let ttl = account.token_policy.access_ttl_s.unwrap_or(default_ttl_s);
        self.accounts.insert(id.clone(), account);
        let access = spec
            .access_token
            .clone()
            .unwrap_or_else(|| mint_access(ids));
        let refresh = spec
            .refresh_token
            .clone()
            .unwrap_or_else(|| mint_refresh(ids));
        self.grant_pair(&id, (access, refresh), client_id, now_ms, ttl)
    }

    /// A fresh token pair for the existing `account` (a repeated login), its refresh token
    /// bound to `client_id`; None for an unknown account.
    pub fn issue(
        &mut self,
        account: &str,
        ids: &Ids,
        now_ms: i64,
        default_ttl_s: i64,
        client_id: Option<String>,
    ) -> Option<AccountTokens> {
        let acct = self.accounts.get(account)?;
        let ttl = acct.token_policy.access_ttl_s.unwrap_or(default_ttl_s);
        let pair = (mint_access(ids), mint_refresh(ids));
        Some(self.grant_pair(account, pair, client_id, now_ms, ttl))
    }

    /// Records `(access, refresh)` for `account` and reports them with the account's profile.
    fn grant_pair(
        &mut self,
        account: &str,
        (access, refresh): (String, String),
        client_id: Option<String>,
        now_ms: i64,
        ttl_s: i64,
    ) -> AccountTokens {
        let expires_at_ms = self.grant_access(&access, account, now_ms, ttl_s);
        self.grant_refresh(&refresh, account, client_id.clone());
        AccountTokens {
            account: account.to_owned(),
            access_token: access,
            refresh_token: refresh,
            expires_at_ms,
            expires_in: ttl_s,
            client_id,
            client_secret: None,
            profile_arn: self
                .accounts
                .get(account)
                .and_then(|a| a.profile_arn.clone()),
        }
    }

    /// Records the access token `access` of `account`, valid `ttl_s` from `now_ms`; returns
    /// when it expires.
    fn grant_access(&mut self, access: &str, account: &str, now_ms: i64, ttl_s: i64) -> i64 {
        let expires_at_ms = now_ms.saturating_add(ttl_s.saturating_mul(1000));
        let token = AccessToken {
            account: account.to_owned(),
            expires_at_ms,
            revoked: false,
        };
        self.access.insert(access.to_owned(), token);
        expires_at_ms
    }

    /// Records the refresh token `refresh` of `account`, redeemable by `client_id`.
    fn grant_refresh(&mut self, refresh: &str, account: &str, client_id: Option<String>) {
        let token = RefreshToken {
            account: account.to_owned(),
            client_id,
            revoked: false,
            rotated_at_ms: None,
        };
        self.refresh.insert(refresh.to_owned(), token);
    }

    /// Resolves `Authorization: Bearer <token>`.
    pub fn authenticate(&self, bearer: Option<&str>, now_ms: i64) -> AuthOutcome {
        let Some(tok) = bearer.and_then(|t| self.access.get(t)) else {
            return AuthOutcome::Invalid;
        };
        if tok.revoked || now_ms >= tok.expires_at_ms {
            return AuthOutcome::Invalid;
        }
        match self.accounts.get(&tok.account) {
            Some(a) if a.suspended => AuthOutcome::Suspended(a.id.clone()),
            Some(a) => AuthOutcome::Ok(a.id.clone()),
            None => AuthOutcome::Invalid,
        }
    }

    /// Mints a new access token for `account` and applies the rotation policy to `old_refresh`.
    /// Returns `(access, expires_in, refresh to report)`.
    pub fn refresh(
        &mut self,
        account: &str,
        old_refresh: &str,
        ids: &Ids,
        now_ms: i64,
        default_ttl_s: i64,
        default_rotation: Rotation,
    ) -> Option<(String, i64, Option<String>)> {
        let acct = self.accounts.get(account)?;
        let ttl = acct.token_policy.access_ttl_s.unwrap_or(default_ttl_s);
        let rotation = acct.token_policy.rotation.unwrap_or(default_rotation);
        let client_id = acct.client_id.clone();
        let access = mint_access(ids);
        self.grant_access(&access, account, now_ms, ttl);
        let reported = match rotation {
            Rotation::Rotate => {
                if let Some(old) = self.refresh.get_mut(old_refresh) {
                    old.rotated_at_ms.get_or_insert(now_ms);
                }
                let new = mint_refresh(ids);
                let client_id = self
                    .refresh
                    .get(old_refresh)
                    .and_then(|r| r.client_id.clone())
                    .or(client_id);
                self.grant_refresh(&new, account, client_id);
                Some(new)
            }
            Rotation::Keep => Some(old_refresh.to_owned()),
            Rotation::Omit => None,
        };
        Some((access, ttl, reported))
    }

    /// Revokes every refresh token of an account ("revoked refresh token" fault).
    pub fn revoke_refresh(&mut self, account: &str) -> usize {
        let mut n = 0;
        for r in self
            .refresh
            .values_mut()
            .filter(|r| r.account == account && !r.revoked)
        {
            r.revoked = true;
            n += 1;
        }
        n
    }

    /// Expires every access token of an account right now ("expired token between turns").
    pub fn expire_access(&mut self, account: &str, now_ms: i64) -> usize {
        let mut n = 0;
        for t in self
            .access
            .values_mut()
            .filter(|t| t.account == account && t.expires_at_ms > now_ms)
        {
            t.expires_at_ms = now_ms;
            n += 1;
        }
        n
    }
}

pub fn mint_access(ids: &Ids) -> String {
    ids.token("aoaAAAAA", ACCESS_TOKEN_LEN)
}

pub fn mint_refresh(ids: &Ids) -> String {
    ids.token("aorAAAAA", REFRESH_TOKEN_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_rotate_and_revoke() {
        let ids = Ids::new(1);
        let mut a = Accounts::default();
        let spec = AccountSpec {
            id: "a1".into(),
            token_policy: TokenPolicy {
                access_ttl_s: Some(10),
                ..TokenPolicy::default()
            },
            ..AccountSpec::default()
        };
        let t = a.create(&spec, &ids, 0, 3600, None);
        assert!(t.refresh_token.len() > 100);
        assert_eq!(
            a.authenticate(Some(&t.access_token), 9_999),
            AuthOutcome::Ok("a1".into())
        );
        assert_eq!(
            a.authenticate(Some(&t.access_token), 10_000),
            AuthOutcome::Invalid
        );
        assert_eq!(a.authenticate(None, 0), AuthOutcome::Invalid);
        let (acc2, ttl, new_rt) = a
            .refresh("a1", &t.refresh_token, &ids, 20_000, 3600, Rotation::Rotate)
            .unwrap();
        assert_eq!(ttl, 10);
        assert_eq!(
            a.authenticate(Some(&acc2), 20_001),
            AuthOutcome::Ok("a1".into())
        );
        assert!(!a.refresh[&t.refresh_token].usable(20_000, 0));
        assert!(
            a.refresh[&t.refresh_token].usable(20_500, 1_000),
            "grace window"
        );
        let new_rt = new_rt.unwrap();
        assert!(a.refresh[&new_rt].usable(20_000, 0));
        assert_eq!(
            a.revoke_refresh("a1"),
            2,
            "the rotated-away token and the new one"
        );
        assert!(!a.refresh[&new_rt].usable(20_000, 0));
        a.accounts.get_mut("a1").unwrap().suspended = true;
        assert_eq!(
            a.authenticate(Some(&acc2), 20_001),
            AuthOutcome::Suspended("a1".into())
        );
    }
}
