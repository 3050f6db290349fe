//! The upstream steps of a diagnosis: `token`, `profile`, `usage`, `models`, `chat` (see the
//! module docs of `doctor`). Each calls the Q client directly — not the pool's fetchers — so the
//! step sees the upstream's own answer and the doctor changes no account state.

use std::sync::Arc;
use std::time::Instant;

use amazonq::client::{BUILDER_ID_SERVICE_ARN, ClientError, Credentials, Persona};
use amazonq::error::ErrorClass;
use amazonq::events::StreamEvent;
use amazonq::types::GenerateAssistantResponseRequest;
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use store::AuthMethod;

use super::judge::{self, Judgement};
use super::report::{Step, Verdict};
use super::{DiagnoseOptions, secrets_of};
use crate::pool::Inner;
use crate::pool::refresh::{Need, RefreshFailure};
use crate::pool::slot::{Slot, Token};

/// Model of the chat turn when neither the options nor the catalog name one.
const FALLBACK_MODEL: &str = "claude-sonnet-4.5";

/// A failed call: the Q call itself, or the refresh it needed.
enum Failed {
    Client(ClientError),
    Refresh(RefreshFailure),
}

/// One diagnosis' view of the account.
struct Ctx<'a> {
    inner: &'a Inner,
    slot: &'a Arc<Slot>,
    token: Arc<Token>,
}

impl Ctx<'_> {
    fn creds(&self) -> Credentials {
        self.inner
            .upstream
            .credentials(&self.slot.info.load(), &self.token, self.slot.host())
    }

    fn judge(&self, f: &Failed, resets: Option<DateTime<Utc>>) -> Judgement {
        let info = self.slot.info.load();
        let proxy = self.inner.upstream.refresh_proxy(&info);
        let secrets = secrets_of(&info, &self.token, proxy.as_deref());
        match f {
            Failed::Client(e) => judge::client(e, &secrets, resets),
            Failed::Refresh(r) => judge::refresh(r, &secrets),
        }
    }

    /// Runs `call`; "bearer token invalid" gets one forced refresh (single-flight) and a retry.
    async fn call<T, F, Fut>(&mut self, call: F) -> Result<T, Failed>
    where
        F: Fn(Credentials) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        match call(self.creds()).await {
            Ok(v) => Ok(v),
            Err(e) if e.class() == ErrorClass::NeedsRefresh => {
                let old = self.token.access_token.clone().unwrap_or_default();
                self.token = self
                    .inner
                    .fresh_token(self.slot, Need::Replace(&old))
                    .await
                    .map_err(Failed::Refresh)?;
                call(self.creds()).await.map_err(Failed::Client)
            }
            Err(e) => Err(Failed::Client(e)),
        }
    }
}

/// Runs the upstream steps, appending them to `steps`.
pub(super) async fn run(
    inner: &Inner,
    slot: &Arc<Slot>,
    options: &DiagnoseOptions,
    steps: &mut Vec<Step>,
) {
    let Some(token) = token_step(inner, slot, steps).await else {
        for name in ["profile", "usage", "models", "chat"] {
            steps.push(Step::skipped(name, "skipped: no usable token"));
        }
        return;
    };
    let mut ctx = Ctx { inner, slot, token };
    steps.push(profile_step(&mut ctx).await);
    let (usage, resets) = usage_step(&mut ctx).await;
    steps.push(usage);
    let (models, model) = models_step(&mut ctx, options).await;
    steps.push(models);
    steps.push(chat_step(&mut ctx, &model, resets).await);
}

async fn token_step(inner: &Inner, slot: &Arc<Slot>, steps: &mut Vec<Step>) -> Option<Arc<Token>> {
    let started = Instant::now();
    let margin = inner.request_margin();
    let current = slot.token.load_full();
    let until = |t: &Token| {
        t.expires_at.map_or_else(
            || "an unknown time".to_owned(),
            |e| e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    };
    if current.fresh_for(margin) {
        steps.push(
            Step::new(
                "token",
                Verdict::Ok,
                format!("valid until {} (no refresh needed)", until(&current)),
            )
            .timed(started),
        );
        return Some(current);
    }
    match inner.fresh_token(slot, Need::Within(margin)).await {
        Ok(t) => {
            steps.push(
                Step::new(
                    "token",
                    Verdict::Ok,
                    format!("refreshed; valid until {}", until(&t)),
                )
                .timed(started),
            );
            Some(t)
        }
        Err(r) => {
            let info = slot.info.load();
            let proxy = inner.upstream.refresh_proxy(&info);
            let secrets = secrets_of(&info, &current, proxy.as_deref());
            let step = Step::new("token", Verdict::Fail, "the token refresh failed");
            steps.push(judge::refresh(&r, &secrets).apply(step).timed(started));
            None
        }
    }
}

async fn profile_step(ctx: &mut Ctx<'_>) -> Step {
    let started = Instant::now();
    let method = ctx.slot.info.load().auth_method;
    let step = match method {
        AuthMethod::BuilderId => Step::new(
            "profile",
            Verdict::Ok,
            format!("Builder ID: the request-scoped service profile {BUILDER_ID_SERVICE_ARN}"),
        ),
        AuthMethod::Social => match &ctx.token.profile_arn {
            Some(arn) => Step::new(
                "profile",
                Verdict::Ok,
                format!("{arn} (from the Kiro sign-in)"),
            ),
            None => Step::new(
                "profile",
                Verdict::Warn,
                "no profile ARN yet: the next token refresh returns one",
            ),
        },
        AuthMethod::Idc => idc_profile(ctx).await,
    };
    step.timed(started)
}

async fn idc_profile(ctx: &mut Ctx<'_>) -> Step {
    let info = ctx.slot.info.load_full();
    let proxy = ctx.inner.upstream.refresh_proxy(&info);
    let inner = ctx.inner;
    let list = |token: &Token| {
        let access = token.access_token.clone().unwrap_or_default();
        let proxy = proxy.clone();
        async move { inner.list_profiles_with(&access, proxy).await }
    };
    let mut result = list(&ctx.token).await.map_err(Failed::Client);
    if let Err(Failed::Client(e)) = &result
        && e.class() == ErrorClass::NeedsRefresh
    {
        let old = ctx.token.access_token.clone().unwrap_or_default();
        result = match inner.fresh_token(ctx.slot, Need::Replace(&old)).await {
            Ok(t) => {
                let r = list(&t).await.map_err(Failed::Client);
                ctx.token = t;
                r
            }
            Err(r) => Err(Failed::Refresh(r)),
        };
    }
    let profiles = match result {
        Ok(p) => p,
        Err(f) => {
            let step = Step::new("profile", Verdict::Fail, "listing the profiles failed");
            return ctx.judge(&f, None).apply(step);
        }
    };
    let in_use = ctx.token.profile_arn.clone();
    let names: Vec<String> = profiles
        .iter()
        .map(|p| format!("{} ({})", p.profile_name.as_deref().unwrap_or("-"), p.arn))
        .collect();
    let (verdict, detail) = match &in_use {
        _ if profiles.is_empty() => (
            Verdict::Fail,
            "no Identity Center profile is visible to this account".to_owned(),
        ),
        Some(arn) if profiles.iter().any(|p| &p.arn == arn) => (
            Verdict::Ok,
            format!("in use: {arn}; visible: {}", names.join(", ")),
        ),
        Some(arn) => (
            Verdict::Fail,
            format!(
                "the profile in use {arn} is not among the visible ones: {}",
                names.join(", ")
            ),
        ),
        None => (
            Verdict::Fail,
            format!("no profile chosen; visible: {}", names.join(", ")),
        ),
    };
    let mut step = Step::new("profile", verdict, detail);
    if verdict == Verdict::Fail {
        step.code = Some("pick_profile");
        step.advice = Some(judge::PICK_PROFILE.to_owned());
    }
    step
}

async fn usage_step(ctx: &mut Ctx<'_>) -> (Step, Option<DateTime<Utc>>) {
    let started = Instant::now();
    let inner = ctx.inner;
    let q = &inner.upstream.q;
    let result = ctx
        .call(|creds| async move {
            let req = crate::pool::quota::usage_request(&creds);
            q.get_usage_limits(&creds, &req).await
        })
        .await;
    let response = match result {
        Ok(r) => r,
        Err(f) => {
            let step = Step::new("usage", Verdict::Fail, "GetUsageLimits failed");
            return (ctx.judge(&f, None).apply(step).timed(started), None);
        }
    };
    let Some(quota) = crate::pool::quota::quota_of(&response) else {
        let step = Step::new("usage", Verdict::Ok, "no limits reported");
        return (step.timed(started), response.next_reset());
    };
    let resets = quota.resets_at.map_or_else(
        || "an unknown date".to_owned(),
        |r| r.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let detail = format!("{} of {} used; resets {resets}", quota.used, quota.limit);
    let mut step = Step::new("usage", Verdict::Ok, detail);
    if quota.limit > 0.0 && quota.used >= quota.limit {
        step.verdict = Verdict::Fail;
        step.code = Some("quota_exhausted");
        step.advice = Some(judge::quota_advice(quota.resets_at));
    }
    (step.timed(started), quota.resets_at)
}

async fn models_step(ctx: &mut Ctx<'_>, options: &DiagnoseOptions) -> (Step, String) {
    let started = Instant::now();
    let inner = ctx.inner;
    let q = &inner.upstream.q;
    let result = ctx
        .call(|creds| async move {
            q.list_all_models(&creds, Persona::of(&creds).account_origin())
                .await
        })
        .await;
    let wanted = options.model.clone();
    let (models, default) = match result {
        Ok(r) => r,
        Err(f) => {
            let step = Step::new("models", Verdict::Fail, "ListAvailableModels failed");
            let model = wanted.unwrap_or_else(|| FALLBACK_MODEL.to_owned());
            return (ctx.judge(&f, None).apply(step).timed(started), model);
        }
    };
    let ids: Vec<&str> = models.iter().map(|m| m.model_id.as_str()).collect();
    let default_id = default.as_ref().map(|m| m.model_id.clone());
    let model = wanted
        .clone()
        .or_else(|| default_id.clone())
        .or_else(|| ids.first().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| FALLBACK_MODEL.to_owned());
    let shown = if ids.len() > 8 {
        format!("{}, …", ids[..8].join(", "))
    } else {
        ids.join(", ")
    };
    let mut step = Step::new(
        "models",
        Verdict::Ok,
        format!(
            "{} model(s): {shown}; default {}",
            ids.len(),
            default_id.as_deref().unwrap_or("-")
        ),
    );
    if ids.is_empty() {
        step.verdict = Verdict::Warn;
        "the catalog is empty".clone_into(&mut step.detail);
    } else if let Some(w) = &wanted
        && !ids.contains(&w.as_str())
    {
        step.verdict = Verdict::Fail;
        step.detail = format!("{w} is not in this account's catalog ({shown})");
        step.code = Some("model_not_in_plan");
        step.advice = Some(judge::MODEL_NOT_IN_PLAN.to_owned());
    }
    (step.timed(started), model)
}

/// The `chat` step failed by an exception (`what`: `exception` or `error` frame) inside the
/// stream: `(type or code, reason, message)`, judged with the account's secrets scrubbed.
fn in_band_failure(
    ctx: &Ctx<'_>,
    model: &str,
    (kind, reason, message): (&str, Option<&str>, &str),
    what: &str,
) -> Step {
    let info = ctx.slot.info.load();
    let proxy = ctx.inner.upstream.refresh_proxy(&info);
    let secrets = secrets_of(&info, &ctx.token, proxy.as_deref());
    let j = judge::in_band(kind, reason, message, &secrets);
    j.apply(Step::new(
        "chat",
        Verdict::Fail,
        format!("{model}: {what} in the stream"),
    ))
}

async fn chat_step(ctx: &mut Ctx<'_>, model: &str, resets: Option<DateTime<Utc>>) -> Step {
    let started = Instant::now();
    let body = serde_json::json!({"conversationState": {
        "conversationId": uuid::Uuid::new_v4().to_string(),
        "chatTriggerType": "MANUAL",
        "currentMessage": {"userInputMessage": {
            "content": "Reply with the single word OK.",
            "origin": "CLI",
            "modelId": model,
        }},
    }});
    let request: GenerateAssistantResponseRequest = match serde_json::from_value(body) {
        Ok(r) => r,
        Err(e) => return Step::new("chat", Verdict::Fail, format!("building the turn: {e}")),
    };
    let inner = ctx.inner;
    let q = &inner.upstream.q;
    let request = &request;
    let result = ctx
        .call(|creds| async move {
            let mut request = request.clone();
            q.prepare(&creds, &mut request);
            q.generate_assistant_response(&creds, &request).await
        })
        .await;
    let mut response = match result {
        Ok(r) => r,
        Err(f) => {
            let step = Step::new("chat", Verdict::Fail, format!("{model}: the turn failed"));
            return ctx.judge(&f, resets).apply(step).timed(started);
        }
    };
    let first_byte = started.elapsed().as_millis();
    let mut chars = 0usize;
    let mut stop = None;
    while let Some(event) = response.events.next().await {
        match event {
            Ok(StreamEvent::AssistantResponse { content }) => chars += content.chars().count(),
            Ok(StreamEvent::Metadata { stop_reason, .. }) => stop = stop_reason.or(stop),
            Ok(StreamEvent::Exception {
                exception_type,
                message,
                reason,
            }) => {
                let text = message.as_deref().unwrap_or_default();
                let ex = (exception_type.as_str(), reason.as_deref(), text);
                return in_band_failure(ctx, model, ex, "exception").timed(started);
            }
            Ok(StreamEvent::Error { code, message }) => {
                let ex = (code.as_str(), None, message.as_str());
                return in_band_failure(ctx, model, ex, "error").timed(started);
            }
            Ok(_) => {}
            Err(e) => {
                let mut step = Step::new(
                    "chat",
                    Verdict::Fail,
                    format!("{model}: the stream broke after {chars} character(s): {e}"),
                );
                step.code = Some("upstream_trouble");
                step.advice = Some(
                    "The stream broke off: retry; if it keeps happening, check \
                                    the network path (proxy timeouts) to the runtime host."
                        .to_owned(),
                );
                return step.timed(started);
            }
        }
    }
    let detail = format!(
        "{model}: {chars} character(s) streamed, first byte after {first_byte} ms{}",
        stop.map(|s| format!(", stop reason {s}"))
            .unwrap_or_default()
    );
    let verdict = if chars == 0 {
        Verdict::Warn
    } else {
        Verdict::Ok
    };
    Step::new("chat", verdict, detail).timed(started)
}
