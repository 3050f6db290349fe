//! Kiro GitHub / Google sign-in started from the admin API (issue 21; ADMIN_API.md
//! `POST /v2/auth/social/start`, `POST /v2/auth/social/finish`; amazon-q-protocol.md §3
//! "Login (browser)" and "Exchange").
//!
//! `start` makes a PKCE S256 verifier and a `state`, keeps them here — never in the answer —
//! bound to the admin session that asked, and returns the `/login` address. The browser ends on
//! `kiro://…?code=…&state=…`, which no server can receive, so the admin pastes that address into
//! `finish`. A login id is finished at most once and only within `pool.social_login_ttl_ms`
//! (10 minutes): any attempt that gets as far as the code exchange uses it up, so a leaked
//! callback cannot be replayed. A pasted text that is not a callback address at all does not
//! use it up (the admin may paste again). Nothing is stored unless the exchange succeeded.
//!
//! The state lives in this instance's memory, like device logins: in fleet mode the admin's
//! start and finish must reach the same instance (the console keeps one connection).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use amazonq::kiro_login::{Callback, SocialProvider, parse_callback};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::Digest as _;
use store::{AuthMethod, NewAccount, Secret};
use subtle::ConstantTimeEq as _;
use tokio::time::Instant;

use super::Inner;
use super::account_ops::{SocialLoginFinish, SocialLoginRequest, SocialLoginStart};
use crate::error::Error;

/// How long a settled or expired login id is remembered, so a late or second finish is told
/// "already used" / "expired" rather than "unknown".
const REMEMBER: Duration = Duration::from_hours(1);

/// A sign-in waiting for its callback.
struct Pending {
    session: String,
    verifier: String,
    state: String,
    provider: SocialProvider,
    region: String,
    label: Option<String>,
    deadline: Instant,
}

enum Entry {
    Pending(Box<Pending>),
    /// Finished (successfully or not); kept to name a reuse.
    Used(Instant),
}

/// Sign-ins in progress by login id.
#[derive(Default)]
pub(crate) struct SocialLogins {
    map: Mutex<HashMap<String, Entry>>,
}

impl SocialLogins {
    fn insert(&self, id: String, pending: Pending) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        map.retain(|_, e| match e {
            Entry::Pending(p) => now < p.deadline + REMEMBER,
            Entry::Used(at) => now.duration_since(*at) < REMEMBER,
        });
        map.insert(id, Entry::Pending(Box::new(pending)));
    }

    /// Takes the pending sign-in `id` of `session`, marking it used.
    fn take(&self, id: &str, session: &str) -> Result<Pending, Error> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = map.get(id).ok_or_else(|| {
            Error::field(
                "login_id",
                "unknown login id: start a new sign-in (ids are kept by the gateway instance \
                 that started them, and forgotten an hour after they expire)",
            )
        })?;
        let pending = match entry {
            Entry::Used(_) => {
                return Err(Error::field(
                    "login_id",
                    "this sign-in was already finished (each login id can be used once): start \
                     a new sign-in",
                ));
            }
            Entry::Pending(p) => p,
        };
        if pending.session != session {
            return Err(Error::field(
                "login_id",
                "this sign-in was started in another admin session: finish it there, or start \
                 a new one",
            ));
        }
        let expired = Instant::now() >= pending.deadline;
        let Some(Entry::Pending(pending)) = map.insert(id.to_owned(), Entry::Used(Instant::now()))
        else {
            return Err(Error::Internal("sign-in entry vanished".into()));
        };
        if expired {
            return Err(Error::field(
                "login_id",
                "this sign-in expired (it must be finished within 10 minutes of its start): \
                 start a new one",
            ));
        }
        Ok(*pending)
    }
}

/// A random base64url string of `bytes` bytes.
fn random(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The S256 challenge of a PKCE verifier (RFC 7636 §4.2).
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Inner {
    pub(crate) fn start_social_login(
        &self,
        req: SocialLoginRequest,
        session: &str,
    ) -> Result<SocialLoginStart, Error> {
        let region = req
            .region
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| store::DEFAULT_REGION.to_owned());
        if !valid_region(&region) {
            return Err(Error::field("region", "not an AWS region name"));
        }
        let client = self
            .upstream
            .kiro_login(&region)
            .map_err(|e| Error::UpstreamUnavailable(e.to_string()))?;
        // 32 random bytes give a 43-character verifier, the RFC 7636 minimum length.
        let verifier = random(32);
        let state = random(24);
        let url = client.login_url(req.provider, &challenge(&verifier), &state);
        let login_id = uuid::Uuid::new_v4().to_string();
        let ttl = super::config::ms(self.cfg.social_login_ttl_ms.max(1));
        self.socials.insert(
            login_id.clone(),
            Pending {
                session: session.to_owned(),
                verifier,
                state,
                provider: req.provider,
                region,
                label: req
                    .label
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty()),
                deadline: Instant::now() + ttl,
            },
        );
        let expires_at = chrono::Utc::now()
            + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(10));
        Ok(SocialLoginStart {
            login_id,
            url,
            expires_at,
        })
    }

    pub(crate) async fn finish_social_login(
        &self,
        req: SocialLoginFinish,
        session: &str,
    ) -> Result<store::Account, Error> {
        // A paste that is no callback at all leaves the sign-in usable.
        let callback = parse_callback(&req.callback_url)
            .map_err(|e| Error::field("callback_url", e.to_string()))?;
        let p = self.socials.take(&req.login_id, session)?;
        let state_matches = |s: &str| bool::from(s.as_bytes().ct_eq(p.state.as_bytes()));
        let code = match callback {
            Callback::Error {
                error,
                description,
                state,
            } => {
                if state.as_deref().is_some_and(|s| !state_matches(s)) {
                    return Err(state_mismatch());
                }
                let detail = description.map(|d| format!(" ({d})")).unwrap_or_default();
                return Err(Error::field(
                    "callback_url",
                    format!(
                        "the {} sign-in page reported an error: {error}{detail}",
                        p.provider.display()
                    ),
                ));
            }
            Callback::Code { code, state } => {
                if !state_matches(&state) {
                    return Err(state_mismatch());
                }
                code
            }
        };
        let client = self
            .upstream
            .kiro_login(&p.region)
            .map_err(|e| Error::UpstreamUnavailable(e.to_string()))?;
        let proxy = self.upstream.default_proxy();
        let tokens = client
            .exchange(&code, &p.verifier, proxy.as_deref())
            .await
            .map_err(|e| match e {
                amazonq::oidc::AuthError::Transport(t) => Error::UpstreamUnavailable(format!(
                    "the Kiro sign-in service could not be reached: {t}"
                )),
                other => Error::field(
                    "callback_url",
                    format!("the Kiro sign-in service refused the code exchange: {other}"),
                ),
            })?;
        let mut new = NewAccount::new(AuthMethod::Social, Secret::new(tokens.refresh_token));
        new.settings.label = p.label.unwrap_or_else(|| {
            format!(
                "Kiro {} {}",
                p.provider.display(),
                chrono::Utc::now().format("%Y-%m-%d %H:%M")
            )
        });
        // Refresh goes to the Kiro auth host of the sign-in region; chat to the profile's region.
        new.settings.oidc_region.clone_from(&p.region);
        new.settings.api_region = tokens
            .profile_arn
            .as_deref()
            .and_then(amazonq::types::arn_region)
            .map_or_else(|| p.region.clone(), str::to_owned);
        new.settings.profile_arn = tokens.profile_arn;
        new.credentials.access_token = Some(Secret::new(tokens.access_token));
        new.credentials.expires_at = Some(tokens.expires_at);
        let account = self.store.create_account(new).await?;
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "pool reload after a social sign-in failed");
        }
        if let Some(slot) = self.slot(&account.id) {
            if let Err(e) = self.fetch_models(&slot).await {
                tracing::warn!(account = %account.id, error = %e.message, "model list of a new social account failed");
            }
            if let Err(e) = self.fetch_quota(&slot).await {
                tracing::warn!(account = %account.id, error = %e.message, "quota of a new social account failed");
            }
        }
        tracing::info!(account = %account.id, provider = p.provider.display(), "social sign-in completed");
        Ok(self
            .store
            .get_account(&account.id)
            .await?
            .unwrap_or(account))
    }
}

fn state_mismatch() -> Error {
    Error::field(
        "callback_url",
        "the state in the address does not match this sign-in (the address belongs to another \
         sign-in attempt): start a new sign-in",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(session: &str, ttl: Duration) -> Pending {
        Pending {
            session: session.into(),
            verifier: "v".into(),
            state: "s".into(),
            provider: SocialProvider::Github,
            region: "us-east-1".into(),
            label: None,
            deadline: Instant::now() + ttl,
        }
    }

    fn message(r: Result<Pending, Error>) -> String {
        r.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn a_login_id_is_taken_once_by_its_session_before_it_expires() {
        let logins = SocialLogins::default();
        logins.insert("a".into(), pending("s1", Duration::from_mins(1)));
        assert!(message(logins.take("a", "s2")).contains("another admin session"));
        assert!(logins.take("a", "s1").is_ok());
        assert!(message(logins.take("a", "s1")).contains("already finished"));
        assert!(message(logins.take("b", "s1")).contains("unknown login id"));
        logins.insert("c".into(), pending("s1", Duration::ZERO));
        assert!(message(logins.take("c", "s1")).contains("expired"));
        assert!(message(logins.take("c", "s1")).contains("already finished"));
    }

    #[test]
    fn the_challenge_is_s256_of_the_verifier() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(random(32).len(), 43);
        assert!(valid_region("eu-central-1"));
        assert!(!valid_region("us-east-1/../x"));
    }
}
