//! GenerateAssistantResponse in both dialects (amazon-q-protocol.md §8.4): the validation
//! pipeline auth → content type → JSON → schema + rules → model → size → quota/rate, then the
//! scripted event stream. On the runtime host (kiro-2026-endpoints.md §9) the root-member and
//! profile rules run before the shared rules, R17 / R19 / `size` give way to [`crate::runtime`]'s
//! `model-fields`, `image-size` and `input-tokens`, and every error has the `{"message","reason"}`
//! body.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use crate::errors::QError;
use crate::faults::{Fault, HttpFault};
use crate::gate::{Admitted, admit_logged, content_type};
use crate::host::HostMode;
use crate::log::LogMeta;
use crate::render::Dialect;
use crate::script::{self, Received, Step, directives};
use crate::server::ConnInfo;
use crate::state::Shared;
use crate::validate::{self, CheckCtx};

pub use crate::answer::EVENTSTREAM;

/// Handles one chat request.
pub fn chat(
    s: &Arc<Shared>,
    ci: &ConnInfo,
    headers: &HeaderMap,
    body: &[u8],
    dialect: Dialect,
    mode: HostMode,
) -> Response {
    let mut meta = LogMeta::new("chat");
    // The runtime host answers every error in the Kiro body shape, whatever the request style.
    let errors = if mode == HostMode::Runtime {
        Dialect::Kiro
    } else {
        dialect
    };
    let req = Req {
        dialect,
        errors,
        runtime: mode == HostMode::Runtime,
    };
    let resp = match run(s, ci, headers, body, req, &mut meta) {
        Ok(r) => r,
        Err(e) => e.into_response(errors),
    };
    meta.attach(resp)
}

fn content_type_ok(headers: &HeaderMap, dialect: Dialect) -> bool {
    let ct = content_type(headers);
    match dialect {
        Dialect::Q => ct.starts_with("application/x-amz-json-1.0"),
        Dialect::Kiro => ct.starts_with("application/json"),
    }
}

/// What kind of chat request this is.
#[derive(Debug, Clone, Copy)]
struct Req {
    /// Request style: `POST /` + target (Q) or `POST /generateAssistantResponse` (Kiro).
    dialect: Dialect,
    /// Error body shape (Kiro on the runtime host).
    errors: Dialect,
    runtime: bool,
}

fn run(
    s: &Arc<Shared>,
    ci: &ConnInfo,
    headers: &HeaderMap,
    body: &[u8],
    req: Req,
    meta: &mut LogMeta,
) -> Result<Response, QError> {
    let Req {
        dialect,
        errors,
        runtime,
    } = req;
    // 1. auth (+ fault selection, which needs the account)
    let Admitted {
        account, faults, ..
    } = admit_logged(s, headers, "chat", errors, meta)?;
    let (q_monthly, kiro_monthly) = {
        let reg = s.reg();
        (
            reg.config.chat.q_monthly_status,
            reg.config.chat.kiro_monthly_status,
        )
    };
    let mut rules = s.reg().rules.clone();
    if rules.on("content-type") && !content_type_ok(headers, dialect) {
        let msg = match dialect {
            Dialect::Q => "Content-Type must be application/x-amz-json-1.0",
            Dialect::Kiro => "Content-Type must be application/json",
        };
        return Err(QError::validation(msg, None).rule("content-type"));
    }
    // 2. JSON (R22)
    let json = if rules.on("R22") {
        validate::parse_json(body).map_err(|v| QError::from_violation(&v))?
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    };
    // 2b. HTTP-row faults written as `#fault` directives answer like injected ones (crate docs:
    // right after authentication, as soon as the body that carries them is read). A queued script
    // wins over directives, so its presence leaves them unread.
    if let Some(h) = directive_http_fault(s, &account, &json) {
        meta.faults.push(h.name().to_owned());
        return Err(QError::from_fault(h, errors, q_monthly, kiro_monthly));
    }
    // 3. runtime host: root members and profile; then schema + rules
    let profile = if runtime {
        // R17 is the legacy host's rule; sizes are judged in tokens (`input-tokens`), not chars.
        let p = crate::runtime::check_root(s, headers, &account, &json, &rules)?;
        rules.set("R17", false);
        rules.set("R19", false);
        p
    } else {
        None
    };
    let auth_kind = s
        .reg()
        .accounts
        .accounts
        .get(&account)
        .map(|a| a.kind)
        .unwrap_or_default();
    // One service behind the runtime host: R13 (empty history content) holds for both styles.
    let check_dialect = if runtime { Dialect::Kiro } else { dialect };
    let ctx = CheckCtx {
        dialect: check_dialect,
        auth_kind,
    };
    if let Some(v) = validate::check(&json, &rules, ctx).first() {
        let mut e = QError::from_violation(v);
        if runtime && e.reason.is_none() && e.status == 400 {
            e.reason = Some(crate::runtime::REQUEST_BODY_INVALID.to_owned());
        }
        return Err(e);
    }
    let current = json
        .pointer("/conversationState/currentMessage/userInputMessage")
        .unwrap_or(&Value::Null);
    // 4. model
    let (model, window) = resolve_model(
        s,
        &account,
        current.get("modelId").and_then(Value::as_str),
        rules.on("model"),
        profile.as_ref().and_then(|p| p.models.as_deref()),
    )?;
    // 5. size
    let (prompt_tokens, effort) =
        check_size(s, &json, body.len(), &model, window, runtime, &rules)?;
    // 6. quota / rate; on success count the request
    admit_quota(s, &account, req, rules.on("quota"), q_monthly, kiro_monthly)?;
    // 7. respond
    let (script, faults) =
        answer_script(s, &account, &json, current, &model, faults, effort, meta)?;
    Ok(crate::answer::respond(
        s,
        ci,
        &json,
        &script,
        &faults,
        dialect,
        prompt_tokens,
        window,
    ))
}

/// Step 5: the request's size — in tokens against the model's window on the runtime host (with
/// its model-field and image checks), in bytes on the legacy host. Returns the prompt's tokens
/// and the native effort the request asked for.
fn check_size(
    s: &Shared,
    json: &Value,
    body_len: usize,
    model: &str,
    window: u64,
    runtime: bool,
    rules: &validate::RuleSet,
) -> Result<(u64, Option<String>), QError> {
    if !runtime {
        let tokens = (body_len / 4) as u64;
        if rules.on("size") && tokens > window {
            return Err(QError::validation(
                "Input is too long.",
                Some("CONTENT_LENGTH_EXCEEDS_THRESHOLD"),
            )
            .rule("size"));
        }
        return Ok((tokens, None));
    }
    let spec = s
        .reg()
        .config
        .models
        .iter()
        .find(|m| m.model_id == model)
        .cloned();
    let effort = crate::runtime::check_fields(json, spec.as_ref(), rules.on("model-fields"))?;
    if rules.on("image-size") {
        crate::runtime::check_images(json)?;
    }
    let tokens = crate::runtime::estimate_tokens(json);
    if rules.on("input-tokens") {
        crate::runtime::check_tokens(tokens, window)?;
    }
    Ok((tokens, effort))
}

/// Step 7: what to answer — the account's queued script, else the message's directives (echo
/// mode without any), with the faults they add and the native effort first.
#[expect(
    clippy::too_many_arguments,
    reason = "the pipeline's state at step 7; a struct for one call would only rename it"
)]
fn answer_script(
    s: &Shared,
    account: &str,
    json: &Value,
    current: &Value,
    model: &str,
    mut faults: Vec<Fault>,
    effort: Option<String>,
    meta: &mut LogMeta,
) -> Result<(script::Script, Vec<Fault>), QError> {
    let text = current.get("content").and_then(Value::as_str).unwrap_or("");
    let queued = s.reg().take_script(account);
    let mut script = match queued {
        Some(sc) => sc,
        None => directives::parse(text)
            .map_err(|e| QError::validation(&e.to_string(), None).rule("directive"))?
            .or_else(|| crate::mcp::decide::implicit(json))
            .unwrap_or_default(),
    };
    crate::mcp::decide::resolve(&mut script, json);
    for f in &script.faults {
        faults.push(
            f.parse::<Fault>()
                .map_err(|e| QError::validation(&e.to_string(), None).rule("fault-spec"))?,
        );
    }
    meta.faults.extend(script.faults.iter().cloned());
    if script.echo || script.is_contentless() {
        script.steps.push(Step::Text {
            content: script::echo_text(&received(json, current, model)),
            split: None,
        });
    }
    // Native effort: the answer starts with the effort the request asked for (crate docs).
    if let Some(e) = effort {
        script.steps.insert(
            0,
            Step::Reasoning {
                text: format!("effort={e}"),
                signature: Some("sim-signature".to_owned()),
            },
        );
    }
    Ok((script, faults))
}

/// What echo mode reports about the request.
fn received(json: &Value, current: &Value, model: &str) -> Received {
    Received {
        model: model.to_owned(),
        turns: json
            .pointer("/conversationState/history")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
            + 1,
        tools: current
            .pointer("/userInputMessageContext/tools")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(|x| {
                        x.pointer("/toolSpecification/name")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The first HTTP-row fault among the `#fault` directives of the current message, if any.
fn directive_http_fault(s: &Shared, account: &str, json: &Value) -> Option<HttpFault> {
    let text = json
        .pointer("/conversationState/currentMessage/userInputMessage/content")
        .and_then(Value::as_str)?;
    if !text.contains("#fault") || s.reg().has_script(account) {
        return None;
    }
    // A malformed directive is reported by the normal path below (step 7).
    let script = directives::parse(text).ok().flatten()?;
    script.faults.iter().find_map(|f| match f.parse::<Fault>() {
        Ok(Fault::Http(h)) => Some(h),
        _ => None,
    })
}

/// The model a request runs on and its window. `profile_models`: the catalog of the profile the
/// request names on the runtime host (None: the account's list, else the configured one).
fn resolve_model(
    s: &Shared,
    account: &str,
    requested: Option<&str>,
    check: bool,
    profile_models: Option<&[String]>,
) -> Result<(String, u64), QError> {
    let reg = s.reg();
    let acct = reg.accounts.accounts.get(account);
    let default = acct
        .and_then(|a| a.entitlement.default_model.clone())
        .unwrap_or_else(|| reg.config.default_model.clone());
    let id = requested.map_or(default, str::to_owned);
    let allowed = profile_models.is_none_or(|list| list.contains(&id))
        && match acct.and_then(|a| a.entitlement.models.as_ref()) {
            Some(list) => list.contains(&id),
            None => {
                reg.config.models.iter().any(|m| m.model_id == id)
                    || reg.config.hidden_models.contains(&id)
            }
        };
    if check && !allowed {
        return Err(QError::validation(
            "Invalid model. Please select a different model to continue.",
            Some("INVALID_MODEL_ID"),
        )
        .rule("model"));
    }
    let window = reg
        .config
        .models
        .iter()
        .find(|m| m.model_id == id)
        .map_or(200_000, |m| m.max_input_tokens);
    Ok((id, window))
}

/// Throttle bursts, RPM and the monthly quota. On the runtime host a throttle carries reason
/// USER_REQUEST_RATE_EXCEEDED (§8) and the monthly quota has the Kiro shape for both styles.
fn admit_quota(
    s: &Shared,
    account: &str,
    req: Req,
    check: bool,
    q_monthly: u16,
    kiro_monthly: u16,
) -> Result<(), QError> {
    let throttled = || {
        if req.runtime {
            QError::rate_exceeded()
        } else {
            QError::throttled()
        }
        .rule("quota")
    };
    let now = s.clock.now_ms();
    let mut reg = s.reg();
    let Some(a) = reg.accounts.accounts.get_mut(account) else {
        return Ok(());
    };
    if check {
        if a.throttle_next > 0 {
            a.throttle_next -= 1;
            return Err(throttled());
        }
        if a.limits.monthly_limit.is_some_and(|l| a.usage >= l) {
            return Err(QError::monthly(req.errors, q_monthly, kiro_monthly).rule("quota"));
        }
        while a.recent.front().is_some_and(|t| *t <= now - 60_000) {
            a.recent.pop_front();
        }
        if a.limits
            .rpm_limit
            .is_some_and(|l| a.recent.len() >= l as usize)
        {
            return Err(throttled());
        }
    }
    a.recent.push_back(now);
    a.usage += 1;
    a.chat_calls += 1;
    if a.limits.suspend_after.is_some_and(|n| a.chat_calls >= n) {
        a.suspended = true;
    }
    Ok(())
}
