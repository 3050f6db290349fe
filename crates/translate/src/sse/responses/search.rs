//! Web-search steps in the Responses stream (OpenAI "Web search" tool, streaming events): one
//! `web_search_call` output item per search — `response.output_item.added` (`in_progress`),
//! `response.web_search_call.in_progress`, `response.web_search_call.searching`, then
//! `response.web_search_call.completed` and `response.output_item.done` (`completed`, with the
//! query and its sources); a failed search ends with `output_item.done` `status: "failed"` and no
//! `.completed`. Message text after a search gets `url_citation` annotations for the results it
//! cites: one `response.output_text.annotation.added` each before `response.output_text.done`.

use serde_json::{Value, json};

use super::{Open, ResponsesSse};
use crate::responses::item_id;
use crate::responses::object::OutputItem;
use crate::web_search::{SearchEvent, SearchHit, cite};

/// A `web_search_call` item.
pub(super) fn item(id: String, status: &str, query: &str, sources: &[SearchHit]) -> OutputItem {
    let sources: Vec<Value> = sources
        .iter()
        .map(|h| json!({"type": "url", "url": h.url}))
        .collect();
    OutputItem::WebSearchCall {
        id,
        status: status.to_owned(),
        action: json!({"type": "search", "query": query, "sources": sources}),
    }
}

impl ResponsesSse {
    /// One search step (the call opens a `web_search_call` item, the result closes it).
    pub fn encode_search_into(&mut self, ev: &SearchEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match ev {
            SearchEvent::Call { query, .. } => {
                self.close(out);
                let idx = self.index();
                let id = item_id("ws", &self.response.id, idx);
                let added = item(id.clone(), "in_progress", query, &[]);
                self.item_event("response.output_item.added", &added, out);
                for kind in [
                    "response.web_search_call.in_progress",
                    "response.web_search_call.searching",
                ] {
                    self.event(kind, json!({"output_index": idx, "item_id": id}), out);
                }
                self.open = Open::Search {
                    id,
                    query: query.clone(),
                };
            }
            SearchEvent::Result { outcome, .. } => {
                let Open::Search { id, query } = std::mem::replace(&mut self.open, Open::None)
                else {
                    return;
                };
                let idx = self.index();
                let done = match outcome {
                    Ok(hits) => {
                        self.event(
                            "response.web_search_call.completed",
                            json!({"output_index": idx, "item_id": id}),
                            out,
                        );
                        self.sources.extend(hits.iter().cloned());
                        item(id, "completed", &query, hits)
                    }
                    Err(_) => item(id, "failed", &query, &[]),
                };
                self.item_event("response.output_item.done", &done, out);
                self.response.output.push(done);
            }
        }
    }

    /// The `url_citation` annotations of a message's text (and their `annotation.added` events).
    pub(super) fn annotate(
        &mut self,
        item_id: &str,
        idx: usize,
        text: &str,
        out: &mut Vec<u8>,
    ) -> Vec<Value> {
        if self.sources.is_empty() {
            return Vec::new();
        }
        let annotations: Vec<Value> = cite::citations(text, &self.sources)
            .iter()
            .map(cite::Citation::responses)
            .collect();
        for (i, a) in annotations.iter().enumerate() {
            self.event(
                "response.output_text.annotation.added",
                json!({"item_id": item_id, "output_index": idx, "content_index": 0,
                       "annotation_index": i, "annotation": a}),
                out,
            );
        }
        annotations
    }
}
