//! Shared plumbing of the client chat API (issue 10): the one request flow both dialects run,
//! after their handler parsed the body.
//!
//! Flow ([`run`]): resolve the model through the table and the pool's live catalog (unknown →
//! 404 in the dialect, or the configured fallback) → fetch remote images (`images`) → count the
//! prompt once (that one number is `count_tokens`, `message_start.usage.input_tokens`, the final
//! usage and OpenAI `prompt_tokens`) → pre-flight guard: over the model's `maxInputTokens` is
//! the dialect's prompt-too-long error without any upstream call → normalize into the upstream
//! body (native effort where the catalog allows it) → open the upstream through the pool (`upstream`, retries and failover
//! before the first event) → answer as SSE or one JSON body (`respond`). Every request leaves one
//! request-log row and its metrics (`record`); failures are rendered by `error`.
//!
//! Handlers stay thin: each starts from a [`Call`] (state, request id, caller); `api/openai` and
//! `api/anthropic` parse, then call [`run`]; `api/responses` also resolves `previous_response_id`
//! and calls [`run_with`] with its own [`Reply`].

pub mod call;
pub mod debug_body;
pub mod error;
pub mod image_addr;
pub mod images;
pub mod record;
pub mod respond;
pub mod upstream;
pub mod web_search;

use std::sync::Arc;

use axum::response::Response;
use tokio_util::sync::CancellationToken;
use translate::models::{Catalog, ModelTable, ResolvedModel};
use translate::normalize::{UpstreamOptions, normalize};
use translate::sse::{AnthropicSse, OpenAiSse};
use translate::stream::{StreamConfig, StreamMachine};
use translate::{TranslateError, ir::ChatRequest, tokens};

pub use self::call::Call;
use self::error::{ApiError, PromptSize};
use self::record::{Caller, Record};
use self::respond::{Answer, Encoder};
use crate::api::dialect_error::Dialect;
use crate::pool::PoolError;
use crate::state::ChatState;

/// Per-request facts every chat handler collects first (from its [`Call`]).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub dialect: Dialect,
    pub request_id: String,
    pub caller: Caller,
    /// The console's accounts page as the client addressed this server (named in the "no
    /// account" answers so a new user knows where to add one).
    pub console: error::ConsoleAddr,
    /// The request's web-search tool (Anthropic and Responses handlers set it): the answer then
    /// runs through `web_search`.
    pub web_search: Option<translate::web_search::WebSearchOptions>,
}

impl Ctx {
    /// A fresh log row for this request, whose body is `body` (kept only under `debugLog`).
    pub fn record(&self, state: &ChatState, body: &[u8]) -> Record {
        let settings = state.settings.load();
        Record::new(
            state.log_sender.clone(),
            self.dialect,
            self.caller.clone(),
            &settings,
            body,
        )
    }

    /// Logs and renders a failure that happened before any byte was sent.
    pub fn fail(&self, mut record: Record, err: &ApiError, account: Option<&str>) -> Response {
        let summary = serde_json::json!({"status": err.status.as_u16(), "error": err.message});
        record.sent(summary.to_string().as_bytes());
        record.finish(err.status.as_u16(), Some(err.class));
        let mut response = err.render(self.dialect, &self.request_id);
        if let Some(label) = account {
            respond::set_account(&mut response, label);
        }
        response
    }
}

/// The alias table from `models.*` (built-in rows plus configured ones, optional fallback).
pub fn build_model_table(cfg: &crate::config::ModelsConfig) -> ModelTable {
    ModelTable::new(cfg.aliases.clone(), true, cfg.fallback.clone())
}

/// Prompts with more text than this are counted on the blocking pool; smaller ones inline (the
/// hop itself cost more than tokenizing a short prompt).
const INLINE_COUNT_MAX_BYTES: usize = 32 * 1024;

/// [`tokens::count_request`], off the async threads when it is slow: tokenizing a large prompt (or
/// loading the vocabulary on first use) takes long enough to stall other connections.
pub async fn count_tokens(req: &Arc<ChatRequest>) -> u32 {
    if tokens::is_warm() && tokens::text_bytes(req) <= INLINE_COUNT_MAX_BYTES {
        return tokens::count_request(req);
    }
    let r = Arc::clone(req);
    match tokio::task::spawn_blocking(move || tokens::count_request(&r)).await {
        Ok(n) => n,
        // The blocking pool is gone (runtime shutting down): count here instead.
        Err(_) => tokens::count_request(req),
    }
}

/// How the answer is rendered.
#[derive(Debug)]
pub enum Reply {
    /// In the shape of the context's dialect (Chat Completions, Messages).
    Dialect,
    /// A Responses API answer (`api::responses`).
    Responses(Box<crate::api::responses::Reply>),
}

/// The whole chat flow after parsing (module docs), answered in the context's dialect.
pub async fn run(
    state: Arc<ChatState>,
    ctx: Ctx,
    body: &[u8],
    parsed: Result<ChatRequest, TranslateError>,
) -> Response {
    // Boxed: the flow's state would otherwise be carried inline by every handler future.
    Box::pin(run_with(state, ctx, body, parsed, Reply::Dialect)).await
}

/// The request made ready for the upstream: parsed, its model routed (the live catalog — the
/// union over accounts — routes names the table does not know and gives each upstream id its
/// limits and native effort schema, issue 15), its image URLs fetched.
async fn resolve(
    state: &ChatState,
    record: &mut Record,
    parsed: Result<ChatRequest, TranslateError>,
) -> Result<(Arc<ChatRequest>, ResolvedModel, Arc<Catalog>), ApiError> {
    let mut req = parsed.map_err(|e| ApiError::from_translate(&e))?;
    record.model_requested.clone_from(&req.model);
    record.stream = req.stream;
    let catalog = state.pool.catalog();
    let model = state
        .models
        .resolve_with(&req.model, &catalog)
        .map_err(|e| ApiError::from_translate(&e))?;
    record.model_used = Some(model.upstream_id.clone());
    images::resolve(&mut req, &state.images).await?;
    Ok((Arc::new(req), model, catalog))
}

/// [`run`], with the answer rendered as `reply` says.
pub async fn run_with(
    state: Arc<ChatState>,
    ctx: Ctx,
    body: &[u8],
    parsed: Result<ChatRequest, TranslateError>,
    reply: Reply,
) -> Response {
    let mut record = ctx.record(&state, body);
    let (req, model, catalog) = match resolve(&state, &mut record, parsed).await {
        Ok(resolved) => resolved,
        Err(e) => return ctx.fail(record, &e, None),
    };
    let input_tokens = count_tokens(&req).await;
    record.usage.input_tokens = input_tokens;
    let opts = UpstreamOptions {
        conversation_id: uuid::Uuid::new_v4().to_string(),
        ..UpstreamOptions::default()
    };
    // Same-family fallback (`pool::ModelRefusals`): the first candidate the upstream accepts serves.
    let plan = state.refusals.plan(&model.candidates);
    let cancel = CancellationToken::new();
    let guard = cancel.clone().drop_guard();
    let mut opened = None;
    let mut prompt = PromptSize {
        tokens: input_tokens,
        limit: model.max_input_tokens(),
    };
    for (i, candidate) in plan.iter().enumerate() {
        let model = model.for_candidate(candidate, &catalog);
        prompt.limit = model.max_input_tokens();
        if prompt.too_long() {
            // Pre-flight guard: the upstream would refuse it; no account is spent on it.
            record.model_used = Some((*candidate).to_owned());
            return ctx.fail(
                record,
                &ApiError::context_overflow(ctx.dialect, prompt),
                None,
            );
        }
        let norm = match normalize(&req, &model, &opts) {
            Ok(n) => n,
            Err(e) => return ctx.fail(record, &ApiError::from_translate(&e), None),
        };
        record.model_used = Some(norm.model_id.clone());
        let stream_cfg = StreamConfig::for_request(&req, &norm, input_tokens);
        let open = upstream::Open {
            body: norm.request,
            model: norm.model_id,
            sticky_key: req.metadata.session_id.clone(),
            cancel: cancel.clone(),
        };
        match upstream::open(&state.pool, open).await {
            Ok(f) => {
                opened = Some((f, stream_cfg, norm.rules, model));
                break;
            }
            Err(e) if crate::pool::model_refused(&e) && i + 1 < plan.len() => {
                tracing::debug!(model = %candidate, "upstream refused the model; trying the next of its family");
                state.refusals.refuse(candidate);
            }
            Err(e) => {
                let err = ApiError::from_pool(&e, ctx.dialect, prompt, &ctx.console.url());
                return ctx.fail(record, &err, None);
            }
        }
    }
    let Some((feed, stream_cfg, rules, served)) = opened else {
        // Unreachable in practice: the plan always holds the last candidate, whose failure returns.
        let err = ApiError::from_pool(
            &PoolError::NoAccounts(None),
            ctx.dialect,
            prompt,
            &ctx.console.url(),
        );
        return ctx.fail(record, &err, None);
    };
    record.rules(&rules);
    state.pool.note_rules(&rules, Some(&feed.account_id));
    // A web-search answer drives its own machine, turn by turn.
    let search = ctx.web_search.clone().map(|o| {
        let m = StreamMachine::new(stream_cfg.clone());
        web_search::Driver::new(&req, served, opts, o, m)
    });
    let machine = StreamMachine::new(stream_cfg);
    record.account_id = Some(feed.account_id.clone());
    let label = feed.account_label.clone();
    let answer = Answer {
        dialect: ctx.dialect,
        machine,
        record,
        input_tokens,
        input_limit: prompt.limit,
        keepalive: state.keepalive,
        cancel: guard,
        on_end: None,
    };
    let result = Box::pin(answer_in(reply, ctx.dialect, &req, feed, answer, search)).await;
    match result {
        Ok(response) => response,
        Err((err, answer)) => ctx.fail(answer.record, &err, Some(&label)),
    }
}

/// The answer in the client's wire format: streamed or collected, in `dialect` (or as the
/// Responses API when `reply` says so); a request with the web-search tool runs its search loop.
async fn answer_in(
    reply: Reply,
    dialect: Dialect,
    req: &ChatRequest,
    feed: upstream::Feed,
    answer: Answer,
    search: Option<web_search::Driver>,
) -> Result<Response, (ApiError, Answer)> {
    let (input_tokens, limit) = (answer.input_tokens, answer.input_limit);
    match (reply, search, dialect, req.stream) {
        (Reply::Responses(r), search, _, stream) => {
            Box::pin(r.answer(feed, answer, stream, input_tokens, search)).await
        }
        (Reply::Dialect, Some(driver), _, stream) => {
            let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
            if stream {
                let enc = AnthropicSse::new(id, &req.model, input_tokens)
                    .with_input_limit(limit)
                    .with_web_search();
                web_search::stream(feed, answer, Encoder::Anthropic(enc), driver).await
            } else {
                web_search::collect(feed, answer, driver, |steps| {
                    translate::web_search::body::anthropic_body(
                        steps,
                        &id,
                        &req.model,
                        input_tokens,
                    )
                })
                .await
            }
        }
        (Reply::Dialect, None, dialect, stream) => match (dialect, stream) {
            (Dialect::Anthropic, true) => {
                let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
                let enc = Encoder::Anthropic(
                    AnthropicSse::new(id, &req.model, input_tokens).with_input_limit(limit),
                );
                respond::stream(feed, answer, enc).await
            }
            (Dialect::OpenAi | Dialect::Responses, true) => {
                let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
                let created = chrono::Utc::now().timestamp();
                let enc = OpenAiSse::new(id, created, &req.model, req.include_usage)
                    .with_input_tokens(input_tokens)
                    .with_input_limit(limit);
                respond::stream(feed, answer, Encoder::OpenAi(enc)).await
            }
            (Dialect::Anthropic, false) => {
                let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
                respond::collect(feed, answer, |c| {
                    translate::anthropic::response::message_body(c, &id, &req.model)
                })
                .await
            }
            (Dialect::OpenAi | Dialect::Responses, false) => {
                let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
                let created = chrono::Utc::now().timestamp();
                respond::collect(feed, answer, |c| {
                    translate::openai::response::completion_body(c, &id, created, &req.model)
                })
                .await
            }
        },
    }
}
