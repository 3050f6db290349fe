//! amazonq-sim: a simulator of today's Kiro service — the runtime and management hosts of 2026
//! (kiro-2026-endpoints.md §9) — and of the legacy Amazon Q host (GenerateAssistantResponse in
//! the Amazon Q and Kiro dialects, ListAvailableModels, GetUsageLimits, ListAvailableProfiles),
//! AWS SSO OIDC and Kiro auth — amazon-q-protocol.md §8, including the Addendum's corrections.
//!
//! # Use
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use amazonq_sim::{AccountSpec, SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default()).await?;
//! let tokens = sim.add_account(&AccountSpec { id: "a1".into(), ..Default::default() });
//! // point OIDC, Kiro auth, runtime and management URLs at sim.base_url() and the legacy q
//! // endpoint at sim.legacy_q_url(); send `Bearer {tokens.access_token}`
//! sim.fault_next_chat(Some("a1"), "drop-rst:3")?;
//! # Ok(()) }
//! ```
//!
//! # Hosts
//! Two listeners share one state (accounts, tokens, queues, log, counters, clock):
//! - [`SimHandle::base_url`] plays `runtime.<r>.kiro.dev` + `management.<r>.kiro.dev` by default
//!   (`host_mode: runtime`), or the legacy host with `host_mode: legacy_q` / `--legacy-q` /
//!   `PUT /__sim/host-mode`;
//! - [`SimHandle::legacy_q_url`] always plays `q.<r>.amazonaws.com` (gateway fallback tests).
//!
//! Both also serve `/client/register`, `/device_authorization`, `/token` (OIDC), `/refreshToken`,
//! `/login`, `/oauth/token` (Kiro auth) and the control API under `/__sim/` (loopback only unless
//! configured). Each request-log entry names the role that served it (`host`: `runtime`,
//! `management`, `legacy_q`, `auth`).
//!
//! **Runtime** (chat): `POST /` with `x-amz-target`
//! `AmazonCodeWhispererStreamingService.GenerateAssistantResponse` or
//! `KiroRuntimeService.GenerateAssistantResponse` (`application/x-amz-json-1.0`), or
//! `POST /generateAssistantResponse` (`application/json`): same rules for the three, the stream of
//! the matching legacy dialect on success (`POST /`: `initial-response` first; REST: usage events
//! last), errors always `{"message","reason"}` + `x-amzn-errortype`. `GET /ListAvailableModels` and
//! `GET /getUsageLimits` answer 404 UnknownOperationException. The rules are listed in
//! [`runtime`]; R17 (no ARN for Builder ID), R19 (chars) and `size` (bytes) do not apply there,
//! R13 holds for every style, other R-rule errors carry reason REQUEST_BODY_INVALID, throttles
//! carry USER_REQUEST_RATE_EXCEEDED, and the monthly quota has the Kiro shape.
//! Profile ARNs: Builder ID sends the service ARN [`catalog::BUILDER_ID_ARN`]; social accounts the
//! one `/refreshToken` returns (`profile_arn`, default a shared one); IdC accounts one of their
//! `profiles` (default: the global `profiles`). The ARN's region must be `region` (default
//! us-east-1): an account whose profile is in eu-central-1 needs a simulator with
//! `region: eu-central-1`.
//!
//! **Management**: `POST /` with `AmazonCodeWhispererService.ListAvailableProfiles`,
//! `KiroControlPlaneBearerService.ListAvailableModels`, `AmazonCodeWhispererService.GetUsageLimits`
//! (and `GetProfile`); rules in [`management`]. ListAvailableModels answers the catalog of the
//! profile named by `profileArn` (a profile's `models` narrows [`catalog::default_models`]).
//!
//! **Legacy `q.*`**: `POST /` routed by the Q targets, `POST /generateAssistantResponse`,
//! `GET /ListAvailableModels`, `GET /getUsageLimits`, with every rule below.
//!
//! **Web search** (both listeners): `POST /mcp`, JSON-RPC 2.0 — `initialize`, `tools/list` (the
//! one tool `web_search`, input `{query}`), `tools/call` `web_search` → 3–5 deterministic results
//! derived from the query under `example.com` / `.org` / `.net` (never fetched), shaped like the
//! live answer (docs/upstream-mcp-web-search.md); -32601 for an unknown method, -32602 for an
//! unknown tool or an empty / over-long query; on the runtime host rule `mcp-profile` (no
//! `profileArn` in the body root or `x-amzn-kiro-profile-arn` → 400 "profileArn is required for
//! this request."). Logged with operation `mcp`, `mcp_method` and `search_query`. Details in
//! [`mcp`].
//!
//! # Binary and config file
//! `amazonq-sim --listen 127.0.0.1:PORT [--config FILE]` prints `amazonq-sim listening on <base>`
//! first, then a summary; SIGINT/SIGTERM shut it down gracefully (5 s grace for open streams).
//! The config file is YAML or JSON ([`SimConfig`]); `crates/amazonq-sim/sim.example.yaml` documents
//! every key (accounts, models, limits, rules, pacing, token lifetimes, rotation). The control API
//! is listed in [`control`].
//!
//! # Validation pipeline
//! auth → content type → JSON (R22) → [runtime: root members, profile ARN] → schema + R1–R21 →
//! model → [runtime: `model-fields`, `image-size`, `input-tokens`; legacy: `size`] → quota/rate.
//! Each stage is a
//! named switch (`PUT /__sim/rules {"R6": false}`); the check that rejected a request is named in
//! the `x-sim-rule` response header (`auth`, `content-type`, `R1`…`R22`, `schema`, `model`, `size`,
//! `quota`, `fault:<name>`, `fault-spec`, `directive`, `target`, and on the 2026 hosts
//! `root-members`, `agent-mode`, `profile-required`, `profile-format`, `profile-region`,
//! `profile-access`, `model-fields`, `image-size`, `input-tokens`, `unknown-operation`,
//! `mgmt-profile-arn`, `profiles-token`, `mcp-profile`, `mcp-query-length`). R4, R21 (Addendum:
//! not service rules), `agent-mode` (disputed) and R20 (a tool named `web_search`: contradicted,
//! kiro-cli sends its own) are off by default. Injected HTTP-level faults answer right after authentication.
//! The legacy rules follow the Addendum: `modelId` is optional (default model), R8 matches tool names
//! case-insensitively, R10 rejects names over 63 characters, R13 (empty history content) applies
//! to the Kiro endpoint only, R17 answers 403, R19 answers "Input is too long.".
//! Error bodies: Q dialect `{"__type":"com.amazon.aws.codewhisperer#<Type>","message":…}`
//! (`application/x-amz-json-1.0`), Kiro `{"message":…,"reason":…}`; monthly quota is Kiro 402 /
//! Q 429 ThrottlingException, reason `MONTHLY_REQUEST_COUNT`.
//!
//! # Directive grammar
//! Without a queued script, the chat answer is driven by directive lines in the **current user
//! message**. A directive is a line starting with `#` immediately followed by a known name;
//! other lines (including Markdown `# headings`) are ordinary text. No directive → echo mode:
//! `echo: model=<id> turns=<history+1> tools=<names or ->`.
//!
//! | line | effect |
//! |---|---|
//! | `#say <text>` | emit `<text>` (`\n` escapes become newlines) |
//! | `#text <N>` | emit N deterministic filler tokens (`alpha beta gamma …`) |
//! | `#split fixed <n>` \| `word` \| `char` \| `random <seed> <max>` | how following text is cut into events |
//! | `#thinking <text>` | `<thinking>\n<text>\n</thinking>\n\n` before the answer |
//! | `#thinking-tight` / `#thinking-split` / `#thinking-quoted <text>` | adversarial thinking shapes (no newlines; tags cut across events; quoted close tag inside) |
//! | `#reasoning <text>` | a `reasoningContentEvent` |
//! | `#tool [id=X] [fragments=K] [first-input] [stop-last] <name> <json…>` | a tool call whose raw JSON text is split into K `input` fragments; `first-input`: the start event carries the first fragment; `stop-last`: the stop event carries the last |
//! | `#context <pct>` | `contextUsageEvent` |
//! | `#metering <usage> [unit]` | `meteringEvent` |
//! | `#metadata <in> <out>` | `metadataEvent.tokenUsage` |
//! | `#followup <text>` / `#code-ref <url>` / `#links <url> <title>` / `#invalid-state <msg>` | the matching events |
//! | `#message-metadata` | `messageMetadataEvent` |
//! | `#unknown <eventType> <json>` | an event of an unknown type (drift tests: the gateway skips it and counts `unknown_event`) |
//! | `#sleep <ms>` | pause between frames |
//! | `#pace first=<ms> interval=<ms> chunk=<chars>` | pacing: time to first frame, interval between frames, text per frame |
//! | `#bench frames=<N> interval=<ms> bytes=<n>` | benchmark mode: N identical text frames at a fixed interval |
//! | `#fault <spec>[,<spec>…]` | faults (below) |
//! | `#initial on\|off` | force `initial-response` (default: on for dialect Q, off for Kiro) |
//! | `#echo` | add the echo summary to the other steps |
//! | `#stop-reason <VALUE>` | `metadataEvent {"stopReason": VALUE}` (END_TURN, MAX_TOKENS, MODEL_CONTEXT_WINDOW_EXCEEDED, CONTENT_FILTERED, GUARDRAIL_INTERVENED, TOOL_USE, MALFORMED_…; any `[A-Z0-9_]+`; drift tests: `#stop-reason SOMETHING_NEW`) |
//! | `#model-unavailable` | here the stream ends with an `exception` frame `ThrottlingException` `{"message",…,"reason":"MODEL_TEMPORARILY_UNAVAILABLE"}` (no usage events after it) |
//! | `#exception [<Type> [<REASON>]]` | here the stream ends with an `exception` frame `<Type>` (default `ValidationException`) `{"message","reason":<REASON>}` (default `SOMETHING_NEW`, a reason no client knows: drift tests) |
//! | `#malformed-field` | a known event with a field of the wrong type: `meteringEvent {"usage":"not a number"}` (drift tests) |
//! | `#search <query>` | the model decides to search: with a tool named `web_search` in the request, a `toolUseEvent` `web_search` `{"query":"<query>"}` (the turn ends in tool use); without one, a text answer saying no search tool was offered |
//!
//! Web search without directives ([`mcp::decide`]): a current message with a line
//! `Perform a web search for the query: <query>` (Claude Code's WebSearch wording) and a
//! `web_search` tool decides the same search; a current message carrying the `toolResult` of a
//! `web_search` tool use is answered `According to <title> (<url>), here is what I found about
//! "<query>".` with the first result's title and URL (no results / status `error`: a sentence
//! saying so).
//!
//! Native effort (runtime host): a valid request whose `additionalModelRequestFields` has
//! `thinking.type = adaptive` gets a `reasoningContentEvent` `effort=<output_config.effort>` (or
//! `effort=default` without one) as the first step of its answer.
//!
//! Scripts can also be queued per account (`POST /__sim/scripts` with `{"account","directives"}` or a
//! JSON [`Script`]); a queued script wins over directives.
//!
//! # Faults (§8.5)
//! Queued with `POST /__sim/faults {"faults":["drop-rst:3"],"account"?,"operation"?,"count"?}`, sent
//! opt-in as `x-sim-fault: a,b`, or as `#fault` directives. Names: `http:<row>` or just `<row>` for
//! the §5.1 rows (`improperly-formed`, `input-too-long`, `invalid-model`, `bad-json`,
//! `monthly-quota`, `bearer-invalid`, `suspended`, `feature-not-authorized`, `throttled`,
//! `rate-exceeded` (429 USER_REQUEST_RATE_EXCEEDED), `capacity`, `daily-quota`, `internal`,
//! `high-load`, `unavailable`, `unauthorized`, `locked`, `unknown-reason` (400 ValidationException with reason
//! `SOMETHING_NEW`, for drift tests));
//! for `POST /mcp` `tools/call` (queue with `"operation":"mcp"`): `mcp-error` (JSON-RPC -32603),
//! `mcp-throttled` (JSON-RPC -32000 "Rate exceeded …"), `mcp-not-entitled` (`isError: true`
//! "Web search is not available for this account."), `mcp-malformed` (text content that is not
//! JSON), `mcp-no-results`; the HTTP rows above apply to `/mcp` too;
//! `exception:<k>`, `content-length-exceeded:<k>`, `model-unavailable:<k>`, `error-frame:<k>`
//! (after k frames);
//! `drop:<k>` / `drop-rst:<k>` (FIN / RST after k frames), `drop-bytes:<b>` / `drop-bytes-rst:<b>`
//! (mid-frame); `truncated-frame`; `corrupt-prelude-crc:<n>`, `corrupt-message-crc:<n>`,
//! `corrupt-payload:<n>`; `bogus-length:small|huge|headers`; `exotic-headers`; `fragment:<size>`,
//! `fragment-random:<seed>:<max>`, `coalesce`; `delay-first:<ms>`, `drip:<ms>`,
//! `stall:<after>:<ms>`; `empty-200`; `duplicate-text`, `duplicate-tool`; `truncated-tool-json`,
//! `non-object-tool-input:<json>`; `unknown-events`; `huge-frame:<bytes>`; and for OIDC / Kiro
//! auth: `auth-500`, `auth-slow-down`, `auth-delay:<ms>`, `auth-reset`, `auth-malformed`.
//! Throttle bursts, expiring tokens, revoked refresh tokens and mid-pool suspension are account
//! state (`throttle_first`, TTLs + clock, `revoke-refresh`, `suspend_after`).

pub mod account_api;
pub mod accounts;
pub mod answer;
pub mod authfaults;
pub mod catalog;
pub mod chat;
pub mod clock;
pub mod config;
pub mod control;
pub mod errors;
pub mod faults;
pub mod frames;
mod gate;
mod handle;
pub mod host;
pub mod ids;
pub mod kiro_auth;
pub mod log;
pub mod management;
pub mod mcp;
pub mod oidc;
pub mod plan;
pub mod render;
mod routes;
pub mod runtime;
pub mod script;
pub mod server;
pub mod state;
pub mod terms;
pub mod validate;

pub use accounts::{Account, AccountTokens};
pub use config::{AccountSpec, AuthKind, Rotation, SimConfig};
pub use control::{AccountPatch, ControlError, Stats};
pub use faults::{Fault, QueuedFault};
pub use host::{HostMode, HostRole};
pub use log::{LogEntry, LogFilter};
pub use render::Dialect;
pub use script::{Script, Step};
pub use server::{SimHandle, Simulator, StartError};
pub use terms::{Entitlement, Limits, TokenPolicy};
