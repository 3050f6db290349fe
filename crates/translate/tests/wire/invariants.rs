//! Property: whatever conversation a client sends, the normalized upstream body satisfies the
//! service's validation rules (protocol doc §4.4 R1–R15 with the Addendum): alternation starting and
//! ending with a user turn, every history tool use answered in the next turn, no orphan results,
//! every used tool declared (case-insensitively), names ≤ 63 chars, no empty content, no duplicate
//! result ids, tools only on the current message.

use std::collections::HashSet;

use amazonq::types::{ChatMessage, Tool};
use amazonq_sim::validate::{CheckCtx, RuleSet};
use amazonq_sim::{AuthKind, Dialect as SimDialect};
use proptest::prelude::*;
use serde_json::json;
use translate::ir::{
    ChatRequest, Dialect, Message, Metadata, Part, ResponseFormat, Role, ToolChoice, ToolDef,
    ToolResultPart,
};
use translate::models::ModelTable;
use translate::normalize::{UpstreamOptions, normalize};

const NAMES: [&str; 4] = [
    "Read",
    "read",
    "Bash",
    "mcp__a_very_long_server_name__with_a_tool_name_far_beyond_the_limit",
];

fn part() -> impl Strategy<Value = Part> {
    let id = (0u8..6).prop_map(|i| format!("t{i}"));
    prop_oneof![
        3 => "[a-z ]{0,8}".prop_map(Part::Text),
        1 => "[a-z]{0,5}".prop_map(Part::Thinking),
        2 => (id.clone(), 0usize..NAMES.len(), prop::bool::ANY).prop_map(|(id, n, empty_key)| Part::ToolUse {
            id,
            name: NAMES[n].to_owned(),
            input: if empty_key { json!({"": 1, "k": "v"}) } else { json!({"k": "v"}) },
        }),
        2 => (id, "[a-z]{0,4}", prop::bool::ANY).prop_map(|(id, t, is_error)| Part::ToolResult {
            tool_use_id: id,
            content: if t.is_empty() { vec![] } else { vec![ToolResultPart::Text(t)] },
            is_error,
        }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    let role =
        prop_oneof![4 => Just(Role::User), 4 => Just(Role::Assistant), 1 => Just(Role::System)];
    (role, prop::collection::vec(part(), 0..4)).prop_map(|(role, parts)| Message { role, parts })
}

fn request() -> impl Strategy<Value = ChatRequest> {
    (
        prop::collection::vec(message(), 1..9),
        prop::collection::vec(0usize..NAMES.len(), 0..3),
        prop::option::of("[a-z ]{0,10}"),
        prop_oneof![
            Just(ToolChoice::Auto),
            Just(ToolChoice::None),
            Just(ToolChoice::Required)
        ],
    )
        .prop_map(|(messages, tools, system, tool_choice)| ChatRequest {
            dialect: Dialect::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system: system.into_iter().collect(),
            messages,
            tools: tools
                .into_iter()
                .map(|i| ToolDef {
                    name: NAMES[i].into(),
                    description: String::new(),
                    input_schema: json!({"type": null}),
                })
                .collect(),
            tool_choice,
            thinking: None,
            max_tokens: Some(100),
            stop: vec![],
            response_format: ResponseFormat::Text,
            stream: true,
            include_usage: false,
            metadata: Metadata::default(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn normalized_bodies_obey_the_service_rules(req in request()) {
        let model = ModelTable::default().resolve(&req.model).unwrap();
        let n = normalize(&req, &model, &UpstreamOptions::default()).unwrap();
        // The simulator's own validator agrees.
        let body = serde_json::to_value(&n.request).unwrap();
        let ctx = CheckCtx { dialect: SimDialect::Kiro, auth_kind: AuthKind::BuilderId };
        let violations = amazonq_sim::validate::check(&body, &RuleSet::new(&std::collections::BTreeMap::new()), ctx);
        prop_assert!(violations.is_empty(), "simulator: {:?}", violations);
        let cs = &n.request.conversation_state;
        let current = cs.current_message.as_user().expect("R1: current is a user message");
        let mut turns: Vec<&ChatMessage> = cs.history.iter().collect();
        turns.push(&cs.current_message);

        // R2/R3/R4: alternation, user first, history ends with assistant.
        for (i, t) in turns.iter().enumerate() {
            prop_assert_eq!(t.as_user().is_some(), i % 2 == 0, "turn {} has the wrong role", i);
        }

        let declared: Vec<String> = current
            .user_input_message_context
            .as_ref()
            .and_then(|c| c.tools.as_ref())
            .map(|ts| ts.iter().filter_map(|t| match t { Tool::ToolSpecification(s) => Some(s.name.clone()), Tool::CachePoint(_) => None }).collect())
            .unwrap_or_default();
        for name in &declared {
            prop_assert!(name.chars().count() <= 63, "R10: {}", name);
        }

        for (i, t) in turns.iter().enumerate() {
            match t {
                ChatMessage::AssistantResponseMessage(a) => {
                    prop_assert!(!a.content.is_empty(), "R13: empty assistant content");
                    let uses = a.tool_uses.clone().unwrap_or_default();
                    let next = turns[i + 1].as_user().unwrap();
                    let results: Vec<String> = next
                        .user_input_message_context
                        .as_ref()
                        .and_then(|c| c.tool_results.as_ref())
                        .map(|r| r.iter().map(|r| r.tool_use_id.clone()).collect())
                        .unwrap_or_default();
                    let use_ids: Vec<String> = uses.iter().map(|u| u.tool_use_id.clone()).collect();
                    // R6 + R5 + R21: results are exactly the uses, in order, and ids are unique.
                    let unique: HashSet<&String> = use_ids.iter().collect();
                    prop_assert_eq!(unique.len(), use_ids.len(), "duplicate tool use ids");
                    prop_assert_eq!(&results, &use_ids, "results must answer the uses in order");
                    for u in &uses {
                        prop_assert!(!u.input.as_object().unwrap().contains_key(""), "R15");
                        prop_assert!(declared.iter().any(|d| d.eq_ignore_ascii_case(&u.name)), "R8: {} undeclared", u.name);
                    }
                }
                ChatMessage::UserInputMessage(u) => {
                    prop_assert!(!u.content.trim().is_empty(), "R13: empty user content");
                    let ctx = u.user_input_message_context.as_ref();
                    if i + 1 < turns.len() {
                        prop_assert!(ctx.is_none_or(|c| c.tools.is_none()), "R9: tools in history");
                    }
                    let results = ctx.and_then(|c| c.tool_results.clone()).unwrap_or_default();
                    if i == 0 {
                        prop_assert!(results.is_empty(), "R7");
                    }
                    let ids: HashSet<&String> = results.iter().map(|r| &r.tool_use_id).collect();
                    prop_assert_eq!(ids.len(), results.len(), "R14: duplicate result ids");
                    if !results.is_empty() {
                        let prev = turns[i - 1].as_assistant().unwrap();
                        let uses: Vec<&String> = prev.tool_uses.iter().flatten().map(|u| &u.tool_use_id).collect();
                        for r in &results {
                            prop_assert!(uses.contains(&&r.tool_use_id), "R5: orphan result {}", r.tool_use_id);
                            prop_assert!(!r.content.is_empty());
                        }
                    }
                }
            }
        }
    }
}
