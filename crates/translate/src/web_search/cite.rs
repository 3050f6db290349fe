//! Citations: which search results an answer text cites.
//!
//! The upstream model writes plain text; it has no citation channel. The tool result asks it to
//! cite sources by URL ([`super::prompt`]), so a result counts as cited when its URL appears in the
//! text (with or without a trailing `/`). Each cited result gives one citation, at its first
//! mention, in the order of the mentions. Offsets are in characters (Unicode scalar values), as
//! the Responses `url_citation` `start_index` / `end_index` are.

use serde_json::{Value, json};

use super::SearchHit;

/// Anthropic caps `cited_text` at 150 characters.
const CITED_TEXT_CHARS: usize = 150;

/// One cited result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub url: String,
    pub title: String,
    /// The snippet's first 150 characters (Anthropic `cited_text`).
    pub cited_text: String,
    /// Character offsets of the URL in the text.
    pub start: usize,
    pub end: usize,
}

impl Citation {
    /// The Anthropic `web_search_result_location` citation.
    pub fn anthropic(&self) -> Value {
        json!({
            "type": "web_search_result_location",
            "cited_text": self.cited_text,
            "url": self.url,
            "title": self.title,
            "encrypted_index": super::body::encode_opaque(&json!({"url": self.url})),
        })
    }

    /// The Responses `url_citation` annotation.
    pub fn responses(&self) -> Value {
        json!({
            "type": "url_citation",
            "start_index": self.start,
            "end_index": self.end,
            "url": self.url,
            "title": self.title,
        })
    }
}

/// The results `text` cites, in the order they are first mentioned.
pub fn citations(text: &str, sources: &[SearchHit]) -> Vec<Citation> {
    let mut found: Vec<(usize, usize, &SearchHit)> = Vec::new();
    for s in sources {
        if found.iter().any(|(_, _, f)| f.url == s.url) {
            continue;
        }
        let bare = s.url.trim_end_matches('/');
        if bare.len() < "http://x".len() {
            continue;
        }
        let Some(at) = text.find(bare) else {
            continue;
        };
        let mut end = at + bare.len();
        if text[end..].starts_with('/') && s.url.ends_with('/') {
            end += 1;
        }
        found.push((at, end, s));
    }
    found.sort_by_key(|(at, _, _)| *at);
    found
        .into_iter()
        .map(|(at, end, s)| Citation {
            url: s.url.clone(),
            title: s.title.clone(),
            cited_text: s
                .snippet
                .as_deref()
                .unwrap_or(&s.title)
                .chars()
                .take(CITED_TEXT_CHARS)
                .collect(),
            start: text[..at].chars().count(),
            end: text[..end].chars().count(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(url: &str, snippet: Option<&str>) -> SearchHit {
        SearchHit {
            title: format!("T {url}"),
            url: url.into(),
            snippet: snippet.map(str::to_owned),
            published_date: None,
        }
    }

    #[test]
    fn cites_mentioned_urls_in_mention_order_with_char_offsets() {
        let sources = [
            hit("https://a.example/", Some(&"x".repeat(200))),
            hit("https://b.example/page", None),
            hit("https://c.example/", None),
        ];
        let text = "é See https://b.example/page and (https://a.example).";
        let c = citations(text, &sources);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].url, "https://b.example/page");
        assert_eq!((c[0].start, c[0].end), (6, 28));
        assert_eq!(c[0].cited_text, "T https://b.example/page");
        assert_eq!(c[1].url, "https://a.example/");
        assert_eq!(c[1].cited_text.chars().count(), 150);
        assert_eq!(
            &text
                .chars()
                .skip(c[1].start)
                .take(c[1].end - c[1].start)
                .collect::<String>(),
            "https://a.example"
        );
        assert!(citations("no links", &sources).is_empty());
    }
}
