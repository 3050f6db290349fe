//! Request validation for GenerateAssistantResponse (amazon-q-protocol.md §8.4 stage 3, rules
//! R1–R22 of §4.4 as corrected by the Addendum).
//!
//! Works on the raw `serde_json::Value`: a simulator must judge the wire shape the client actually
//! sent, not what a typed model would accept. Every rule is a named check that can be switched off;
//! [`check`] reports *all* violations so fixtures can prove a body trips exactly one rule, while the
//! chat handler answers with the first one and names it in `x-sim-rule`. Pure code.

mod content;
mod rules;
mod schema;
mod view;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::AuthKind;
use crate::render::Dialect;

/// Static description of one switchable check.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RuleInfo {
    pub id: &'static str,
    pub default_on: bool,
    pub summary: &'static str,
}

/// Every switchable check, in pipeline order (auth → JSON → schema + rules → model → size → quota).
pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "auth",
        default_on: true,
        summary: "Bearer token must be known, unexpired, unrevoked; account not suspended",
    },
    RuleInfo {
        id: "content-type",
        default_on: true,
        summary: "dialect Q requires application/x-amz-json-1.0, dialect K application/json",
    },
    RuleInfo {
        id: "R22",
        default_on: true,
        summary: "body must be valid JSON",
    },
    RuleInfo {
        id: "schema",
        default_on: true,
        summary: "§4.2 shapes: required members and JSON types",
    },
    RuleInfo {
        id: "R1",
        default_on: true,
        summary: "currentMessage must be a userInputMessage",
    },
    RuleInfo {
        id: "R2",
        default_on: true,
        summary: "history must start with a userInputMessage",
    },
    RuleInfo {
        id: "R3",
        default_on: true,
        summary: "history alternates user/assistant",
    },
    RuleInfo {
        id: "R4",
        default_on: false,
        summary: "history ends with an assistant message (NOT a service rule per the Addendum; off)",
    },
    RuleInfo {
        id: "R5",
        default_on: true,
        summary: "toolResults must answer toolUses of the immediately preceding assistant message",
    },
    RuleInfo {
        id: "R6",
        default_on: true,
        summary: "every toolUse must be answered in the next user message",
    },
    RuleInfo {
        id: "R7",
        default_on: true,
        summary: "first history message carries no toolResults",
    },
    RuleInfo {
        id: "R8",
        default_on: true,
        summary: "tool traffic requires currentMessage tools declaring every used name (case-insensitive)",
    },
    RuleInfo {
        id: "R9",
        default_on: true,
        summary: "history user messages carry no tools",
    },
    RuleInfo {
        id: "R10",
        default_on: true,
        summary: "tool names are 1..=63 characters",
    },
    RuleInfo {
        id: "R11",
        default_on: true,
        summary: "tool description non-empty and ≤ 10000 chars (inferred)",
    },
    RuleInfo {
        id: "R12",
        default_on: true,
        summary: "inputSchema.json: object; type string, properties object, required string array — never null",
    },
    RuleInfo {
        id: "R13",
        default_on: true,
        summary: "dialect K: history entries must not have empty content",
    },
    RuleInfo {
        id: "R14",
        default_on: true,
        summary: "no duplicate toolUseId within one toolResults array",
    },
    RuleInfo {
        id: "R15",
        default_on: true,
        summary: "tool input objects have no empty-string key",
    },
    RuleInfo {
        id: "R16",
        default_on: true,
        summary: "chatTriggerType must be MANUAL",
    },
    RuleInfo {
        id: "R17",
        default_on: true,
        summary: "no profileArn with a Builder ID token (403)",
    },
    RuleInfo {
        id: "R18",
        default_on: true,
        summary: "images: png/jpeg/gif/webp, ≤ 10 per request, ≤ 10 MiB each, inline base64",
    },
    RuleInfo {
        id: "R19",
        default_on: true,
        summary: "user content ≤ 600000 chars, tool result ≤ 800000 chars, history ≤ 10000 entries",
    },
    RuleInfo {
        id: "R20",
        default_on: false,
        summary: "no web_search / websearch tools (inferred, then contradicted: kiro-cli sends its own web_search tool and peers get toolUse web_search back; off)",
    },
    RuleInfo {
        id: "R21",
        default_on: false,
        summary: "toolResults in the order of the preceding toolUses (advisory; off)",
    },
    RuleInfo {
        id: "model",
        default_on: true,
        summary: "modelId must be available to the account (missing → default model)",
    },
    RuleInfo {
        id: "size",
        default_on: true,
        summary: "estimated prompt tokens within the model's maxInputTokens",
    },
    RuleInfo {
        id: "quota",
        default_on: true,
        summary: "throttle bursts, RPM, monthly quota",
    },
    // The 2026 hosts (kiro-2026-endpoints.md §9; crate::runtime, crate::management).
    RuleInfo {
        id: "root-members",
        default_on: true,
        summary: "runtime: root members only conversationState, profileArn, additionalModelRequestFields",
    },
    RuleInfo {
        id: "agent-mode",
        default_on: false,
        summary: "runtime: a root agentMode is REQUEST_BODY_INVALID too (disputed; off)",
    },
    RuleInfo {
        id: "profile-required",
        default_on: true,
        summary: "runtime: every chat carries a root profileArn (400)",
    },
    RuleInfo {
        id: "profile-format",
        default_on: true,
        summary: "runtime: profileArn matches the ARN pattern, not the placeholder (400 REQUEST_BODY_INVALID)",
    },
    RuleInfo {
        id: "profile-region",
        default_on: true,
        summary: "runtime + management: profileArn region is the listener's region (403 bearer invalid)",
    },
    RuleInfo {
        id: "profile-access",
        default_on: true,
        summary: "runtime + management: profileArn is one the account may use (403 not authorized)",
    },
    RuleInfo {
        id: "model-fields",
        default_on: true,
        summary: "runtime: additionalModelRequestFields allowed by the model's schema",
    },
    RuleInfo {
        id: "image-size",
        default_on: true,
        summary: "runtime: image base64 ≤ 5242880 bytes",
    },
    RuleInfo {
        id: "input-tokens",
        default_on: true,
        summary: "runtime: estimated input tokens within the model's maxInputTokens",
    },
    RuleInfo {
        id: "unknown-operation",
        default_on: true,
        summary: "runtime: GET /ListAvailableModels and GET /getUsageLimits answer 404 UnknownOperationException",
    },
    RuleInfo {
        id: "mgmt-profile-arn",
        default_on: true,
        summary: "management: models and usage need the same profileArn in query and body",
    },
    RuleInfo {
        id: "mcp-profile",
        default_on: true,
        summary: "runtime: POST /mcp carries a profileArn (body root or x-amzn-kiro-profile-arn) (400), then profile-region / profile-access",
    },
    RuleInfo {
        id: "mcp-query-length",
        default_on: true,
        summary: "POST /mcp web_search: query at most 200 characters, the tool schema's maxLength (JSON-RPC -32602; inferred)",
    },
    RuleInfo {
        id: "profiles-token",
        default_on: true,
        summary: "management: ListAvailableProfiles refuses Builder ID and ksk_ tokens (403)",
    },
];

/// Which checks are on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSet(pub BTreeMap<String, bool>);

impl RuleSet {
    pub fn new(overrides: &BTreeMap<String, bool>) -> Self {
        let mut m: BTreeMap<String, bool> = RULES
            .iter()
            .map(|r| (r.id.to_owned(), r.default_on))
            .collect();
        for (k, v) in overrides {
            if m.contains_key(k) {
                m.insert(k.clone(), *v);
            }
        }
        Self(m)
    }

    pub fn on(&self, id: &str) -> bool {
        self.0.get(id).copied().unwrap_or(false)
    }

    /// Sets a switch; false when the name is unknown.
    pub fn set(&mut self, id: &str, on: bool) -> bool {
        match self.0.get_mut(id) {
            Some(v) => {
                *v = on;
                true
            }
            None => false,
        }
    }
}

/// A failed check and the response it produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub rule: &'static str,
    pub status: u16,
    pub error_type: &'static str,
    pub message: String,
    pub reason: Option<&'static str>,
    /// Human detail for the request log (not sent in the body).
    pub detail: String,
}

impl Violation {
    pub(crate) fn improper(rule: &'static str, detail: impl Into<String>) -> Self {
        Self {
            rule,
            status: 400,
            error_type: "ValidationException",
            message: "Improperly formed request.".to_owned(),
            reason: None,
            detail: detail.into(),
        }
    }
}

/// Context the rules need besides the body.
#[derive(Debug, Clone, Copy)]
pub struct CheckCtx {
    pub dialect: Dialect,
    pub auth_kind: AuthKind,
}

/// Runs the schema check and every enabled rule; returns all violations (empty = valid).
/// A schema failure stops there: the rules cannot judge a body of the wrong shape.
pub fn check(body: &Value, rules: &RuleSet, ctx: CheckCtx) -> Vec<Violation> {
    if rules.on("schema")
        && let Err(detail) = schema::check(body)
    {
        return vec![Violation::improper("schema", detail)];
    }
    rules::check(body, rules, ctx)
}

/// Parses the body (rule R22).
pub fn parse_json(body: &[u8]) -> Result<Value, Violation> {
    serde_json::from_slice(body).map_err(|e| Violation {
        rule: "R22",
        status: 400,
        error_type: "ValidationException",
        message: "The request body is not valid JSON.".to_owned(),
        reason: None,
        detail: e.to_string(),
    })
}
