//! What a failed upstream call means for the operator (issue 22 item 1): the verdict of the step,
//! a stable advice code and its text, and the upstream's exact answer with secrets blanked
//! ([`amazonq::redact::scrub`]). The class is the pool's own ([`amazonq::error::classify`]), so
//! the doctor and the request path never disagree about what an answer means.

use amazonq::client::ClientError;
use amazonq::error::ErrorClass;
use chrono::{DateTime, Utc};

use super::report::{Step, UpstreamAnswer, Verdict};
use crate::pool::refresh::RefreshFailure;

/// What a step learned from one failure.
pub(super) struct Judgement {
    pub verdict: Verdict,
    pub code: &'static str,
    pub advice: String,
    pub answer: UpstreamAnswer,
}

impl Judgement {
    /// Fills `step` with this judgement.
    pub fn apply(self, mut step: Step) -> Step {
        step.verdict = self.verdict;
        step.code = Some(self.code);
        step.advice = Some(self.advice);
        step.upstream = Some(self.answer);
        step
    }
}

/// The account's secrets, blanked in everything shown.
pub(super) struct Secrets(pub Vec<String>);

impl Secrets {
    pub fn scrub(&self, text: &str) -> String {
        let refs: Vec<&str> = self.0.iter().map(String::as_str).collect();
        amazonq::redact::scrub(text, &refs)
    }
}

/// A failed Q call (`ClientError`).
pub(super) fn client(
    e: &ClientError,
    secrets: &Secrets,
    resets: Option<DateTime<Utc>>,
) -> Judgement {
    let answer = match e {
        ClientError::Http(h) => UpstreamAnswer {
            status: Some(h.status),
            error_type: h.error_type.clone(),
            reason: h.reason.clone(),
            message: secrets.scrub(&h.message),
            request_id: h.request_id.clone(),
        },
        other => UpstreamAnswer {
            message: secrets.scrub(&other.to_string()),
            ..UpstreamAnswer::default()
        },
    };
    let unreachable = matches!(
        e,
        ClientError::Transport(_) | ClientError::FirstByteTimeout(_)
    ) && !matches!(e.class(), ErrorClass::BadRequest { .. });
    if unreachable {
        return Judgement {
            verdict: Verdict::Fail,
            code: "unreachable",
            advice: UNREACHABLE.to_owned(),
            answer,
        };
    }
    by_class(&e.class(), resets, answer)
}

/// A failed token refresh.
pub(super) fn refresh(r: &RefreshFailure, secrets: &Secrets) -> Judgement {
    let answer = match &r.answer {
        Some((status, code, description)) => UpstreamAnswer {
            status: Some(*status),
            error_type: Some(code.clone()),
            message: secrets.scrub(description),
            ..UpstreamAnswer::default()
        },
        None => UpstreamAnswer {
            message: secrets.scrub(&r.message),
            ..UpstreamAnswer::default()
        },
    };
    if r.answer.is_none() && r.class == ErrorClass::Transient {
        // No answer at all: the auth host was not reached.
        return Judgement {
            verdict: Verdict::Fail,
            code: "unreachable",
            advice: UNREACHABLE.to_owned(),
            answer,
        };
    }
    by_class(&r.class, None, answer)
}

/// An exception inside a 200 stream (`:message-type exception|error`).
pub(super) fn in_band(
    kind: &str,
    reason: Option<&str>,
    message: &str,
    secrets: &Secrets,
) -> Judgement {
    let class = amazonq::error::classify(200, Some(kind), reason, message, None);
    let answer = UpstreamAnswer {
        status: None,
        error_type: Some(kind.to_owned()),
        reason: reason.map(str::to_owned),
        message: secrets.scrub(message),
        request_id: None,
    };
    match class {
        // A 200 answer "classified" as a bad request is just an exception with no known reason.
        ErrorClass::BadRequest { .. } if kind != "ValidationException" => Judgement {
            verdict: Verdict::Fail,
            code: "upstream_trouble",
            advice: "The stream ended with an exception: retry; if it persists, report it with \
                     this output."
                .to_owned(),
            answer,
        },
        other => by_class(&other, None, answer),
    }
}

/// Advice of `pick_profile`.
pub(super) const PICK_PROFILE: &str = "The profile is missing or refused: pick one of the \
    account's profiles (console → Accounts → Profile, or `POST /v2/accounts/:id/profile`); when \
    none is visible, ask the organisation's administrator for an Amazon Q Developer / Kiro \
    subscription.";

/// Advice of `model_not_in_plan`.
pub(super) const MODEL_NOT_IN_PLAN: &str = "This account's plan does not include the model: use \
    a model from its catalog, or upgrade the plan.";

/// Advice of `quota_exhausted`, with the reset date when known.
pub(super) fn quota_advice(resets: Option<DateTime<Utc>>) -> String {
    let until = resets
        .map(|at| {
            format!(
                " until {}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        })
        .unwrap_or_default();
    format!(
        "The account's quota is used up{until}: wait for the reset, add credits or upgrade the \
         plan; other accounts serve meanwhile."
    )
}

/// Advice of `unreachable`.
pub(super) const UNREACHABLE: &str = "The host could not be reached: check DNS and the firewall, or set \
                           `upstream.proxy` (or the account's proxy) if this machine needs a proxy \
                           to reach the internet.";

fn by_class(
    class: &ErrorClass,
    resets: Option<DateTime<Utc>>,
    answer: UpstreamAnswer,
) -> Judgement {
    let (verdict, code, advice) = match class {
        ErrorClass::RefreshTokenDead => (
            Verdict::Fail,
            "relogin",
            "The refresh token is dead (expired or revoked): log the account in again (console → \
             Accounts → add / re-login, or import a fresh token)."
                .to_owned(),
        ),
        ErrorClass::NeedsRefresh => (
            Verdict::Fail,
            "wrong_region",
            "The service refuses this account's token even after a refresh: the account's region \
             (or its profile's region) does not match where it was created. Check the region and \
             profile of the account; if they are right, log it in again."
                .to_owned(),
        ),
        ErrorClass::ProfileRejected => (Verdict::Fail, "pick_profile", PICK_PROFILE.to_owned()),
        ErrorClass::InvalidModel => (
            Verdict::Fail,
            "model_not_in_plan",
            MODEL_NOT_IN_PLAN.to_owned(),
        ),
        ErrorClass::QuotaExhausted { resets_at, .. } => (
            Verdict::Fail,
            "quota_exhausted",
            quota_advice(resets_at.or(resets)),
        ),
        ErrorClass::Throttled { retry_after } => (
            Verdict::Warn,
            "throttled",
            format!(
                "The service is rate-limiting this account right now{}: retry later; the account \
                 itself is fine.",
                retry_after
                    .map(|d| format!(" (retry after {} s)", d.as_secs()))
                    .unwrap_or_default()
            ),
        ),
        ErrorClass::Suspended => (
            Verdict::Fail,
            "suspended",
            "The account is suspended or locked by the service: contact AWS support; the gateway \
             no longer uses it."
                .to_owned(),
        ),
        ErrorClass::Forbidden => (
            Verdict::Fail,
            "forbidden",
            "Access denied: the account's plan or organisation does not allow this (feature not \
             enabled, subscription missing)."
                .to_owned(),
        ),
        ErrorClass::ModelUnavailable | ErrorClass::Transient => (
            Verdict::Warn,
            "upstream_trouble",
            "The service is having trouble (overload or a server error): retry later.".to_owned(),
        ),
        ErrorClass::ContextTooLong | ErrorClass::BadRequest { .. } => (
            Verdict::Fail,
            "gateway_bug",
            "The service refused the request the gateway built: this is a gateway bug, please \
             report it with this output (secrets are already blanked)."
                .to_owned(),
        ),
    };
    Judgement {
        verdict,
        code,
        advice,
        answer,
    }
}
