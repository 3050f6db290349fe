//! Turns a [`Script`] into the frames of one response (amazon-q-protocol.md §5.3–§5.6) and applies
//! the frame-level faults of §8.5 (exceptions, error frames, corruption, duplicates, unknown
//! events, huge frames, truncated or non-object tool JSON). Pure code: no I/O, no clock.

use bytes::Bytes;
use serde_json::json;

mod faults;
mod split;

pub use split::{fragments, split_text};

use crate::faults::Fault;
use crate::frames;
use crate::script::{Script, Split, Step, ThinkingVariant};

/// Dialect of the request: Amazon Q (`POST /` + X-Amz-Target) or Kiro (`POST /generateAssistantResponse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Dialect {
    Q,
    Kiro,
}

/// What a frame carries (fault placement needs to find text and tool frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    ToolStart,
    ToolStop,
    Other,
}

/// One element of a rendered response.
#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    Frame(Bytes, Kind),
    /// Explicit pause (script `sleep` step or `stall` fault), in ms.
    Sleep(u64),
    /// Close the connection here instead of ending the body (drop faults).
    Abort {
        rst: bool,
    },
}

/// Per-request inputs of rendering.
#[derive(Debug, Clone)]
pub struct RenderCtx {
    pub dialect: Dialect,
    pub conversation_id: String,
    pub utterance_id: String,
    pub initial_response: bool,
    pub usage_events: bool,
    pub chunk_chars: usize,
    /// Estimated prompt tokens and model window, for `contextUsageEvent`.
    pub prompt_tokens: u64,
    pub window: u64,
    pub tool_id_seed: u64,
}

struct Out<'a> {
    evs: Vec<Ev>,
    exotic: bool,
    unknown_keys: bool,
    ctx: &'a RenderCtx,
}

impl Out<'_> {
    fn ev(&mut self, event_type: &str, mut payload: serde_json::Value, kind: Kind) {
        if self.unknown_keys
            && let Some(o) = payload.as_object_mut()
        {
            o.insert("simUnknownKey".to_owned(), json!({"nested": [1, 2]}));
        }
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        self.evs.push(Ev::Frame(
            frames::event(event_type, &body, self.exotic),
            kind,
        ));
    }

    fn text(&mut self, content: &str) {
        self.ev(
            "assistantResponseEvent",
            json!({ "content": content }),
            Kind::Text,
        );
    }

    fn chunks(&mut self, content: &str, split: Option<Split>) {
        for piece in split_text(
            content,
            split.unwrap_or(Split::Fixed {
                chars: self.ctx.chunk_chars,
            }),
        ) {
            self.text(&piece);
        }
    }
}

fn thinking_text(text: &str, variant: ThinkingVariant) -> Vec<String> {
    match variant {
        ThinkingVariant::Normal => vec![format!("<thinking>\n{text}\n</thinking>\n\n")],
        ThinkingVariant::Tight => vec![format!("<thinking>{text}</thinking>")],
        ThinkingVariant::SplitTags => vec![
            "<thi".to_owned(),
            format!("nking>\n{text}\n</thin"),
            "king>\n\n".to_owned(),
        ],
        ThinkingVariant::QuotedTag => {
            vec![format!(
                "<thinking>\n{text} (the literal `</thinking>` tag and \"</thinking>\" stay inside)\n</thinking>\n\n"
            )]
        }
    }
}

/// What the steps produced so far.
#[derive(Default)]
struct Counts {
    /// Tool calls (their ids are numbered).
    tools: u64,
    /// Characters of answer text and tool input (Kiro's metering).
    output_chars: usize,
}

impl Out<'_> {
    /// Renders one step; true when it ends the stream (an exception frame).
    fn step(&mut self, step: &Step, counts: &mut Counts) -> bool {
        match step {
            Step::StopReason { value } => {
                self.ev("metadataEvent", json!({ "stopReason": value }), Kind::Other);
            }
            Step::ModelUnavailable => {
                self.evs.push(Ev::Frame(frames::model_unavailable(), Kind::Other));
                return true;
            }
            Step::Exception {
                exception_type,
                reason,
            } => {
                let body = json!({ "message": "Simulated exception.", "reason": reason });
                let frame = frames::exception(exception_type, body.to_string().as_bytes());
                self.evs.push(Ev::Frame(frame, Kind::Other));
                return true;
            }
            // Resolved by the chat handler before rendering (crate::mcp::decide::resolve).
            Step::WebSearch { .. } => {}
            Step::MalformedField => self.ev(
                "meteringEvent",
                json!({ "usage": "not a number", "unit": "credit" }),
                Kind::Other,
            ),
            Step::InitialResponse => self.ev("initial-response", json!({ "conversationId": self.ctx.conversation_id }), Kind::Other),
            Step::MessageMetadata => self.ev(
                "messageMetadataEvent",
                json!({ "conversationId": self.ctx.conversation_id, "utteranceId": self.ctx.utterance_id }),
                Kind::Other,
            ),
            Step::Text { content, split } => {
                counts.output_chars += content.len();
                self.chunks(content, *split);
            }
            Step::Thinking { text, variant } => {
                counts.output_chars += text.len();
                for piece in thinking_text(text, *variant) {
                    if *variant == ThinkingVariant::SplitTags {
                        self.text(&piece);
                    } else {
                        self.chunks(&piece, None);
                    }
                }
            }
            Step::Reasoning { text, signature } => {
                self.ev("reasoningContentEvent", json!({ "text": text, "signature": signature }), Kind::Other);
            }
            Step::ToolUse { id, name, input, fragments: k, first_event_has_input, stop_carries_last_fragment } => {
                counts.tools += 1;
                counts.output_chars += input.len();
                let id = id.clone().unwrap_or_else(|| format!("tooluse_sim{:x}{}", self.ctx.tool_id_seed, counts.tools));
                let mut frags = fragments(input, *k);
                let last = if *stop_carries_last_fragment && frags.len() > 1 { frags.pop() } else { None };
                if *first_event_has_input && !frags.is_empty() {
                    let first = frags.remove(0);
                    self.ev("toolUseEvent", json!({ "toolUseId": id, "name": name, "input": first }), Kind::ToolStart);
                } else {
                    self.ev("toolUseEvent", json!({ "toolUseId": id, "name": name }), Kind::ToolStart);
                }
                for f in frags {
                    self.ev("toolUseEvent", json!({ "toolUseId": id, "name": name, "input": f }), Kind::Other);
                }
                let stop = match last {
                    Some(l) => json!({ "toolUseId": id, "name": name, "input": l, "stop": true }),
                    None => json!({ "toolUseId": id, "name": name, "stop": true }),
                };
                self.ev("toolUseEvent", stop, Kind::ToolStop);
            }
            Step::Metering { usage, unit } => self.ev("meteringEvent", json!({ "usage": usage, "unit": unit }), Kind::Other),
            Step::ContextUsage { pct } => self.ev("contextUsageEvent", json!({ "contextUsagePercentage": pct }), Kind::Other),
            Step::Metadata { input_tokens, output_tokens } => self.ev(
                "metadataEvent",
                json!({ "tokenUsage": { "uncachedInputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": input_tokens + output_tokens } }),
                Kind::Other,
            ),
            Step::FollowupPrompt { content } => self.ev(
                "followupPromptEvent",
                json!({ "followupPrompt": { "content": content, "userIntent": "SUGGEST_ALTERNATE_IMPLEMENTATION" } }),
                Kind::Other,
            ),
            Step::CodeReference { url } => self.ev(
                "codeReferenceEvent",
                json!({ "references": [{ "licenseName": "MIT", "repository": "sim/repo", "url": url, "recommendationContentSpan": { "start": 0, "end": 4 } }] }),
                Kind::Other,
            ),
            Step::WebLinks { url, title } => self.ev(
                "supplementaryWebLinksEvent",
                json!({ "supplementaryWebLinks": [{ "url": url, "title": title, "snippet": "sim" }] }),
                Kind::Other,
            ),
            Step::InvalidState { message } => {
                self.ev("invalidStateEvent", json!({ "reason": "INVALID_TASK_ASSIST_PLAN", "message": message }), Kind::Other);
            }
            Step::Unknown { event_type, payload } => self.ev(event_type, payload.clone(), Kind::Other),
            Step::Sleep { ms } => self.evs.push(Ev::Sleep(*ms)),
        }
        false
    }

    /// After the last step: the huge-frame fault, a last unknown event, and Kiro's usage events.
    fn trailer(&mut self, faults: &[Fault], output_chars: usize) {
        for f in faults {
            if let Fault::HugeFrame { bytes } = f {
                self.text(&"x".repeat(*bytes));
            }
        }
        if self.unknown_keys {
            self.ev(
                "simAnotherUnknownEvent",
                json!({ "k": [null, 1.5, "s"] }),
                Kind::Other,
            );
        }
        if self.ctx.dialect == Dialect::Kiro && self.ctx.usage_events {
            let pct = if self.ctx.window == 0 {
                0.0
            } else {
                self.ctx.prompt_tokens as f64 * 100.0 / self.ctx.window as f64
            };
            let credits = ((output_chars as f64 / 4.0).ceil() / 1000.0).max(0.01);
            self.ev(
                "meteringEvent",
                json!({ "usage": credits, "unit": "credit" }),
                Kind::Other,
            );
            self.ev(
                "contextUsageEvent",
                json!({ "contextUsagePercentage": (pct * 100.0).round() / 100.0 }),
                Kind::Other,
            );
        }
    }
}

/// Renders a script into frames, applying frame-level faults.
pub fn render(script: &Script, ctx: &RenderCtx, faults: &[Fault]) -> Vec<Ev> {
    if faults.contains(&Fault::Empty200) {
        return Vec::new();
    }
    let mut out = Out {
        evs: Vec::new(),
        exotic: faults.contains(&Fault::ExoticHeaders),
        unknown_keys: faults.contains(&Fault::UnknownEvents),
        ctx,
    };
    let initial = script.initial_response.unwrap_or(ctx.initial_response);
    if initial {
        out.ev(
            "initial-response",
            json!({ "conversationId": ctx.conversation_id }),
            Kind::Other,
        );
    }
    if out.unknown_keys {
        out.ev("simFutureEvent", json!({ "anything": true }), Kind::Other);
    }
    let mut steps = script.steps.clone();
    faults::tool_faults(&mut steps, faults);
    let mut counts = Counts::default();
    // A step that cuts the stream (an exception) ends the answer there.
    let cut = steps.iter().any(|step| out.step(step, &mut counts));
    if !cut {
        out.trailer(faults, counts.output_chars);
    }
    let mut evs = out.evs;
    faults::apply_frame_faults(&mut evs, faults);
    evs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::ExceptionKind;

    /// A script that says `content` in one unsplit text step.
    fn say(content: &str) -> Script {
        Script {
            steps: vec![Step::Text {
                content: content.into(),
                split: None,
            }],
            ..Script::default()
        }
    }

    fn ctx(d: Dialect) -> RenderCtx {
        RenderCtx {
            dialect: d,
            conversation_id: "c".into(),
            utterance_id: "u".into(),
            initial_response: d == Dialect::Q,
            usage_events: true,
            chunk_chars: 4,
            prompt_tokens: 50,
            window: 100,
            tool_id_seed: 1,
        }
    }

    fn frame_count(evs: &[Ev]) -> usize {
        evs.iter().filter(|e| matches!(e, Ev::Frame(..))).count()
    }

    #[test]
    fn splits_never_cut_characters() {
        assert_eq!(
            split_text("héllo wörld", Split::Fixed { chars: 4 }),
            vec!["héll", "o wö", "rld"]
        );
        assert_eq!(split_text("a b", Split::Word), vec!["a ", "b"]);
        assert_eq!(split_text("日本", Split::Char), vec!["日", "本"]);
        assert_eq!(
            split_text("abcdefghij", Split::Random { seed: 3, max: 3 }).concat(),
            "abcdefghij"
        );
        assert_eq!(fragments(r#"{"a":1}"#, 3).concat(), r#"{"a":1}"#);
        assert_eq!(fragments(r#"{"a":1}"#, 3).len(), 3);
    }

    #[test]
    fn dialects_differ_in_initial_and_usage_events() {
        let s = say("12345678");
        assert_eq!(frame_count(&render(&s, &ctx(Dialect::Q), &[])), 3);
        assert_eq!(frame_count(&render(&s, &ctx(Dialect::Kiro), &[])), 4);
    }

    #[test]
    fn terminal_faults_cut_the_stream() {
        let s = say("1234567890ab");
        let evs = render(
            &s,
            &ctx(Dialect::Q),
            &[Fault::DropAfterFrames {
                frames: 2,
                rst: true,
            }],
        );
        assert_eq!(frame_count(&evs), 2);
        assert_eq!(evs.last(), Some(&Ev::Abort { rst: true }));
        let evs = render(
            &s,
            &ctx(Dialect::Q),
            &[Fault::Exception {
                after: 1,
                kind: ExceptionKind::Error,
            }],
        );
        assert_eq!(frame_count(&evs), 2);
        assert!(render(&s, &ctx(Dialect::Q), &[Fault::Empty200]).is_empty());
    }

    #[test]
    fn thinking_variants_have_their_adversarial_shapes() {
        let base = RenderCtx {
            usage_events: false,
            chunk_chars: 1000,
            ..ctx(Dialect::Kiro)
        };
        let text_of = |v: ThinkingVariant| -> Vec<String> {
            let script = Script {
                steps: vec![Step::Thinking {
                    text: "t".into(),
                    variant: v,
                }],
                ..Script::default()
            };
            render(&script, &base, &[])
                .iter()
                .filter_map(|e| match e {
                    Ev::Frame(b, Kind::Text) => {
                        let f = amazonq::eventstream::decode_all(b).ok()?;
                        let v: serde_json::Value =
                            serde_json::from_slice(&f.first()?.payload).ok()?;
                        v["content"].as_str().map(str::to_owned)
                    }
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            text_of(ThinkingVariant::Normal),
            vec!["<thinking>\nt\n</thinking>\n\n"]
        );
        assert_eq!(
            text_of(ThinkingVariant::Tight),
            vec!["<thinking>t</thinking>"]
        );
        assert_eq!(
            text_of(ThinkingVariant::SplitTags),
            vec!["<thi", "nking>\nt\n</thin", "king>\n\n"]
        );
        assert!(text_of(ThinkingVariant::QuotedTag)[0].contains("`</thinking>`"));
    }
}
