//! The numbered rules R1–R21 of amazon-q-protocol.md §4.4 (as corrected by the Addendum).
//! Each check is independent and defensive (it never assumes the schema check ran), so a body
//! that breaks one rule reports exactly that rule.

use std::collections::HashSet;

use serde_json::Value;

use super::content::{image_problem, schema_hygiene};
use super::view::{Msg, ids, s};
use super::{CheckCtx, RuleSet, Violation};
use crate::config::AuthKind;
use crate::render::Dialect;

const MAX_TOOL_NAME: usize = 63;
const MAX_DESCRIPTION: usize = 10_000;
const MAX_USER_CHARS: usize = 600_000;
const MAX_TOOL_RESULT_CHARS: usize = 800_000;
const MAX_HISTORY: usize = 10_000;
const MAX_IMAGES: usize = 10;

pub(super) fn check(body: &Value, rules: &RuleSet, ctx: CheckCtx) -> Vec<Violation> {
    let cs = body.get("conversationState").unwrap_or(&Value::Null);
    let history: Vec<Msg<'_>> = cs
        .get("history")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Msg::of)
        .collect();
    let current = cs.get("currentMessage").and_then(Msg::of);
    let all: Vec<&Msg<'_>> = history.iter().chain(current.iter()).collect();
    let specs: Vec<&Value> = current
        .as_ref()
        .map(|c| c.tool_specs().collect())
        .unwrap_or_default();
    let c = Conversation {
        cs,
        history: &history,
        current: current.as_ref(),
        all: &all,
        specs: &specs,
    };
    let mut f = Found {
        rules,
        out: Vec::new(),
    };
    // In rule order: the first violation is the one the answer names.
    roles(&c, &mut f);
    tool_pairing(&c, &mut f);
    tool_declarations(&c, &mut f);
    contents(&c, ctx, &mut f);
    builder_id_profile(body, ctx, &mut f);
    images(&c, &mut f);
    sizes(&c, &mut f);
    server_side_tools(&c, &mut f);
    result_order(&c, &mut f);
    f.out
}

/// The body, flattened once for every rule.
struct Conversation<'a, 'b> {
    cs: &'a Value,
    history: &'b [Msg<'a>],
    current: Option<&'b Msg<'a>>,
    /// History, then the current message.
    all: &'b [&'b Msg<'a>],
    /// The current message's tool specifications.
    specs: &'b [&'a Value],
}

/// The violations of the rules switched on, in rule order.
struct Found<'r> {
    rules: &'r RuleSet,
    out: Vec<Violation>,
}

impl Found<'_> {
    /// A rule answered with the generic 400 "Improperly formed request.".
    fn improper(&mut self, rule: &'static str, detail: String) {
        self.push(Violation::improper(rule, detail));
    }

    fn push(&mut self, v: Violation) {
        if self.rules.on(v.rule) {
            self.out.push(v);
        }
    }
}

/// R1–R4: who speaks where.
fn roles(c: &Conversation<'_, '_>, f: &mut Found<'_>) {
    // R1
    if c.current.is_some_and(|c| !c.user) {
        f.improper("R1", "currentMessage is an assistantResponseMessage".into());
    }
    // R2
    if c.history.first().is_some_and(|m| !m.user) {
        f.improper("R2", "history[0] is an assistantResponseMessage".into());
    }
    // R3
    if let Some(i) = c.history.windows(2).position(|w| w[0].user == w[1].user) {
        f.improper(
            "R3",
            format!("history[{i}] and history[{}] have the same role", i + 1),
        );
    }
    // R4 (off by default)
    if c.history.last().is_some_and(|m| m.user) {
        f.improper("R4", "history ends with a userInputMessage".into());
    }
}

/// R5–R7: tool results answer the tool uses just before them.
fn tool_pairing(c: &Conversation<'_, '_>, f: &mut Found<'_>) {
    // R5: results must answer the immediately preceding assistant's toolUses (index 0 is R7's).
    for i in 1..c.all.len() {
        let results = ids(c.all[i].tool_results());
        if results.is_empty() {
            continue;
        }
        let uses = ids(c.all[i - 1].tool_uses());
        if let Some(orphan) = results.iter().find(|r| !uses.contains(r)) {
            f.improper(
                "R5",
                format!(
                    "message {i}: toolResult {orphan} has no matching toolUse in the preceding assistant message"
                ),
            );
            break;
        }
    }
    // R6: every toolUse of a history assistant must be answered by the next message.
    for (i, m) in c.history.iter().enumerate() {
        let uses = ids(m.tool_uses());
        if uses.is_empty() {
            continue;
        }
        let answered = c
            .all
            .get(i + 1)
            .map(|n| ids(n.tool_results()))
            .unwrap_or_default();
        if let Some(missing) = uses.iter().find(|u| !answered.contains(u)) {
            f.improper(
                "R6",
                format!("history[{i}]: toolUse {missing} is not answered in the next user message"),
            );
            break;
        }
    }
    // R7
    if c.history
        .first()
        .is_some_and(|m| !m.tool_results().is_empty())
    {
        f.improper("R7", "history[0] carries toolResults".into());
    }
}

/// R8–R12: the tools in play are declared, in the current message only, and well formed.
fn tool_declarations(c: &Conversation<'_, '_>, f: &mut Found<'_>) {
    // R8
    let any_tool_traffic = c
        .all
        .iter()
        .any(|m| !m.tool_uses().is_empty() || !m.tool_results().is_empty());
    if any_tool_traffic {
        let declared: HashSet<String> = c
            .current
            .map(|c| {
                c.tool_specs()
                    .filter_map(|t| s(t, "name"))
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        if declared.is_empty() {
            f.improper(
                "R8",
                "tool traffic present but currentMessage declares no tools".into(),
            );
        } else if let Some(name) = c
            .history
            .iter()
            .flat_map(|m| m.tool_uses().iter().filter_map(|u| s(u, "name")))
            .find(|n| !declared.contains(&n.to_lowercase()))
        {
            f.improper("R8", format!("tool {name} used in history is not declared"));
        }
    }
    // R9
    if let Some(i) = c
        .history
        .iter()
        .position(|m| m.user && !m.ctx("tools").is_empty())
    {
        f.improper("R9", format!("history[{i}] carries tools"));
    }
    // R10
    if let Some(name) = c
        .specs
        .iter()
        .filter_map(|t| s(t, "name"))
        .find(|n| n.is_empty() || n.chars().count() > MAX_TOOL_NAME)
    {
        f.improper(
            "R10",
            format!(
                "tool name of {} chars (max {MAX_TOOL_NAME})",
                name.chars().count()
            ),
        );
    }
    // R11
    if let Some(t) = c.specs.iter().find(|t| {
        s(t, "description")
            .is_none_or(|d| d.trim().is_empty() || d.chars().count() > MAX_DESCRIPTION)
    }) {
        f.improper(
            "R11",
            format!(
                "tool {} has an empty or over-long description",
                s(t, "name").unwrap_or("?")
            ),
        );
    }
    // R12
    for t in c.specs {
        if let Some(Err(e)) = t
            .get("inputSchema")
            .and_then(|i| i.get("json"))
            .map(|j| schema_hygiene(j, "json"))
        {
            f.improper("R12", format!("tool {}: {e}", s(t, "name").unwrap_or("?")));
            break;
        }
    }
}

/// R13–R16: content, result ids, tool inputs and the trigger type.
fn contents(c: &Conversation<'_, '_>, ctx: CheckCtx, f: &mut Found<'_>) {
    // R13 (Kiro only; the Q dialect accepted "" in q2api's traffic)
    if ctx.dialect == Dialect::Kiro
        && let Some(i) = c.history.iter().position(|m| m.content() == Some(""))
    {
        f.improper(
            "R13",
            format!("history[{i}] has empty content on the Kiro endpoint"),
        );
    }
    // R14
    for (i, m) in c.all.iter().enumerate() {
        let r = ids(m.tool_results());
        let set: HashSet<&str> = r.iter().copied().collect();
        if set.len() != r.len() {
            f.improper(
                "R14",
                format!("message {i} repeats a toolUseId in toolResults"),
            );
            break;
        }
    }
    // R15
    if let Some(u) = c.all.iter().flat_map(|m| m.tool_uses()).find(|u| {
        u.get("input")
            .and_then(Value::as_object)
            .is_some_and(|o| o.contains_key(""))
    }) {
        f.improper(
            "R15",
            format!(
                "toolUse {} input has an empty-string key",
                s(u, "toolUseId").unwrap_or("?")
            ),
        );
    }
    // R16
    if let Some(t) = s(c.cs, "chatTriggerType")
        && t != "MANUAL"
    {
        f.improper("R16", format!("chatTriggerType {t}"));
    }
}

/// R17 (403): a Builder ID token must not send a profile ARN (legacy host).
fn builder_id_profile(body: &Value, ctx: CheckCtx, f: &mut Found<'_>) {
    // R17 (403)
    if ctx.auth_kind == AuthKind::BuilderId && body.get("profileArn").is_some() {
        f.push(Violation {
            rule: "R17",
            status: 403,
            error_type: "AccessDeniedException",
            message: "User is not authorized to make this call.".to_owned(),
            reason: None,
            detail: "profileArn sent with a Builder ID token".to_owned(),
        });
    }
}

/// R18: the number of images and each image's shape.
fn images(c: &Conversation<'_, '_>, f: &mut Found<'_>) {
    // R18
    let images: Vec<&Value> = c.all.iter().flat_map(|m| m.images()).collect();
    if images.len() > MAX_IMAGES {
        f.improper("R18", format!("{} images (max {MAX_IMAGES})", images.len()));
    } else if let Some(e) = images.iter().find_map(|i| image_problem(i)) {
        f.improper("R18", e);
    }
}

/// R19 (answered as "Input is too long."): history length, user content, tool results.
fn sizes(c: &Conversation<'_, '_>, f: &mut Found<'_>) {
    // R19 (a size rule: answered as "Input is too long.")
    let mut r19 = None;
    if c.history.len() > MAX_HISTORY {
        r19 = Some(format!(
            "{} history entries (max {MAX_HISTORY})",
            c.history.len()
        ));
    } else if let Some(n) = c
        .all
        .iter()
        .filter(|m| m.user)
        .filter_map(|m| m.content())
        .map(|c| c.chars().count())
        .find(|n| *n > MAX_USER_CHARS)
    {
        r19 = Some(format!("user content of {n} chars (max {MAX_USER_CHARS})"));
    } else if let Some(n) = c
        .all
        .iter()
        .flat_map(|m| m.tool_results())
        .map(|r| {
            r.get("content").and_then(Value::as_array).map_or(0, |b| {
                b.iter()
                    .map(|x| {
                        s(x, "text").map_or_else(|| x.to_string().len(), |t| t.chars().count())
                    })
                    .sum()
            })
        })
        .find(|n| *n > MAX_TOOL_RESULT_CHARS)
    {
        r19 = Some(format!(
            "tool result of {n} chars (max {MAX_TOOL_RESULT_CHARS})"
        ));
    }
    if let Some(detail) = r19 {
        f.push(Violation {
            rule: "R19",
            status: 400,
            error_type: "ValidationException",
            message: "Input is too long.".to_owned(),
            reason: Some("CONTENT_LENGTH_EXCEEDS_THRESHOLD"),
            detail,
        });
    }
}

/// R20: server-side tools the service refuses.
fn server_side_tools(c: &Conversation<'_, '_>, f: &mut Found<'_>) {
    // R20
    if let Some(n) = c
        .specs
        .iter()
        .filter_map(|t| s(t, "name"))
        .find(|n| matches!(n.to_lowercase().as_str(), "web_search" | "websearch"))
    {
        f.improper("R20", format!("server-side tool {n}"));
    }
}

/// R21 (advisory, off by default): results in the order of the uses they answer.
fn result_order(c: &Conversation<'_, '_>, f: &mut Found<'_>) {
    for i in 1..c.all.len() {
        let results = ids(c.all[i].tool_results());
        let uses = ids(c.all[i - 1].tool_uses());
        let order: Vec<&str> = uses
            .iter()
            .copied()
            .filter(|u| results.contains(u))
            .collect();
        let mut got: Vec<&str> = Vec::new();
        for r in results.iter().copied().filter(|r| uses.contains(r)) {
            if !got.contains(&r) {
                got.push(r);
            }
        }
        if order != got {
            f.improper(
                "R21",
                format!("message {i}: toolResults out of toolUses order"),
            );
            break;
        }
    }
}
