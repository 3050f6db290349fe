//! Aggregation of [`OutEvent`]s into one answer, for non-stream responses (client doc §1.4, §2.4;
//! protocol doc Appendix B "better to share the state machine"). The dialect modules render a
//! [`Collected`] as their JSON body, so stream and non-stream answers cannot diverge.

use crate::ir::{FinishReason, OutEvent, StreamError, Usage};

/// One content block of the final answer, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Thinking(String),
    Text(String),
    ToolUse {
        id: String,
        name: String,
        json: String,
    },
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    pub blocks: Vec<Block>,
    pub reason: FinishReason,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
}

impl Collected {
    /// All answer text (no thinking), concatenated.
    pub fn text(&self) -> String {
        self.joined(|b| match b {
            Block::Text(t) => Some(t),
            _ => None,
        })
    }

    /// All thinking text, concatenated.
    pub fn thinking(&self) -> String {
        self.joined(|b| match b {
            Block::Thinking(t) => Some(t),
            _ => None,
        })
    }

    /// The text `pick` takes from each block, concatenated.
    fn joined(&self, pick: impl Fn(&Block) -> Option<&String>) -> String {
        self.blocks
            .iter()
            .filter_map(pick)
            .map(String::as_str)
            .collect()
    }

    /// Tool calls in order.
    pub fn tool_calls(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.blocks.iter().filter_map(|b| match b {
            Block::ToolUse { id, name, json } => Some((id.as_str(), name.as_str(), json.as_str())),
            _ => None,
        })
    }
}

/// Accumulates events; feed everything the state machine produced, then call [`Collector::finish`].
/// How the answer ended: reason, matched stop sequence, usage — or the in-stream error.
type End = Result<(FinishReason, Option<String>, Usage), StreamError>;

#[derive(Debug, Default)]
pub struct Collector {
    blocks: Vec<Block>,
    end: Option<End>,
}

impl Collector {
    pub fn push(&mut self, ev: OutEvent) {
        match ev {
            OutEvent::Text(t) => match self.blocks.last_mut() {
                Some(Block::Text(prev)) => prev.push_str(&t),
                _ => self.blocks.push(Block::Text(t)),
            },
            OutEvent::Thinking(t) => match self.blocks.last_mut() {
                Some(Block::Thinking(prev)) => prev.push_str(&t),
                _ => self.blocks.push(Block::Thinking(t)),
            },
            OutEvent::ToolStart { id, name, .. } => self.blocks.push(Block::ToolUse {
                id,
                name,
                json: String::new(),
            }),
            OutEvent::ToolArgs { json, .. } => {
                if let Some(Block::ToolUse { json: acc, .. }) = self.blocks.last_mut() {
                    acc.push_str(&json);
                }
            }
            OutEvent::ToolEnd { .. } => {}
            OutEvent::Finish {
                reason,
                stop_sequence,
                usage,
            } => {
                self.end.get_or_insert(Ok((reason, stop_sequence, usage)));
            }
            OutEvent::Error(e) => {
                self.end.get_or_insert(Err(e));
            }
        }
    }

    pub fn extend(&mut self, evs: impl IntoIterator<Item = OutEvent>) {
        for e in evs {
            self.push(e);
        }
    }

    /// The answer, or the in-stream error (the gateway answers it with an HTTP error status, since
    /// nothing was sent yet). Without any end event the answer counts as interrupted.
    pub fn finish(self) -> Result<Collected, StreamError> {
        match self.end {
            Some(Ok((reason, stop_sequence, usage))) => Ok(Collected {
                blocks: self.blocks,
                reason,
                stop_sequence,
                usage,
            }),
            Some(Err(e)) => Err(e),
            None => Err(StreamError {
                kind: crate::ir::StreamErrorKind::Interrupted,
                message: "the upstream stream ended without a result".to_owned(),
            }),
        }
    }
}
