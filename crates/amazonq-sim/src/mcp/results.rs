//! The simulated search engine: the `web_search` tool as `tools/list` describes it, and 3–5
//! deterministic results per query in the shape of the live answer (docs/upstream-mcp-web-search.md:
//! a JSON string in a text content block; `publishedDate` in epoch ms or null). Every URL is under
//! the reserved `example.com` / `example.org` / `example.net` domains (RFC 2606) and is never
//! fetched. Pure code.

use serde_json::{Value, json};

/// The tool's name (kiro-cli's built-in tool has the same one).
pub const TOOL_NAME: &str = "web_search";
/// `maxLength` of the query in the tool's schema.
pub const MAX_QUERY_CHARS: usize = 200;
/// The verbatim-quote limit the service puts on every result.
const MAX_VERBATIM_WORDS: u32 = 30;
const DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];
/// 2026-01-01T00:00:00Z in ms: the newest publication date a result gets.
const NEWEST_MS: i64 = 1_767_225_600_000;
const DAY_MS: i64 = 86_400_000;

/// One result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub title: String,
    pub url: String,
    pub snippet: String,
    pub published_ms: Option<i64>,
    pub domain: &'static str,
}

/// The `tools/list` entry: name, description, and the schema kiro-cli shows the model.
pub fn tool_spec() -> Value {
    json!({
        "name": TOOL_NAME,
        "description": "Searches the web for current information and returns results with title, url, snippet, publishedDate and domain. Cite the sources you use.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "query": {
                    "type": "string",
                    "maxLength": MAX_QUERY_CHARS,
                    "description": "Search query (max 200 characters); concise keywords work best"
                }
            },
            "required": ["query"]
        }
    })
}

/// FNV-1a: a stable hash, so the same query always gives the same results.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `query` as a URL path segment: lowercase ASCII letters and digits joined by `-`.
fn slug(query: &str) -> String {
    let words: Vec<String> = query
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut s = words.join("-");
    s.truncate(48);
    let s = s.trim_end_matches('-').to_owned();
    if s.is_empty() { "query".to_owned() } else { s }
}

/// The results for `query` (trimmed): 3–5 hits; the second has no publication date (the live
/// answer has such entries).
pub fn search(query: &str) -> Vec<Hit> {
    let query = query.trim();
    let h = fnv(query);
    let count = 3 + (h % 3) as usize;
    let slug = slug(query);
    (1..=count)
        .map(|i| {
            let domain = DOMAINS[(h as usize + i) % DOMAINS.len()];
            let age_days = ((h >> 8) % 300) as i64 + 30 * i as i64;
            Hit {
                title: format!("{query} - Example Source {i}"),
                url: format!("https://{domain}/{slug}/result-{i}"),
                snippet: format!(
                    "Result {i} of {count} for \"{query}\": deterministic text from the simulator's search engine."
                ),
                published_ms: (i != 2).then_some(NEWEST_MS - age_days * DAY_MS),
                domain,
            }
        })
        .collect()
}

/// The payload (`{"results","totalResults","query","error"}`) the text content carries.
pub fn payload(query: &str, hits: &[Hit]) -> Value {
    let results: Vec<Value> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            json!({
                "title": h.title,
                "url": h.url,
                "snippet": h.snippet,
                "publishedDate": h.published_ms,
                "id": (i + 1).to_string(),
                "domain": h.domain,
                "maxVerbatimWordLimit": MAX_VERBATIM_WORDS,
                "publicDomain": false,
            })
        })
        .collect();
    json!({
        "results": results,
        "totalResults": hits.len(),
        "query": query.trim(),
        "error": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_deterministic_reserved_and_shaped_like_the_live_answer() {
        let a = search("latest Rust release");
        assert_eq!(a, search("  latest Rust release "));
        assert!((3..=5).contains(&a.len()));
        for h in &a {
            assert!(
                h.url.starts_with("https://example.") && h.url.contains("/latest-rust-release/"),
                "{}",
                h.url
            );
            assert!(DOMAINS.contains(&h.domain));
        }
        assert_eq!(a[1].published_ms, None);
        assert!(a[0].published_ms.is_some_and(|ms| ms < NEWEST_MS));
        let p = payload("latest Rust release", &a);
        assert_eq!(p["totalResults"], a.len());
        assert_eq!(p["results"][0]["id"], "1");
        assert_eq!(p["results"][1]["publishedDate"], Value::Null);
        assert_eq!(p["results"][0]["maxVerbatimWordLimit"], 30);
        assert_ne!(search("another query")[0].url, a[0].url);
        assert_eq!(slug("¿?"), "query");
    }
}
