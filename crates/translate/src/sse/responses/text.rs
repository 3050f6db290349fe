//! Message and reasoning items in the Responses stream: both open with `response.output_item.added`
//! and one empty part, then stream their text as deltas — a message in its `output_text` content
//! part, a reasoning item in its `summary_text` part. The events follow one pattern under different
//! names, so one path writes both, [`TextItem`] saying which. Their `.done` events differ more
//! (annotations, sealed reasoning) and stay in `close`.

use serde_json::{Value, json};

use super::{Open, ResponsesSse};
use crate::responses::item_id;
use crate::responses::object::{OutputItem, OutputText, SummaryText};

/// Which of the two text items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TextItem {
    Message,
    Reasoning,
}

impl TextItem {
    fn id_prefix(self) -> &'static str {
        match self {
            Self::Message => "msg",
            Self::Reasoning => "rs",
        }
    }

    /// The item as announced: `in_progress`, no text yet.
    fn added(self, id: String) -> OutputItem {
        match self {
            Self::Message => OutputItem::Message {
                id,
                status: "in_progress".to_owned(),
                role: "assistant".to_owned(),
                content: Vec::new(),
            },
            Self::Reasoning => OutputItem::Reasoning {
                id,
                summary: Vec::new(),
                encrypted_content: None,
            },
        }
    }

    /// `…part.added` with its empty part, and the key of the part's index in the item's events.
    fn first_part(self) -> (&'static str, &'static str, Value) {
        match self {
            Self::Message => (
                "response.content_part.added",
                "content_index",
                json!(OutputText::new("")),
            ),
            Self::Reasoning => (
                "response.reasoning_summary_part.added",
                "summary_index",
                json!(SummaryText::new("")),
            ),
        }
    }
}

impl ResponsesSse {
    /// Appends `delta` to the open `kind` item, first closing any other item and opening one.
    pub(super) fn text_delta(&mut self, kind: TextItem, delta: &str, out: &mut Vec<u8>) {
        if !matches!(self.open, Open::Text { kind: k, .. } if k == kind) {
            self.close(out);
            self.open_text(kind, out);
        }
        let idx = self.index();
        let Open::Text { id, text, .. } = &mut self.open else {
            return;
        };
        text.push_str(delta);
        let (event, data) = match kind {
            TextItem::Message => (
                "response.output_text.delta",
                json!({"item_id": id, "output_index": idx, "content_index": 0,
                       "delta": delta, "logprobs": []}),
            ),
            TextItem::Reasoning => (
                "response.reasoning_summary_text.delta",
                json!({"item_id": id, "output_index": idx, "summary_index": 0,
                       "delta": delta}),
            ),
        };
        self.event(event, data, out);
    }

    fn open_text(&mut self, kind: TextItem, out: &mut Vec<u8>) {
        let id = item_id(kind.id_prefix(), &self.response.id, self.index());
        self.item_event("response.output_item.added", &kind.added(id.clone()), out);
        let (event, index_key, part) = kind.first_part();
        self.event(
            event,
            json!({"item_id": id, "output_index": self.index(), index_key: 0, "part": part}),
            out,
        );
        self.open = Open::Text {
            kind,
            id,
            text: String::new(),
        };
    }
}
