//! The [`Driver`]: one web-search answer's turns, searches and follow-up calls (module docs of
//! `web_search`).

use std::collections::VecDeque;
use std::sync::Arc;

use amazonq::error::ErrorClass;
use serde_json::Value;
use translate::ir::{
    ChatRequest, FinishReason, Message, OutEvent, Part, Role, StreamError, StreamErrorKind,
    ToolChoice, ToolResultPart, Usage,
};
use translate::models::ResolvedModel;
use translate::normalize::{UpstreamOptions, normalize};
use translate::stream::{StreamConfig, StreamMachine};
use translate::web_search::{
    SearchError, SearchEvent, SearchHit, Step, TOOL_NAME, WebSearchOptions, prompt,
};

use super::super::record::Record;
use super::super::respond::apply_into;
use super::super::upstream::Feed;
use crate::pool::{PoolError, SearchFailed};

/// A `web_search` call of the current turn.
#[derive(Debug)]
struct Call {
    /// The upstream's tool-use id (used in the follow-up's history).
    upstream_id: String,
    /// The id the client sees (`srvtoolu_…`; the Responses encoder makes its own item ids).
    client_id: String,
    input: String,
    query: Result<String, SearchError>,
}

/// A call and its tool result text.
#[derive(Debug)]
struct Answered {
    upstream_id: String,
    input: Value,
    text: String,
    is_error: bool,
}

/// What the current turn said, for the follow-up's history.
#[derive(Debug, Default)]
struct Turn {
    text: String,
    /// The open `web_search` call: (machine index, upstream id, arguments so far).
    open: Option<(usize, String, String)>,
    calls: Vec<Call>,
    /// Client tool calls (id, name, arguments) in order.
    client: Vec<(usize, String, String, String)>,
    finish: Option<(FinishReason, Option<String>, Usage)>,
}

#[derive(Debug)]
enum Phase {
    Streaming,
    /// Running the turn's calls; `announced` once the front call's `Call` event went out.
    Searching {
        queue: VecDeque<Call>,
        announced: bool,
    },
    Done,
}

/// One web-search answer, turn by turn. [`Driver::step`] yields the next [`Step`]s to encode.
#[derive(Debug)]
pub struct Driver {
    req: ChatRequest,
    model: ResolvedModel,
    upstream: UpstreamOptions,
    options: WebSearchOptions,
    machine: StreamMachine,
    phase: Phase,
    turn: Turn,
    /// Searches run so far (what `max_uses` counts).
    used: u32,
    /// Turns opened so far.
    turns: u32,
    /// The turn's answered calls, in order, for the follow-up.
    results: Vec<Answered>,
    max_uses_hit: bool,
    usage: Usage,
    /// Search outcomes for the request log (`true` = results).
    pub searches: Vec<bool>,
}

impl Driver {
    /// A driver for `req` (as normalized for `model` with `upstream`), whose first turn is read
    /// by `machine`.
    pub fn new(
        req: &ChatRequest,
        model: ResolvedModel,
        upstream: UpstreamOptions,
        options: WebSearchOptions,
        machine: StreamMachine,
    ) -> Self {
        Self {
            req: req.clone(),
            model,
            upstream,
            options,
            machine,
            phase: Phase::Streaming,
            turn: Turn::default(),
            used: 0,
            turns: 1,
            results: Vec::new(),
            max_uses_hit: false,
            usage: Usage::default(),
            searches: Vec::new(),
        }
    }

    /// Whether the answer is over.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// Notes the search outcomes in the request-log row.
    pub fn note(&self, record: &mut Record) {
        for ok in &self.searches {
            record.note(if *ok {
                "web_search"
            } else {
                "web_search_failed"
            });
        }
    }

    /// The next steps; `None` once done. While streaming, one upstream event per call (cancel-safe
    /// there: the event is consumed only when the feed returns it); between turns, one search
    /// step or the follow-up (not cancel-safe: poll it to the end).
    pub async fn step(&mut self, feed: &mut Feed) -> Option<Vec<Step>> {
        match &mut self.phase {
            Phase::Done => None,
            Phase::Streaming => {
                let item = feed.recv().await;
                let mut outs = Vec::new();
                apply_into(&mut self.machine, item, &mut outs);
                let mut steps: Vec<Step> = outs
                    .into_iter()
                    .filter_map(|ev| self.filter(ev))
                    .map(Step::Out)
                    .collect();
                if self.machine.is_finished() {
                    steps.extend(self.end_turn());
                }
                Some(steps)
            }
            Phase::Searching { queue, announced } => {
                let Some(call) = queue.front() else {
                    return Some(self.continue_or_finish(feed).await);
                };
                if !*announced {
                    *announced = true;
                    let ev = SearchEvent::Call {
                        id: call.client_id.clone(),
                        query: call.query.clone().unwrap_or_default(),
                    };
                    return Some(vec![Step::Search(ev)]);
                }
                let Some(call) = queue.pop_front() else {
                    return Some(Vec::new());
                };
                *announced = false;
                let outcome = self.search(feed, &call).await;
                let (text, is_error) =
                    prompt::tool_result_text(call.query.as_deref().unwrap_or(""), &outcome);
                self.results.push(Answered {
                    input: input_of(&call),
                    upstream_id: call.upstream_id,
                    text,
                    is_error,
                });
                Some(vec![Step::Search(SearchEvent::Result {
                    id: call.client_id,
                    outcome,
                })])
            }
        }
    }

    /// What of the machine's output goes to the client now.
    fn filter(&mut self, ev: OutEvent) -> Option<OutEvent> {
        match ev {
            OutEvent::Text(ref t) => {
                self.turn.text.push_str(t);
                Some(ev)
            }
            OutEvent::ToolStart {
                index,
                ref id,
                ref name,
            } if name == TOOL_NAME => {
                self.turn.open = Some((index, id.clone(), String::new()));
                None
            }
            OutEvent::ToolStart {
                index,
                ref id,
                ref name,
            } => {
                let call = (index, id.clone(), name.clone(), String::new());
                self.turn.client.push(call);
                Some(ev)
            }
            OutEvent::ToolArgs { index, ref json } => match &mut self.turn.open {
                Some((i, _, args)) if *i == index => {
                    args.push_str(json);
                    None
                }
                _ => {
                    if let Some(c) = self.turn.client.iter_mut().find(|c| c.0 == index) {
                        c.3.push_str(json);
                    }
                    Some(ev)
                }
            },
            OutEvent::ToolEnd { index } => match self.turn.open.take() {
                Some((i, upstream_id, input)) if i == index => {
                    self.turn.calls.push(Call {
                        client_id: format!("srvtoolu_{}", uuid::Uuid::new_v4().simple()),
                        query: prompt::query_of(&input),
                        upstream_id,
                        input,
                    });
                    None
                }
                other => {
                    self.turn.open = other;
                    Some(ev)
                }
            },
            OutEvent::Finish {
                reason,
                stop_sequence,
                usage,
            } => {
                self.turn.finish = Some((reason, stop_sequence, usage));
                None
            }
            OutEvent::Thinking(_) | OutEvent::Error(_) => Some(ev),
        }
    }

    /// The turn ended: finish the answer, or start on its search calls.
    fn end_turn(&mut self) -> Vec<Step> {
        self.add_usage();
        let Some((reason, stop_sequence, _)) = self.turn.finish.clone() else {
            // The machine ended with an error, which already went out.
            self.phase = Phase::Done;
            return Vec::new();
        };
        if self.turn.calls.is_empty() {
            return self.finish(reason, stop_sequence);
        }
        let queue: VecDeque<Call> = self.turn.calls.drain(..).collect();
        let first = queue.front().map(|c| SearchEvent::Call {
            id: c.client_id.clone(),
            query: c.query.clone().unwrap_or_default(),
        });
        self.phase = Phase::Searching {
            queue,
            announced: first.is_some(),
        };
        first.map(Step::Search).into_iter().collect()
    }

    fn add_usage(&mut self) {
        if let Some((_, _, u)) = &self.turn.finish {
            self.usage.input_tokens = self.usage.input_tokens.saturating_add(u.input_tokens);
            self.usage.output_tokens = self.usage.output_tokens.saturating_add(u.output_tokens);
            self.usage.cache_read_input_tokens = self
                .usage
                .cache_read_input_tokens
                .saturating_add(u.cache_read_input_tokens);
            self.usage.cache_creation_input_tokens = self
                .usage
                .cache_creation_input_tokens
                .saturating_add(u.cache_creation_input_tokens);
        }
    }

    fn finish(&mut self, reason: FinishReason, stop_sequence: Option<String>) -> Vec<Step> {
        self.phase = Phase::Done;
        vec![Step::Out(OutEvent::Finish {
            reason,
            stop_sequence,
            usage: self.usage,
        })]
    }

    /// One call's search, within `max_uses`, filtered by the domain lists.
    async fn search(
        &mut self,
        feed: &mut Feed,
        call: &Call,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let query = call.query.clone()?;
        if self.used >= self.options.max_uses {
            self.max_uses_hit = true;
            return Err(SearchError::MaxUsesExceeded);
        }
        self.used += 1;
        let Some(stream) = feed.pool_stream() else {
            self.searches.push(false);
            return Err(SearchError::Unavailable);
        };
        let result = stream.web_search(&query).await;
        self.searches.push(result.is_ok());
        match result {
            Ok(found) => Ok(found
                .hits
                .into_iter()
                .filter(|h| self.options.allows(&h.url))
                .map(|h| SearchHit {
                    title: h.title,
                    url: h.url,
                    snippet: h.snippet,
                    published_date: h.published_date,
                })
                .collect()),
            Err(SearchFailed { class, message }) => {
                tracing::debug!(%message, "web search failed");
                Err(match class {
                    ErrorClass::Throttled { .. } => SearchError::TooManyRequests,
                    _ => SearchError::Unavailable,
                })
            }
        }
    }

    /// After the turn's searches: end with the client's tool calls (a mixed turn), end at the
    /// turn bound, or open the next turn with the results.
    async fn continue_or_finish(&mut self, feed: &mut Feed) -> Vec<Step> {
        let (reason, stop_sequence) = self
            .turn
            .finish
            .clone()
            .map_or((FinishReason::EndTurn, None), |(r, s, _)| (r, s));
        if !self.turn.client.is_empty() {
            return self.finish(reason, stop_sequence);
        }
        if self.turns >= self.options.max_uses.saturating_add(2) {
            return self.finish(FinishReason::EndTurn, None);
        }
        self.extend_history();
        match self.open_next(feed).await {
            Ok(()) => {
                self.turns += 1;
                self.turn = Turn::default();
                self.phase = Phase::Streaming;
                Vec::new()
            }
            Err(e) => {
                self.phase = Phase::Done;
                vec![Step::Out(OutEvent::Error(e))]
            }
        }
    }

    /// The model's turn and the search results, appended to the conversation.
    fn extend_history(&mut self) {
        let mut parts = Vec::new();
        if !self.turn.text.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut self.turn.text)));
        }
        let results = std::mem::take(&mut self.results);
        for a in &results {
            parts.push(Part::ToolUse {
                id: a.upstream_id.clone(),
                name: TOOL_NAME.to_owned(),
                input: a.input.clone(),
            });
        }
        self.req.messages.push(Message::new(Role::Assistant, parts));
        let results = results
            .into_iter()
            .map(|a| Part::ToolResult {
                tool_use_id: a.upstream_id,
                content: vec![ToolResultPart::Text(a.text)],
                is_error: a.is_error,
            })
            .collect();
        self.req.messages.push(Message::new(Role::User, results));
        // A forced tool choice holds for the first turn only; after `max_uses` the model must answer.
        self.req.tool_choice = if self.max_uses_hit {
            ToolChoice::None
        } else {
            ToolChoice::Auto
        };
    }

    /// Normalizes the grown conversation and opens it on the same account.
    async fn open_next(&mut self, feed: &mut Feed) -> Result<(), StreamError> {
        // The one taxonomy (issue 19): a follow-up that fails carries the upstream's class; a
        // conversation we cannot continue is ours to explain, never the account's fault.
        let fail = |class: ErrorClass, message: String| StreamError {
            kind: StreamErrorKind::Upstream(class),
            message,
        };
        let norm = normalize(&self.req, &self.model, &self.upstream).map_err(|e| {
            fail(
                ErrorClass::BadRequest {
                    message: e.to_string(),
                },
                format!("continuing after the web search: {e}"),
            )
        })?;
        let req = Arc::new(self.req.clone());
        let input_tokens = super::super::count_tokens(&req).await;
        let cfg = StreamConfig::for_request(&self.req, &norm, input_tokens);
        let Some(stream) = feed.pool_stream() else {
            return Err(StreamError {
                kind: StreamErrorKind::Interrupted,
                message: "the upstream stream is gone".to_owned(),
            });
        };
        stream.follow_up(norm.request).await.map_err(|e| {
            let class = match &e {
                PoolError::Upstream { class, .. } => class.clone(),
                _ => ErrorClass::Transient,
            };
            fail(class, format!("continuing after the web search: {e}"))
        })?;
        self.machine = StreamMachine::new(cfg);
        Ok(())
    }
}

/// A call's arguments as the object the history carries.
fn input_of(c: &Call) -> Value {
    serde_json::from_str::<Value>(&c.input)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::Object(serde_json::Map::new()))
}
