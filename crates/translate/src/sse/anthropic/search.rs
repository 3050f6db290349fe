//! Web-search blocks in the Anthropic stream (API reference "Web search tool", streaming): a
//! `server_tool_use` block (`srvtoolu_…`, name `web_search`, the query as one `input_json_delta`),
//! then a `web_search_tool_result` block whose start carries the whole content (a list of
//! `web_search_result`, or a `web_search_tool_result_error` with its `error_code`). Text blocks
//! after a result get one `citations_delta` per cited result before their stop
//! (`crate::web_search::cite`).

use serde_json::{Value, json};

use super::{AnthropicSse, BlockStart, Delta, Event, block_delta, block_start, frame};
use crate::web_search::{SearchEvent, TOOL_NAME, body, cite};

impl AnthropicSse {
    /// Marks the request as having the web-search tool: usage reports
    /// `server_tool_use.web_search_requests` (0 until a search ran).
    #[must_use]
    pub fn with_web_search(mut self) -> Self {
        self.searches = Some(0);
        self
    }

    /// One search step as its block.
    pub fn encode_search_into(&mut self, ev: &SearchEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.close(out);
        let index = self.next_index;
        match ev {
            SearchEvent::Call { id, query } => {
                let block = BlockStart::ServerToolUse {
                    id,
                    name: TOOL_NAME,
                    input: Value::Object(serde_json::Map::new()),
                };
                block_start(index, block, out);
                let input = json!({ "query": query }).to_string();
                let delta = Delta::InputJsonDelta {
                    partial_json: &input,
                };
                block_delta(index, delta, out);
            }
            SearchEvent::Result { id, outcome } => {
                if let Ok(hits) = outcome {
                    self.searches = Some(self.searches.unwrap_or(0) + 1);
                    self.sources.extend(hits.iter().cloned());
                }
                let block = BlockStart::WebSearchToolResult {
                    tool_use_id: id,
                    content: body::anthropic_result_content(outcome),
                };
                block_start(index, block, out);
            }
        }
        frame(&Event::ContentBlockStop { index }, out);
        self.next_index += 1;
    }

    /// `citations_delta`s for the text block at `index` that is about to stop.
    pub(super) fn cite(&mut self, index: usize, out: &mut Vec<u8>) {
        let text = std::mem::take(&mut self.text);
        if self.sources.is_empty() {
            return;
        }
        for c in cite::citations(&text, &self.sources) {
            let citation = c.anthropic();
            block_delta(index, Delta::CitationsDelta { citation }, out);
        }
    }
}
