//! Streaming `<thinking>` splitter (protocol doc §5.6 and the Addendum "thinking text shape").
//!
//! The model answers `<thinking>\n…\n</thinking>\n\nanswer`, split arbitrarily across frames; the tight
//! form `<thinking>….</thinking>answer` must work too. Rules:
//! - only a thinking block at the very start (after optional whitespace) counts (vagmr
//!   `thinking_extracted`): a `<thinking>` later in the answer is text;
//! - one `\n` after the opening tag and one before the closing tag are dropped, and up to two `\n`
//!   after the closing tag;
//! - a closing tag right next to a quote or backtick is quoted text, not the end (kirors/AIC2A);
//! - an unclosed block ends at the end of the stream or right before a tool call.
//!
//! Output is independent of how the input was chunked: the splitter only decides once it has seen
//! enough characters and otherwise keeps them pending (property-tested in `tests/wire/chunking.rs`).

const OPEN: &str = "<thinking>";
const CLOSE: &str = "</thinking>";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing but whitespace seen yet.
    Start,
    /// Just after `<thinking>`: drop one `\n`.
    AfterOpen,
    Thinking,
    /// Just after `</thinking>`: drop up to `n` more `\n`.
    AfterClose(u8),
    Text,
}

/// A piece of output from the splitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Thinking(String),
    Text(String),
}

#[derive(Debug, Clone)]
pub struct Splitter {
    state: State,
    buf: String,
    /// Last character emitted as thinking (for the quote check before a closing tag).
    last: Option<char>,
}

fn is_quote(c: char) -> bool {
    matches!(c, '`' | '"' | '\'')
}

impl Splitter {
    /// `enabled=false` passes everything through as text.
    pub fn new(enabled: bool) -> Self {
        Self {
            state: if enabled { State::Start } else { State::Text },
            buf: String::new(),
            last: None,
        }
    }

    /// Feeds a chunk; returns pieces that are final.
    pub fn push(&mut self, chunk: &str, out: &mut Vec<Piece>) {
        self.buf.push_str(chunk);
        self.run(false, out);
    }

    /// Ends the input (stream end or a tool call begins): flushes everything pending.
    pub fn finish(&mut self, out: &mut Vec<Piece>) {
        self.run(true, out);
        if matches!(
            self.state,
            State::AfterOpen | State::Thinking | State::AfterClose(_) | State::Start
        ) {
            self.state = State::Text;
        }
    }

    fn emit_thinking(&mut self, s: &str, out: &mut Vec<Piece>) {
        if s.is_empty() {
            return;
        }
        self.last = s.chars().last();
        match out.last_mut() {
            Some(Piece::Thinking(t)) => t.push_str(s),
            _ => out.push(Piece::Thinking(s.to_owned())),
        }
    }

    fn run(&mut self, eof: bool, out: &mut Vec<Piece>) {
        loop {
            match self.state {
                State::Text => {
                    // Plain text (the common case) moves on without a copy.
                    let b = std::mem::take(&mut self.buf);
                    match out.last_mut() {
                        _ if b.is_empty() => {}
                        Some(Piece::Text(t)) => t.push_str(&b),
                        _ => out.push(Piece::Text(b)),
                    }
                    return;
                }
                State::Start => {
                    let trimmed = self.buf.trim_start();
                    if trimmed.starts_with(OPEN) {
                        let skip = self.buf.len() - trimmed.len() + OPEN.len();
                        self.buf.drain(..skip);
                        self.state = State::AfterOpen;
                    } else if !eof && OPEN.starts_with(trimmed) {
                        return; // whitespace or a prefix of the tag: wait
                    } else {
                        self.state = State::Text;
                    }
                }
                State::AfterOpen => {
                    if self.drop_newline(eof).is_none() {
                        return;
                    }
                    self.state = State::Thinking;
                }
                State::AfterClose(n) => {
                    if n == 0 {
                        self.state = State::Text;
                        continue;
                    }
                    match self.drop_newline(eof) {
                        None => return,
                        Some(true) => self.state = State::AfterClose(n - 1),
                        Some(false) => self.state = State::Text,
                    }
                }
                State::Thinking => {
                    if !self.thinking_step(eof, out) {
                        return;
                    }
                }
            }
        }
    }

    /// Just after a tag: drops the next character if it is a `\n` and says whether it did; `None`
    /// while nothing came yet (the caller waits; at the end of the input the rest is text).
    fn drop_newline(&mut self, eof: bool) -> Option<bool> {
        if self.buf.is_empty() {
            if eof {
                self.state = State::Text;
            }
            return None;
        }
        let newline = self.buf.starts_with('\n');
        if newline {
            self.buf.drain(..1);
        }
        Some(newline)
    }

    /// Handles the thinking state; returns `true` when the state changed and the loop must go on.
    fn thinking_step(&mut self, eof: bool, out: &mut Vec<Piece>) -> bool {
        let mut from = 0;
        while let Some(rel) = self.buf[from..].find(CLOSE) {
            let at = from + rel;
            let after = at + CLOSE.len();
            let before = if at == 0 {
                self.last
            } else {
                self.buf[..at].chars().last()
            };
            let next = self.buf[after..].chars().next();
            if next.is_none() && !eof {
                // Need one more char to know whether the tag is quoted: keep from the tag on.
                let head = self.buf[..at].to_owned();
                self.emit_thinking_holding_newline(&head, at, out);
                return false;
            }
            if before.is_some_and(is_quote) || next.is_some_and(is_quote) {
                from = after;
                continue;
            }
            let mut head = &self.buf[..at];
            if let Some(h) = head.strip_suffix('\n') {
                head = h;
            }
            let head = head.to_owned();
            self.emit_thinking(&head, out);
            self.buf.drain(..after);
            self.state = State::AfterClose(2);
            return true;
        }
        if eof {
            let rest = std::mem::take(&mut self.buf);
            let rest = rest.strip_suffix('\n').unwrap_or(&rest).to_owned();
            self.emit_thinking(&rest, out);
            self.state = State::Text;
            return false;
        }
        // Emit what cannot be part of a closing tag; keep a possible tag prefix and a trailing `\n`.
        let mut keep_from = self.buf.len();
        for (i, _) in self.buf.char_indices().rev().take(CLOSE.len()) {
            if CLOSE.starts_with(&self.buf[i..]) {
                keep_from = i;
            }
        }
        let head = self.buf[..keep_from].to_owned();
        self.emit_thinking_holding_newline(&head, keep_from, out);
        false
    }

    /// Emits `head` (= `buf[..upto]`) as thinking except a final `\n`, which may precede the closing tag.
    fn emit_thinking_holding_newline(&mut self, head: &str, upto: usize, out: &mut Vec<Piece>) {
        let cut = if head.ends_with('\n') { upto - 1 } else { upto };
        let emit = head[..cut].to_owned();
        self.emit_thinking(&emit, out);
        self.buf.drain(..cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&str], enabled: bool) -> (String, String) {
        let mut s = Splitter::new(enabled);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        s.finish(&mut out);
        let mut th = String::new();
        let mut tx = String::new();
        for p in out {
            match p {
                Piece::Thinking(t) => th.push_str(&t),
                Piece::Text(t) => tx.push_str(&t),
            }
        }
        (th, tx)
    }

    #[test]
    fn canonical_shape() {
        let (th, tx) = run(&["<thinking>\nLet me think.\n</thinking>\n\nAnswer."], true);
        assert_eq!(th, "Let me think.");
        assert_eq!(tx, "Answer.");
    }

    #[test]
    fn tags_split_across_frames() {
        let (th, tx) = run(
            &["<thi", "nking>\nA", "B\n</th", "inking", ">\n", "\nC"],
            true,
        );
        assert_eq!((th.as_str(), tx.as_str()), ("AB", "C"));
    }

    #[test]
    fn tight_form() {
        let (th, tx) = run(&["<thinking>Hmm.</thinking>Done"], true);
        assert_eq!((th.as_str(), tx.as_str()), ("Hmm.", "Done"));
    }

    #[test]
    fn quoted_closing_tag_is_thinking_text() {
        let (th, tx) = run(
            &["<thinking>the `</thinking>` tag\n</thinking>\n\nok"],
            true,
        );
        assert_eq!(th, "the `</thinking>` tag");
        assert_eq!(tx, "ok");
    }

    #[test]
    fn later_tag_is_text_and_disabled_passes_through() {
        assert_eq!(
            run(&["Hi <thinking>x</thinking>"], true),
            (String::new(), "Hi <thinking>x</thinking>".into())
        );
        assert_eq!(
            run(&["<thinking>x</thinking>"], false),
            (String::new(), "<thinking>x</thinking>".into())
        );
    }

    #[test]
    fn unclosed_block_is_thinking_at_end() {
        assert_eq!(
            run(&["<thinking>\nhalf"], true),
            ("half".into(), String::new())
        );
        assert_eq!(run(&["  <thin"], true), (String::new(), "  <thin".into()));
    }

    #[test]
    fn leading_whitespace_before_tag_is_dropped() {
        assert_eq!(
            run(&["\n<thinking>a</thinking>\n\nb"], true),
            ("a".into(), "b".into())
        );
    }
}
