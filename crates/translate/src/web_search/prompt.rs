//! The model's side of a search: the query out of its tool call, the tool result text back in.
//!
//! The result text lists each hit (number, `Title:`, `URL:`, `Published:`, snippet) and asks the model to cite
//! the URLs it uses: a cited URL in the answer is what [`super::cite`] turns into Anthropic
//! `citations` and Responses `url_citation` annotations. An error result says what failed and asks
//! the model to answer without the search, so a failed search never stalls the turn.

use std::fmt::Write as _;

use serde_json::Value;

use super::{SearchError, SearchHit};

/// The longest query passed to the search (characters, the Kiro tool schema's `maxLength`); longer ones are
/// [`SearchError::QueryTooLong`].
pub const MAX_QUERY_CHARS: usize = 200;

/// The query of a `web_search` call's input (`{"query": …}`), trimmed; a call without one, or
/// with an over-long one, is answered with the error.
pub fn query_of(input_json: &str) -> Result<String, SearchError> {
    let v: Value = serde_json::from_str(input_json).map_err(|_| SearchError::InvalidInput)?;
    let q = v
        .get("query")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or(SearchError::InvalidInput)?;
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(SearchError::QueryTooLong);
    }
    Ok(q.to_owned())
}

/// The tool result the model reads (and whether it is an error result).
pub fn tool_result_text(
    query: &str,
    outcome: &Result<Vec<SearchHit>, SearchError>,
) -> (String, bool) {
    match outcome {
        Ok(hits) if hits.is_empty() => (
            format!("The web search for \"{query}\" found no results."),
            false,
        ),
        Ok(hits) => {
            let mut text = format!("Web search results for \"{query}\":\n");
            for (i, h) in hits.iter().enumerate() {
                // Writing to a String cannot fail.
                let _ = write!(
                    text,
                    "\nResult {}\nTitle: {}\nURL: {}\n",
                    i + 1,
                    h.title,
                    h.url
                );
                if let Some(d) = &h.published_date {
                    let _ = writeln!(text, "Published: {d}");
                }
                if let Some(s) = &h.snippet {
                    text.push_str(s);
                    text.push('\n');
                }
            }
            text.push_str(
                "\nAnswer from these results; cite each source you use by writing its URL.",
            );
            (text, false)
        }
        Err(e) => (
            format!(
                "The web search for \"{query}\" failed ({}): {} Answer without it and say that \
                 the search was not available.",
                e.code(),
                reason(*e)
            ),
            true,
        ),
    }
}

fn reason(e: SearchError) -> &'static str {
    match e {
        SearchError::Unavailable => "web search is not available for this account right now.",
        SearchError::MaxUsesExceeded => "this request already used all the searches it may run.",
        SearchError::TooManyRequests => "the search service is rate limiting this account.",
        SearchError::InvalidInput => "the call carried no query.",
        SearchError::QueryTooLong => "the query is too long.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_trimmed_and_checked() {
        assert_eq!(
            query_of(r#"{"query":"  rust 2026 "}"#).unwrap(),
            "rust 2026"
        );
        assert_eq!(query_of(r#"{"q":"x"}"#), Err(SearchError::InvalidInput));
        assert_eq!(query_of("not json"), Err(SearchError::InvalidInput));
        let long = format!(r#"{{"query":"{}"}}"#, "a".repeat(MAX_QUERY_CHARS + 1));
        assert_eq!(query_of(&long), Err(SearchError::QueryTooLong));
    }

    #[test]
    fn result_text_lists_hits_and_errors_say_what_failed() {
        let hits = vec![SearchHit {
            title: "Rust".into(),
            url: "https://rust-lang.org/".into(),
            snippet: Some("A language.".into()),
            published_date: Some("2026-01-02".into()),
        }];
        let (text, err) = tool_result_text("rust", &Ok(hits));
        assert!(!err);
        assert!(text.contains(
            "Result 1\nTitle: Rust\nURL: https://rust-lang.org/\nPublished: 2026-01-02\nA language.\n"
        ));
        let (text, err) = tool_result_text("rust", &Err(SearchError::MaxUsesExceeded));
        assert!(err);
        assert!(text.contains("(max_uses_exceeded)"));
        assert!(!tool_result_text("x", &Ok(Vec::new())).1);
    }
}
