//! The *shape* of a chat body for the log line of a `REQUEST_BODY_INVALID` answer
//! (kiro-2026-endpoints.md §4, §8): which root members and turn kinds were sent and how big they
//! were — never any text, tool input or image, which may be confidential.

use std::fmt::Write as _;

use crate::types::{ChatMessage, GenerateAssistantResponseRequest, UserInputMessage};

/// A one-line description of the body's structure, e.g.
/// `root=[conversationState,profileArn] agentTaskType=true history=4(user=2,assistant=2,empty_user=0,empty_assistant=1) current{chars=12,tools=3,tool_results=0,images=0,origin=KIRO_CLI,model=true}`.
pub fn body_shape(request: &GenerateAssistantResponseRequest, profile_arn: bool) -> String {
    let state = &request.conversation_state;
    let mut root = vec!["conversationState"];
    if profile_arn {
        root.push("profileArn");
    }
    if request.additional_model_request_fields.is_some() {
        root.push("additionalModelRequestFields");
    }
    let (mut users, mut assistants, mut empty_users, mut empty_assistants) = (0, 0, 0, 0);
    for m in &state.history {
        match m {
            ChatMessage::UserInputMessage(u) => {
                users += 1;
                empty_users += usize::from(u.content.is_empty());
            }
            ChatMessage::AssistantResponseMessage(a) => {
                assistants += 1;
                empty_assistants += usize::from(
                    a.content.is_empty() && a.tool_uses.as_ref().is_none_or(Vec::is_empty),
                );
            }
        }
    }
    let mut out = format!(
        "root=[{}] agentTaskType={} history={}(user={users},assistant={assistants},empty_user={empty_users},empty_assistant={empty_assistants})",
        root.join(","),
        state.agent_task_type.is_some(),
        state.history.len(),
    );
    match &state.current_message {
        ChatMessage::UserInputMessage(u) => {
            let _ = write!(out, " current{{{}}}", user_shape(u));
        }
        ChatMessage::AssistantResponseMessage(_) => out.push_str(" current=assistant(invalid)"),
    }
    out
}

fn user_shape(u: &UserInputMessage) -> String {
    let ctx = u.user_input_message_context.as_ref();
    let len = |v: Option<usize>| v.unwrap_or(0);
    format!(
        "chars={},tools={},tool_results={},images={},origin={},model={}",
        u.content.chars().count(),
        len(ctx.and_then(|c| c.tools.as_ref()).map(Vec::len)),
        len(ctx.and_then(|c| c.tool_results.as_ref()).map(Vec::len)),
        len(u.images.as_ref().map(Vec::len)),
        u.origin.as_deref().unwrap_or("-"),
        u.model_id.is_some(),
    )
}
