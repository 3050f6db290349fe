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
    let mut out = Vec::new();
    let cs = body.get("conversationState").unwrap_or(&Value::Null);
    let history: Vec<Msg<'_>> = cs
        .get("history")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Msg::of)
        .collect();
    let current = cs.get("currentMessage").and_then(Msg::of);
    let mut v = |rule: &'static str, detail: String| {
        if rules.on(rule) {
            out.push(Violation::improper(rule, detail));
        }
    };

    // R1
    if current.as_ref().is_some_and(|c| !c.user) {
        v("R1", "currentMessage is an assistantResponseMessage".into());
    }
    // R2
    if history.first().is_some_and(|m| !m.user) {
        v("R2", "history[0] is an assistantResponseMessage".into());
    }
    // R3
    if let Some(i) = history.windows(2).position(|w| w[0].user == w[1].user) {
        v(
            "R3",
            format!("history[{i}] and history[{}] have the same role", i + 1),
        );
    }
    // R4 (off by default)
    if history.last().is_some_and(|m| m.user) {
        v("R4", "history ends with a userInputMessage".into());
    }
    let all: Vec<&Msg<'_>> = history.iter().chain(current.iter()).collect();
    // R5: results must answer the immediately preceding assistant's toolUses (index 0 is R7's).
    for i in 1..all.len() {
        let results = ids(all[i].tool_results());
        if results.is_empty() {
            continue;
        }
        let uses = ids(all[i - 1].tool_uses());
        if let Some(orphan) = results.iter().find(|r| !uses.contains(r)) {
            v(
                "R5",
                format!(
                    "message {i}: toolResult {orphan} has no matching toolUse in the preceding assistant message"
                ),
            );
            break;
        }
    }
    // R6: every toolUse of a history assistant must be answered by the next message.
    for (i, m) in history.iter().enumerate() {
        let uses = ids(m.tool_uses());
        if uses.is_empty() {
            continue;
        }
        let answered = all
            .get(i + 1)
            .map(|n| ids(n.tool_results()))
            .unwrap_or_default();
        if let Some(missing) = uses.iter().find(|u| !answered.contains(u)) {
            v(
                "R6",
                format!("history[{i}]: toolUse {missing} is not answered in the next user message"),
            );
            break;
        }
    }
    // R7
    if history
        .first()
        .is_some_and(|m| !m.tool_results().is_empty())
    {
        v("R7", "history[0] carries toolResults".into());
    }
    // R8
    let any_tool_traffic = all
        .iter()
        .any(|m| !m.tool_uses().is_empty() || !m.tool_results().is_empty());
    if any_tool_traffic {
        let declared: HashSet<String> = current
            .as_ref()
            .map(|c| {
                c.tool_specs()
                    .filter_map(|t| s(t, "name"))
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        if declared.is_empty() {
            v(
                "R8",
                "tool traffic present but currentMessage declares no tools".into(),
            );
        } else if let Some(name) = history
            .iter()
            .flat_map(|m| m.tool_uses().iter().filter_map(|u| s(u, "name")))
            .find(|n| !declared.contains(&n.to_lowercase()))
        {
            v("R8", format!("tool {name} used in history is not declared"));
        }
    }
    // R9
    if let Some(i) = history
        .iter()
        .position(|m| m.user && !m.ctx("tools").is_empty())
    {
        v("R9", format!("history[{i}] carries tools"));
    }
    let specs: Vec<&Value> = current
        .as_ref()
        .map(|c| c.tool_specs().collect())
        .unwrap_or_default();
    // R10
    if let Some(name) = specs
        .iter()
        .filter_map(|t| s(t, "name"))
        .find(|n| n.is_empty() || n.chars().count() > MAX_TOOL_NAME)
    {
        v(
            "R10",
            format!(
                "tool name of {} chars (max {MAX_TOOL_NAME})",
                name.chars().count()
            ),
        );
    }
    // R11
    if let Some(t) = specs.iter().find(|t| {
        s(t, "description")
            .is_none_or(|d| d.trim().is_empty() || d.chars().count() > MAX_DESCRIPTION)
    }) {
        v(
            "R11",
            format!(
                "tool {} has an empty or over-long description",
                s(t, "name").unwrap_or("?")
            ),
        );
    }
    // R12
    for t in &specs {
        if let Some(Err(e)) = t
            .get("inputSchema")
            .and_then(|i| i.get("json"))
            .map(|j| schema_hygiene(j, "json"))
        {
            v("R12", format!("tool {}: {e}", s(t, "name").unwrap_or("?")));
            break;
        }
    }
    // R13 (Kiro only; the Q dialect accepted "" in q2api's traffic)
    if ctx.dialect == Dialect::Kiro
        && let Some(i) = history.iter().position(|m| m.content() == Some(""))
    {
        v(
            "R13",
            format!("history[{i}] has empty content on the Kiro endpoint"),
        );
    }
    // R14
    for (i, m) in all.iter().enumerate() {
        let r = ids(m.tool_results());
        let set: HashSet<&str> = r.iter().copied().collect();
        if set.len() != r.len() {
            v(
                "R14",
                format!("message {i} repeats a toolUseId in toolResults"),
            );
            break;
        }
    }
    // R15
    if let Some(u) = all.iter().flat_map(|m| m.tool_uses()).find(|u| {
        u.get("input")
            .and_then(Value::as_object)
            .is_some_and(|o| o.contains_key(""))
    }) {
        v(
            "R15",
            format!(
                "toolUse {} input has an empty-string key",
                s(u, "toolUseId").unwrap_or("?")
            ),
        );
    }
    // R16
    if let Some(t) = s(cs, "chatTriggerType")
        && t != "MANUAL"
    {
        v("R16", format!("chatTriggerType {t}"));
    }
    // R17 (403)
    if ctx.auth_kind == AuthKind::BuilderId && body.get("profileArn").is_some() && rules.on("R17") {
        out.push(Violation {
            rule: "R17",
            status: 403,
            error_type: "AccessDeniedException",
            message: "User is not authorized to make this call.".to_owned(),
            reason: None,
            detail: "profileArn sent with a Builder ID token".to_owned(),
        });
    }
    let mut v = |rule: &'static str, detail: String| {
        if rules.on(rule) {
            out.push(Violation::improper(rule, detail));
        }
    };
    // R18
    let images: Vec<&Value> = all.iter().flat_map(|m| m.images()).collect();
    if images.len() > MAX_IMAGES {
        v("R18", format!("{} images (max {MAX_IMAGES})", images.len()));
    } else if let Some(e) = images.iter().find_map(|i| image_problem(i)) {
        v("R18", e);
    }
    // R19 (a size rule: answered as "Input is too long.")
    let mut r19 = None;
    if history.len() > MAX_HISTORY {
        r19 = Some(format!(
            "{} history entries (max {MAX_HISTORY})",
            history.len()
        ));
    } else if let Some(n) = all
        .iter()
        .filter(|m| m.user)
        .filter_map(|m| m.content())
        .map(|c| c.chars().count())
        .find(|n| *n > MAX_USER_CHARS)
    {
        r19 = Some(format!("user content of {n} chars (max {MAX_USER_CHARS})"));
    } else if let Some(n) = all
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
    if let Some(detail) = r19
        && rules.on("R19")
    {
        out.push(Violation {
            rule: "R19",
            status: 400,
            error_type: "ValidationException",
            message: "Input is too long.".to_owned(),
            reason: Some("CONTENT_LENGTH_EXCEEDS_THRESHOLD"),
            detail,
        });
    }
    let mut v = |rule: &'static str, detail: String| {
        if rules.on(rule) {
            out.push(Violation::improper(rule, detail));
        }
    };
    // R20
    if let Some(n) = specs
        .iter()
        .filter_map(|t| s(t, "name"))
        .find(|n| matches!(n.to_lowercase().as_str(), "web_search" | "websearch"))
    {
        v("R20", format!("server-side tool {n}"));
    }
    // R21 (advisory, off by default)
    for i in 1..all.len() {
        let results = ids(all[i].tool_results());
        let uses = ids(all[i - 1].tool_uses());
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
            v(
                "R21",
                format!("message {i}: toolResults out of toolUses order"),
            );
            break;
        }
    }
    out
}
