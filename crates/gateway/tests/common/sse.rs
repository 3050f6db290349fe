//! A whole server-sent-events answer, parsed: `event:`/`data:` pairs, keep-alive comments, and
//! the text or chunks of each dialect.

use serde_json::Value;

/// One SSE event: `event:` name (if any) and `data:` payload.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: Option<String>,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// A whole SSE answer.
#[derive(Debug)]
pub struct Sse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub raw: String,
    pub events: Vec<Event>,
    /// `:` comment lines (keep-alives).
    pub comments: usize,
}

impl Sse {
    pub fn parse(status: u16, headers: reqwest::header::HeaderMap, text: &str) -> Self {
        let mut events = Vec::new();
        let mut comments = 0;
        for block in text.split("\n\n") {
            let mut name = None;
            let mut data: Option<String> = None;
            for line in block.lines() {
                if line.starts_with(':') {
                    comments += 1;
                } else if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(d.to_owned());
                }
            }
            if let Some(data) = data {
                events.push(Event { name, data });
            }
        }
        Self {
            status,
            headers,
            raw: text.to_owned(),
            events,
            comments,
        }
    }

    /// The answer is a 200 `text/event-stream`.
    pub fn assert_event_stream(&self) {
        assert_eq!(self.status, 200, "{}", self.raw);
        assert!(
            self.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
    }

    /// Responses: the terminal event's response, after checking the stream's grammar (a 200 event
    /// stream; each event's `type` is its name; sequence numbers count from 0; it opens with
    /// `response.created` and ends with `response.completed`).
    pub fn responses_completed(&self) -> Value {
        self.assert_event_stream();
        for (i, e) in self.events.iter().enumerate() {
            let d = e.json();
            assert_eq!(d["type"].as_str(), e.name.as_deref(), "{}", self.raw);
            assert_eq!(d["sequence_number"], i, "{}", self.raw);
        }
        assert_eq!(self.events[0].name.as_deref(), Some("response.created"));
        let last = self.events.last().unwrap();
        assert_eq!(
            last.name.as_deref(),
            Some("response.completed"),
            "{}",
            self.raw
        );
        last.json()["response"].clone()
    }

    /// Payloads of events named `name`.
    pub fn named(&self, name: &str) -> Vec<Value> {
        self.events
            .iter()
            .filter(|e| e.name.as_deref() == Some(name))
            .map(Event::json)
            .collect()
    }

    /// Anthropic: the text of all `text_delta`s.
    pub fn anthropic_text(&self) -> String {
        self.named("content_block_delta")
            .iter()
            .filter(|d| d["delta"]["type"] == "text_delta")
            .map(|d| d["delta"]["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// OpenAI: the JSON chunks (without `[DONE]`).
    pub fn openai_chunks(&self) -> Vec<Value> {
        self.events
            .iter()
            .filter(|e| e.data != "[DONE]")
            .map(Event::json)
            .collect()
    }

    /// OpenAI: concatenated `delta.content`.
    pub fn openai_text(&self) -> String {
        self.openai_chunks()
            .iter()
            .filter_map(|c| {
                c["choices"][0]["delta"]["content"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect()
    }
}
