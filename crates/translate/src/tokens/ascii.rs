//! The cheap path of [`super::count_text`] for the common case, ASCII text: the same numbers as the
//! Hugging Face pipeline (issue 11 S2 "CPU per streamed frame", issue 19 S1 "CPU per request").
//!
//! Why: every streamed text delta is charged to the output budget, and every prompt is counted once;
//! running the Hugging Face pipeline on them (a fresh `PreTokenizedString`, the onig regex, the
//! byte-level transform) was about half of the gateway's instructions per streamed frame and 7 % of a
//! small non-stream request's. The count is a sum over pre-tokenizer pieces, and a piece's count
//! depends on the piece alone, so:
//!
//! 1. For ASCII text without `<` (the added tokens `<EOT>`, `<META>`… all start with it), the
//!    byte-level pre-tokenizer's split is done by hand: [`split_ascii`] is the GPT-2 regex
//!    `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` restricted to
//!    ASCII, where `\p{L}` is `[A-Za-z]`, `\p{N}` is `[0-9]` and `\s` is `[\t\n\x0B\x0C\r ]`
//!    (NFKC is the identity there).
//! 2. Each piece's count comes from a small per-thread cache, filled by the full pipeline
//!    ([`super::count_full`]; a piece pre-tokenizes to itself), the same idea as the BPE model's own
//!    word cache without its lock and string clones.
//!
//! Anything else takes the full pipeline whole. A differential test pins the equality.

use std::cell::RefCell;

use foldhash::HashMap;

/// Pieces longer than this are counted directly (long runs of spaces or symbols are rare and would
/// only crowd the cache).
const MAX_CACHED_PIECE: usize = 24;
/// Entries per thread before the cache starts over (a few hundred KiB at most).
const MAX_ENTRIES: usize = 8192;

thread_local! {
    static PIECES: RefCell<HashMap<Box<[u8]>, u32>> = RefCell::new(HashMap::default());
}

/// Tokens in `text` when it is ASCII without `<`; `None` for anything else (the caller takes the
/// full pipeline). Always equal to [`super::count_full`] where it answers.
pub(super) fn count(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    if !text.is_ascii() || bytes.contains(&b'<') {
        return None;
    }
    PIECES.with(|cell| {
        // Re-entrancy is impossible (count_full does not come back here), but never panic on it.
        let mut cache = cell.try_borrow_mut().ok()?;
        let mut n: u32 = 0;
        split_ascii(bytes, |piece| {
            n = n.saturating_add(piece_tokens(&mut cache, piece));
        });
        Some(n)
    })
}

fn piece_tokens(cache: &mut HashMap<Box<[u8]>, u32>, piece: &[u8]) -> u32 {
    if let Some(&n) = cache.get(piece) {
        return n;
    }
    // The piece is a sub-slice of ASCII text at ASCII boundaries.
    let n = std::str::from_utf8(piece).map_or(0, super::count_full);
    if piece.len() <= MAX_CACHED_PIECE {
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(piece.into(), n);
    }
    n
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// The regex's character classes on ASCII.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Space,
    Other,
}

fn class(b: u8) -> Class {
    if b.is_ascii_alphabetic() {
        Class::Letter
    } else if b.is_ascii_digit() {
        Class::Digit
    } else if is_space(b) {
        Class::Space
    } else {
        Class::Other
    }
}

/// Length of a contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`) at the start of `s`.
fn contraction(s: &[u8]) -> usize {
    match s {
        [b'\'', b's' | b't' | b'm' | b'd', ..] => 2,
        [b'\'', b'r' | b'v', b'e', ..] | [b'\'', b'l', b'l', ..] => 3,
        _ => 0,
    }
}

/// Calls `emit` with each piece the byte-level pre-tokenizer's regex cuts `text` (ASCII) into, in
/// order.
fn split_ascii(text: &[u8], mut emit: impl FnMut(&[u8])) {
    let len = text.len();
    let run = |from: usize, kind: Class| {
        let mut end = from;
        while end < len && class(text[end]) == kind {
            end += 1;
        }
        end
    };
    let mut at = 0;
    while at < len {
        let end = match contraction(&text[at..]) {
            0 => {
                // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run.
                let start = if text[at] == b' ' && at + 1 < len && !is_space(text[at + 1]) {
                    at + 1
                } else {
                    at
                };
                match class(text[start]) {
                    Class::Space => {
                        // `\s+(?!\S)` backs off one character before a non-space; a single space
                        // before one falls through to `\s+`.
                        let end = run(at, Class::Space);
                        if end < len && end - at >= 2 {
                            end - 1
                        } else {
                            end
                        }
                    }
                    kind => run(start, kind),
                }
            }
            k => at + k,
        };
        emit(&text[at..end]);
        at = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        split_ascii(s.as_bytes(), |p| {
            out.push(String::from_utf8(p.to_vec()).unwrap());
        });
        out
    }

    #[test]
    fn splits_like_the_gpt2_regex() {
        assert_eq!(pieces("hello world!"), ["hello", " world", "!"]);
        assert_eq!(pieces("it's 42x"), ["it", "'s", " 42", "x"]);
        assert_eq!(pieces("a   b"), ["a", "  ", " b"]);
        assert_eq!(pieces("a\n\nb"), ["a", "\n", "\n", "b"]);
        assert_eq!(pieces("x  "), ["x", "  "]);
        assert_eq!(pieces("!'s ''re"), ["!'", "s", " ''", "re"]);
        assert_eq!(pieces(" \tz"), [" ", "\t", "z"]);
        assert_eq!(pieces("'ll'LL"), ["'ll", "'", "LL"]);
    }

    /// Every ASCII byte class, contractions, runs of each kind, in many combinations.
    fn samples() -> Vec<String> {
        let atoms = [
            "a", "Zq", "7", "42", " ", "  ", "\t", "\n", "\r\n", "\x0B", "\x0C", "\x1C", "\x1F",
            "\x00", "\x7F", "'", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'x", "!",
            "?!", ".,", "_", "-", "{\"", "\\", "~", "é",
        ];
        let mut out: Vec<String> = Vec::new();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            let mut s = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 1 + (seed % 9) as usize;
            for k in 0..len {
                let pick = (seed >> (k * 5 + 3)) as usize % atoms.len();
                s.push_str(atoms[pick]);
            }
            out.push(s);
        }
        out.extend(
            [
                "xxxxxxxxxxxxxxxx",
                "fn main() {\n    println!(\"{}\", 1 + 2);\n}\n",
                "The quick brown fox's 3rd jump -- isn't it? Yes: 100%.\t\r\n",
                "{\"path\": \"/tmp/a b.txt\", \"n\": [1, 2.5e3, null]}",
                "a <EOT> b",
                "    ",
            ]
            .map(str::to_owned),
        );
        out
    }

    #[test]
    fn counts_equal_the_tokenizer() {
        for s in samples() {
            let full = super::super::count_full(&s);
            assert_eq!(count(&s).unwrap_or(full), full, "{s:?}");
            // Second time from the cache.
            assert_eq!(count(&s).unwrap_or(full), full, "{s:?}");
        }
    }

    #[test]
    fn cache_starts_over_when_full() {
        for i in 0..(MAX_ENTRIES + 10) {
            let s = format!("w{i}");
            assert_eq!(count(&s), Some(super::super::count_full(&s)));
        }
        PIECES.with(|c| assert!(c.borrow().len() <= MAX_ENTRIES));
    }
}
