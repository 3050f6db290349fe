//! Turns + tool specs → the serde body (protocol doc §4.2; R9 tools only on `currentMessage`, R16
//! `chatTriggerType: MANUAL`, R17 `profileArn` only when configured; dialect K extras per §4.2).

use amazonq::types::{
    AgentTaskType, AssistantResponseMessage, ChatMessage, ChatTriggerType, ConversationState,
    GenerateAssistantResponseRequest, Tool, UserInputMessage, UserInputMessageContext,
};

use super::turns::Turn;
use super::{UpstreamDialect, UpstreamOptions};

pub fn build(
    mut turns: Vec<Turn>,
    specs: Vec<Tool>,
    model_id: &str,
    opts: &UpstreamOptions,
) -> GenerateAssistantResponseRequest {
    let kiro = opts.dialect == UpstreamDialect::Kiro;
    let current = turns.pop().unwrap_or_default();
    let history = turns
        .into_iter()
        .map(|t| {
            if t.user {
                ChatMessage::UserInputMessage(user_message(t, None, kiro.then_some(model_id), opts))
            } else {
                ChatMessage::AssistantResponseMessage(AssistantResponseMessage {
                    content: t.content(),
                    tool_uses: (!t.tool_uses.is_empty()).then_some(t.tool_uses),
                    ..AssistantResponseMessage::default()
                })
            }
        })
        .collect();
    let specs = (!specs.is_empty()).then_some(specs);
    let current = user_message(current, specs, Some(model_id), opts);
    GenerateAssistantResponseRequest {
        conversation_state: ConversationState {
            conversation_id: opts.conversation_id.clone(),
            current_message: ChatMessage::UserInputMessage(current),
            history,
            chat_trigger_type: ChatTriggerType::Manual,
            agent_task_type: kiro.then_some(AgentTaskType::Vibe),
            agent_continuation_id: if kiro {
                Some(
                    opts.agent_continuation_id
                        .clone()
                        .unwrap_or_else(|| opts.conversation_id.clone()),
                )
            } else {
                None
            },
            workspace_id: None,
            customization_arn: None,
        },
        profile_arn: opts.profile_arn.clone(),
        additional_model_request_fields: None,
    }
}

fn user_message(
    t: Turn,
    tools: Option<Vec<Tool>>,
    model_id: Option<&str>,
    opts: &UpstreamOptions,
) -> UserInputMessage {
    let content = t.content();
    let results = (!t.tool_results.is_empty()).then_some(t.tool_results);
    let context = if results.is_some() || tools.is_some() {
        Some(UserInputMessageContext {
            tool_results: results,
            tools,
            ..UserInputMessageContext::default()
        })
    } else {
        None
    };
    UserInputMessage {
        content,
        user_input_message_context: context,
        origin: opts.origin.clone(),
        images: (!t.images.is_empty()).then_some(t.images),
        model_id: model_id.map(str::to_owned),
        ..UserInputMessage::default()
    }
}
