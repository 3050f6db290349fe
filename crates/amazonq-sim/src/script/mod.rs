//! Scripted, deterministic generation (amazon-q-protocol.md §8.4 "Scripted generation").
//!
//! A [`Script`] is a list of [`Step`]s plus optional pacing, faults and benchmark settings. The
//! chat handler picks (a) the next script queued for the account, else (b) the directives found in
//! the last user message (see [`directives`] and the crate docs for the grammar), else (c) a web
//! search decision ([`crate::mcp::decide::implicit`]), else (d) echo mode: a short summary of
//! what was received (model, number of turns, tool names).

pub mod directives;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How text is cut into `assistantResponseEvent`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Split {
    /// Fixed number of characters per event (default: the pacing `chunk_chars`).
    Fixed { chars: usize },
    /// One word (with its trailing space) per event.
    Word,
    /// One character per event (multi-byte characters stay whole: JSON payloads are whole).
    Char,
    /// Pseudo-random sizes 1..=max characters.
    Random { seed: u64, max: usize },
}

/// Adversarial shapes of `<thinking>` text (§5.6, Addendum "thinking text shape").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ThinkingVariant {
    /// `<thinking>\n…\n</thinking>\n\n` — the real service's shape.
    #[default]
    Normal,
    /// `<thinking>…</thinking>` with no newlines and no `\n\n` after the close tag.
    Tight,
    /// Both tags cut across event boundaries.
    SplitTags,
    /// A quoted `` `</thinking>` `` inside the thinking text.
    QuotedTag,
}

/// One step of a script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Step {
    /// `initial-response {conversationId}`.
    InitialResponse,
    /// `messageMetadataEvent {conversationId, utteranceId}`.
    MessageMetadata,
    Text {
        content: String,
        #[serde(default)]
        split: Option<Split>,
    },
    Thinking {
        text: String,
        #[serde(default)]
        variant: ThinkingVariant,
    },
    Reasoning {
        text: String,
        #[serde(default)]
        signature: Option<String>,
    },
    ToolUse {
        #[serde(default)]
        id: Option<String>,
        name: String,
        /// The raw JSON text of the input (sent verbatim, split into fragments).
        input: String,
        #[serde(default = "one")]
        fragments: usize,
        #[serde(default)]
        first_event_has_input: bool,
        #[serde(default)]
        stop_carries_last_fragment: bool,
    },
    Metering {
        usage: f64,
        #[serde(default = "credit")]
        unit: String,
    },
    ContextUsage {
        pct: f64,
    },
    Metadata {
        input_tokens: u64,
        output_tokens: u64,
    },
    FollowupPrompt {
        content: String,
    },
    CodeReference {
        url: String,
    },
    WebLinks {
        url: String,
        title: String,
    },
    InvalidState {
        message: String,
    },
    Unknown {
        event_type: String,
        payload: Value,
    },
    Sleep {
        ms: u64,
    },
    /// `metadataEvent {"stopReason": …}` (2026 runtime: END_TURN, MAX_TOKENS, …).
    StopReason {
        value: String,
    },
    /// The runtime's in-stream MODEL_TEMPORARILY_UNAVAILABLE exception; the stream ends there.
    ModelUnavailable,
    /// An `exception` frame `exception_type` `{"message","reason"}`; the stream ends there.
    Exception {
        exception_type: String,
        reason: String,
    },
    /// A known event with a field of the wrong type: `meteringEvent {"usage":"<string>"}`.
    MalformedField,
    /// The model decides to search the web (`#search`): the chat handler turns it into a
    /// `web_search` tool use or a text answer before rendering ([`crate::mcp::decide::resolve`]).
    WebSearch {
        query: String,
    },
}

fn one() -> usize {
    1
}

fn credit() -> String {
    "credit".to_owned()
}

/// Pacing overrides carried by a script (`#pace`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaceOverride {
    pub first_frame_ms: Option<u64>,
    pub interval_ms: Option<u64>,
    pub chunk_chars: Option<usize>,
}

/// Benchmark mode: `frames` identical text frames, one every `interval_ms`, `bytes` of text each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bench {
    pub frames: usize,
    pub interval_ms: u64,
    pub bytes: usize,
}

/// A complete script.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Script {
    pub steps: Vec<Step>,
    pub pace: PaceOverride,
    /// Fault specs (see [`crate::faults::Fault`]).
    pub faults: Vec<String>,
    pub bench: Option<Bench>,
    /// Force `initial-response` on or off (default: per dialect).
    pub initial_response: Option<bool>,
    /// Replace empty steps with the echo summary.
    pub echo: bool,
}

/// What the echo summary reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    pub model: String,
    /// History entries + the current message.
    pub turns: usize,
    pub tools: Vec<String>,
}

/// The echo-mode answer text.
pub fn echo_text(r: &Received) -> String {
    let tools = if r.tools.is_empty() {
        "-".to_owned()
    } else {
        r.tools.join(",")
    };
    format!("echo: model={} turns={} tools={}", r.model, r.turns, tools)
}

/// Deterministic filler text of `n` tokens (one short word each).
pub fn filler(n: usize) -> String {
    const WORDS: [&str; 8] = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    ];
    let mut s = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[i % WORDS.len()]);
    }
    s
}

impl Script {
    /// True when the script produces no content of its own (echo mode applies).
    pub fn is_contentless(&self) -> bool {
        self.bench.is_none() && !self.steps.iter().any(|s| !matches!(s, Step::Sleep { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_and_filler_are_deterministic() {
        let r = Received {
            model: "m".into(),
            turns: 3,
            tools: vec!["a".into(), "b".into()],
        };
        assert_eq!(echo_text(&r), "echo: model=m turns=3 tools=a,b");
        assert_eq!(filler(3), "alpha beta gamma");
        assert!(Script::default().is_contentless());
        let s: Script =
            serde_json::from_str(r#"{"steps":[{"type":"tool_use","name":"x","input":"{}"}]}"#)
                .unwrap();
        assert!(!s.is_contentless());
    }
}
