//! Text and tool-input cutting for rendered events (how content is spread over frames).
//! Pure code.

use crate::script::Split;

/// Cuts text per the split policy; never cuts inside a character.
pub fn split_text(s: &str, split: Split) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    match split {
        Split::Fixed { chars: n } => {
            for c in chars.chunks(n.max(1)) {
                out.push(c.iter().collect());
            }
        }
        Split::Char => out.extend(chars.iter().map(char::to_string)),
        Split::Word => {
            let mut cur = String::new();
            for c in chars {
                cur.push(c);
                if c == ' ' {
                    out.push(std::mem::take(&mut cur));
                }
            }
            if !cur.is_empty() {
                out.push(cur);
            }
        }
        Split::Random { seed, max } => {
            let mut state = seed | 1;
            let mut i = 0;
            while i < chars.len() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let n = 1 + (state % max.max(1) as u64) as usize;
                let end = (i + n).min(chars.len());
                out.push(chars[i..end].iter().collect());
                i = end;
            }
        }
    }
    out
}

/// Cuts a tool's JSON text into `k` raw substrings (by bytes, adjusted to char boundaries).
pub fn fragments(input: &str, k: usize) -> Vec<String> {
    let k = k.max(1);
    let chars: Vec<char> = input.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    let per = chars.len().div_ceil(k);
    chars
        .chunks(per.max(1))
        .map(|c| c.iter().collect())
        .collect()
}
